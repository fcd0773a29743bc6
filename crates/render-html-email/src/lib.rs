//! render-html-email: renders the alert (HTML and plain text) and sends it, whole or not at all;
//! also sends resolved notices, since it is the function that sends email.
//!
//! A send that fails is reported with a stable error name, so the definition retries throttling
//! and, when sending cannot succeed, releases the claim instead of losing the alert.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use hushhub_core::email::{AlertFacts, Email, render};
use hushhub_core::error_names::{self, LambdaError};
use hushhub_core::finding::{AccountId, Finding};
use hushhub_core::metrics::{self, Metric};
use hushhub_core::ports::{Mailer, SendError};
use hushhub_core::resolved_notice::{ResolvedFacts, render_resolved_notice};
use hushhub_core::routing::{RouteTarget, Routes};
use hushhub_core::score::{Priority, score};
use hushhub_core::steps::{
    DecisionKind, Outcome, RenderInput, RenderOutput, RenderRequest, ResolvedNoticeInput, RouteSent,
};

/// What render-html-email needs from the outside world.
pub struct Ports<M> {
    pub mailer: M,
    pub sender: String,
    /// Who gets each alert: one email per matching route, the default route when none matches.
    pub routes: Routes,
    pub account_aliases: BTreeMap<AccountId, String>,
}

impl<M> Ports<M> {
    /// The name people know `account` by, when one is configured.
    fn account_alias(&self, account: &AccountId) -> Option<&str> {
        self.account_aliases.get(account).map(String::as_str)
    }
}

/// Why the email was not sent.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("decision {0:?} carries no record to render")]
    MissingRecord(String),
    #[error(transparent)]
    Send(#[from] SendError),
}

impl LambdaError for RenderError {
    fn error_name(&self) -> &'static str {
        match self {
            Self::MissingRecord(_) => error_names::INVALID_INPUT,
            Self::Send(SendError::Transient(_)) => error_names::TRANSIENT,
            Self::Send(SendError::Rejected(_)) => error_names::SEND_REJECTED,
        }
    }
}

/// Sends what the state machine asked for: an alert, or a resolved notice.
pub async fn handle_request<M: Mailer>(
    ports: &Ports<M>,
    request: RenderRequest,
) -> Result<RenderOutput, RenderError> {
    match request {
        RenderRequest::Alert(input) => handle(ports, input).await,
        RenderRequest::ResolvedNotice(input) => send_resolved_notice(ports, input).await,
    }
}

/// Renders one resolved notice and sends it to the routes the finding's alerts went to (the
/// score is pure, so the same finding picks the same routes), failing as an alert does.
pub async fn send_resolved_notice<M: Mailer>(
    ports: &Ports<M>,
    input: ResolvedNoticeInput,
) -> Result<RenderOutput, RenderError> {
    let ResolvedNoticeInput {
        event_id,
        finding,
        decision,
    } = input;
    let record = decision
        .record
        .as_ref()
        .ok_or_else(|| RenderError::MissingRecord(decision.kind.to_string()))?;
    let targets = ports.routes.for_alert(&finding, score(&finding).priority);
    let email = render_resolved_notice(&ResolvedFacts {
        finding: &finding,
        record,
        account_alias: ports.account_alias(&finding.account_id),
        from: &ports.sender,
        to: &[],
    });
    let sending = Sending {
        event_id,
        finding: &finding,
        decision: DecisionKind::Resolved,
        reason: decision.reason,
        priority: None,
        // The resolving update's time: this function has no clock.
        failed_at: finding.updated_at,
    };
    send_to_routes(ports, email, &targets, sending).await
}

