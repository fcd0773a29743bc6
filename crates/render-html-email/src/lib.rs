//! render-html-email: renders the alert (HTML and plain text) and sends it, whole or not at all;
//! also sends resolved notices, since it is the function that sends email.
//!
//! A send that fails is reported with a stable error name, so the definition retries throttling
//! and, when sending cannot succeed, releases the claim instead of losing the alert.

use std::collections::BTreeMap;

use hushhub_core::email::{AlertFacts, render};
use hushhub_core::error_names::{self, LambdaError};
use hushhub_core::finding::AccountId;
use hushhub_core::metrics::{self, Metric};
use hushhub_core::ports::{Mailer, SendError};
use hushhub_core::resolved_notice::{ResolvedFacts, render_resolved_notice};
use hushhub_core::steps::{
    DecisionKind, Outcome, RenderInput, RenderOutput, RenderRequest, ResolvedNoticeInput,
};

/// What render-html-email needs from the outside world.
pub struct Ports<M> {
    pub mailer: M,
    pub sender: String,
    pub recipients: Vec<String>,
    pub account_aliases: BTreeMap<AccountId, String>,
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

/// Renders and sends one resolved notice, to the alerts' recipients.
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
    let email = render_resolved_notice(&ResolvedFacts {
        finding: &finding,
        record,
        account_alias: ports
            .account_aliases
            .get(&finding.account_id)
            .map(String::as_str),
        from: &ports.sender,
        to: &ports.recipients,
    });
    let sent = match ports.mailer.send(&email).await {
        Ok(sent) => sent,
        Err(e) => {
            // Stamped with the resolving update's time: this function has no clock.
            metrics::record(
                Metric::SendFailed,
                Some(finding.severity),
                Some(&finding.account_id),
                finding.updated_at,
            );
            return Err(e.into());
        }
    };
    tracing::info!(finding_id = %finding.id, message_id = %sent.message_id, "resolved notice sent");
    Ok(RenderOutput {
        outcome: Outcome {
            event_id,
            finding_id: Some(finding.id.to_string()),
            decision: DecisionKind::Resolved,
            reason: decision.reason,
            severity: Some(finding.severity),
            priority: None,
            email: Some(sent.message_id.clone()),
        },
        message_id: sent.message_id,
        subject: email.subject,
    })
}

/// Renders and sends one alert.
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
    let email = render(&AlertFacts {
        finding: &finding,
        decision: &decision,
        record,
        score: &assessment.score,
        summary: &assessment.summary,
        account_alias: ports
            .account_aliases
            .get(&finding.account_id)
            .map(String::as_str),
        from: &ports.sender,
        to: &ports.recipients,
    });
    let sent = match ports.mailer.send(&email).await {
        Ok(sent) => sent,
        Err(e) => {
            // Every failed attempt counts, retried or not. Stamped with the alert's claim time:
            // this function has no clock.
            metrics::record(
                Metric::SendFailed,
                Some(finding.severity),
                Some(&finding.account_id),
                record.last_alerted_at,
            );
            return Err(e.into());
        }
    };
    tracing::info!(finding_id = %finding.id, decision = %decision.kind, message_id = %sent.message_id, "alert sent");
    Ok(RenderOutput {
        outcome: Outcome {
            event_id,
            finding_id: Some(finding.id.to_string()),
            decision: decision.kind,
            reason: decision.reason,
            severity: Some(finding.severity),
            priority: Some(assessment.score.priority),
            email: Some(sent.message_id.clone()),
        },
        message_id: sent.message_id,
        subject: email.subject,
    })
}
