//! The render-html-email Lambda: renders and sends the alert through SES v2, then, when
//! `HUSHHUB_SECURITYHUB_NOTES_ENABLED`, notes it on the finding in Security Hub; also sends
//! resolved notices.

// The handler's future nests the SES request futures of every route deeply enough that
// computing its layout passes the default query depth of 128.
#![recursion_limit = "256"]

use std::sync::Arc;
use std::time::Duration;

use hushhub_aws::clients::AwsClients;
use hushhub_aws::lambda;
use hushhub_aws::securityhub::SecurityHubNotes;
use hushhub_aws::ses::SesMailer;
use hushhub_core::ports::SystemClock;
use hushhub_core::steps::{RenderOutput, RenderRequest};
use render_html_email::{Ports, RenderError};

/// The note is a courtesy: it gets what is left of the 10 s function timeout after SES, so a
/// slow Security Hub can never time out (and so re-send) an alert that already went out.
const NOTE_TIMEOUT: Duration = Duration::from_secs(2);

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    let config = lambda::start().await?;
    let aws = AwsClients::from_env().await;
    let clock = Arc::new(SystemClock);
    let ports = Ports {
        mailer: SesMailer::new(aws.sesv2(), config.ses_configuration_set, clock),
        sender: config.sender,
        routes: config.routes,
        account_aliases: config.account_aliases,
    };
    let notes = config
        .securityhub_notes_enabled
        .then(|| SecurityHubNotes::new(aws.securityhub()));
    lambda::serve(|input| send(&ports, notes.as_ref(), input)).await
}

/// Sends the alert; a note that fails is logged, never fails the alert.
async fn send(
    ports: &Ports<SesMailer>,
    notes: Option<&SecurityHubNotes>,
    request: RenderRequest,
) -> Result<RenderOutput, RenderError> {
    let input = match request {
        RenderRequest::Alert(input) => input,
        notice @ RenderRequest::ResolvedNotice(_) => {
            return render_html_email::handle_request(ports, notice).await;
        }
    };
    let (finding_id, product_arn) = (input.finding.id.clone(), input.finding.product_arn.clone());
    let sent = render_html_email::handle(ports, input).await?;
    if let Some(notes) = notes {
        let text = format!("hushhub sent an alert: {}", sent.subject);
        let noted = tokio::time::timeout(
            NOTE_TIMEOUT,
            notes.mark_notified(&finding_id, &product_arn, &text),
        )
        .await;
        match noted {
            Ok(Ok(())) => tracing::info!(%finding_id, "marked NOTIFIED in Security Hub"),
            Ok(Err(error)) => {
                tracing::warn!(%finding_id, %error, "Security Hub note not written; the alert was sent")
            }
            Err(_) => {
                tracing::warn!(%finding_id, "Security Hub note timed out; the alert was sent")
            }
        }
    }
    Ok(sent)
}