/// Renders one alert and sends it to every route it matches, one email per route.
///
/// Each route is tried once, whatever happened to the others, so one route's bad address does
/// not keep the alert from the rest. Then:
/// - every route sent: the alert is done;
/// - no route sent: the error of a single route is returned as it always was (transient if any
///   failure was, so the definition retries; otherwise rejected, so the claim is released);
/// - some sent, and a failure was transient: the transient error is returned and the
///   definition's Retry runs this whole Task again, so the routes that were sent get the email
///   a second time (the same email, threaded with the first). A duplicate is the price of not
///   losing the alert for the route that failed;
/// - some sent, and every failure was a rejection: the alert is done. Retrying cannot fix a
///   rejection, and releasing the claim would re-send to the routes that got it at every
///   delivery; the rejected routes are logged and counted as `send_failed`.
pub async fn handle<M: Mailer>(
    ports: &Ports<M>,
    input: RenderInput,
) -> Result<RenderOutput, RenderError> {
    let RenderInput {
        event_id,
        finding,
        decision,
        assessment,
    } = input;
    let record = decision
        .record
        .as_ref()
        .ok_or_else(|| RenderError::MissingRecord(decision.kind.to_string()))?;
    let priority = assessment.score.priority;
    let targets = ports.routes.for_alert(&finding, priority);
    // Rendered once: the routes' copies differ only in their headers.
    let email = render(&AlertFacts {
        finding: &finding,
        decision: &decision,
        record,
        score: &assessment.score,
        summary: &assessment.summary,
        account_alias: ports.account_alias(&finding.account_id),
        from: &ports.sender,
        to: &[],
    });
    let sending = Sending {
        event_id,
        finding: &finding,
        decision: decision.kind,
        reason: decision.reason,
        priority: Some(priority),
        // The alert's claim time: this function has no clock.
        failed_at: record.last_alerted_at,
    };
    send_to_routes(ports, email, &targets, sending).await
}

/// What an email is about: what its outcome line says, and when a failed send happened.
struct Sending<'a> {
    event_id: String,
    finding: &'a Finding,
    decision: DecisionKind,
    reason: String,
    priority: Option<Priority>,
    /// Stamps the `send_failed` metric of a route that failed.
    failed_at: DateTime<Utc>,
}

/// Sends `email` to each of `targets`, one copy per route, and reports the outcome; how partial
/// failures end is described on [`handle`].
async fn send_to_routes<M: Mailer>(
    ports: &Ports<M>,
    email: Email,
    targets: &[RouteTarget<'_>],
    sending: Sending<'_>,
) -> Result<RenderOutput, RenderError> {
    let Sending {
        event_id,
        finding,
        decision: kind,
        reason,
        priority,
        failed_at,
    } = sending;
    let mut sent = Vec::with_capacity(targets.len());
    let mut failure: Option<SendError> = None;
    for target in targets {
        match ports
            .mailer
            .send(&email.for_route(target.name, target.recipients))
            .await
        {
            Ok(ok) => {
                tracing::info!(finding_id = %finding.id, decision = %kind, route = target.name, message_id = %ok.message_id, "email sent");
                sent.push(RouteSent {
                    route: target.name.to_owned(),
                    message_id: ok.message_id,
                });
            }
            Err(e) => {
                tracing::warn!(finding_id = %finding.id, route = target.name, error = %e, "email not sent to this route");
                // Every failed attempt counts, retried or not.
                metrics::record(
                    Metric::SendFailed,
                    Some(finding.severity),
                    Some(&finding.account_id),
                    failed_at,
                );
                // A transient failure wins: it is the one a retry can fix.
                if !matches!(failure, Some(SendError::Transient(_))) {
                    failure = Some(e);
                }
            }
        }
    }
    let first = match (sent.first(), failure) {
        (Some(first), None | Some(SendError::Rejected(_))) => first.message_id.clone(),
        (_, Some(e)) => return Err(e.into()),
        // Unreachable: `for_alert` always names at least the default route.
        (None, None) => return Err(SendError::Rejected("no route to send to".into()).into()),
    };
    let (routes, sent) = if ports.routes.is_configured() {
        (sent.iter().map(|s| s.route.clone()).collect(), sent)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(RenderOutput {
        outcome: Outcome {
            event_id,
            finding_id: Some(finding.id.to_string()),
            decision: kind,
            reason,
            severity: Some(finding.severity),
            priority,
            email: Some(first.clone()),
            routes,
        },
        message_id: first,
        subject: email.subject,
        sent,
    })
}
