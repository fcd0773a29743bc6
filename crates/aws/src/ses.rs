//! The SES v2 `Mailer`: one `SendEmail` per alert, carrying the exact RFC 5322 message that
//! [`hushhub_core::email::to_mime`] builds (and that the local outbox writes as `.eml`).
//!
//! Why `Content.Raw` and not `Content.Simple` with `Headers`: both would keep the HTML and text
//! parts, but Raw sends one message, built and tested in `core`, byte for byte, with every
//! `X-Hushhub-*` and threading header in it, so what `hushhub replay` previews is what is sent.
//!
//! Threading under SES: SES replaces any `Message-ID` (and `Date`) it is given with its own
//! (`<{MessageId}@{region}.amazonses.com>`; "If you provide a Message-ID header, Amazon SES
//! overrides the header with its own value", SES developer guide, header fields). So the first
//! alert is delivered with SES's id, not `hushhub.<digest>.1@hushhub.alerts`. Re-alerts still
//! carry `In-Reply-To`/`References: <hushhub.<digest>.1@hushhub.alerts>`: every re-alert of a
//! finding names the same parent, so clients that thread by `References` (Thunderbird, Apple
//! Mail, and Gmail together with the subject) group them under that one (absent) parent.
//! The first alert joins that thread only if it names the same id in `References` too, which
//! is `core`'s to add; the id SES assigned is returned as [`SentEmail::message_id`].

use std::sync::Arc;

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use hushhub_core::email::{Email, to_mime};
use hushhub_core::ports::{Clock, Mailer, SendError, SentEmail};

use crate::clients::{Fault, classify, describe};

/// Sends alerts through SES v2.
#[derive(Clone)]
pub struct SesMailer {
    client: Client,
    configuration_set: Option<String>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SesMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SesMailer")
            .field("configuration_set", &self.configuration_set)
            .finish_non_exhaustive()
    }
}

impl SesMailer {
    /// `configuration_set` (event publishing, dedicated IPs) is optional; `clock` dates the
    /// message (SES restamps `Date` on acceptance, the local outbox keeps ours).
    pub fn new(client: Client, configuration_set: Option<String>, clock: Arc<dyn Clock>) -> Self {
        Self {
            client,
            configuration_set: configuration_set.filter(|c| !c.trim().is_empty()),
            clock,
        }
    }
}

/// Throttling, sending quota and service trouble are worth retrying; a rejected message, an
/// unverified identity, a suspended or paused account, a bad request or a missing
/// configuration set are not.
fn send_error(err: SdkError<SendEmailError, HttpResponse>) -> SendError {
    let message = describe("SendEmail", &err);
    match err.as_service_error() {
        Some(
            SendEmailError::TooManyRequestsException(_) | SendEmailError::LimitExceededException(_),
        ) => SendError::Transient(message),
        Some(
            SendEmailError::MessageRejected(_)
            | SendEmailError::MailFromDomainNotVerifiedException(_)
            | SendEmailError::AccountSuspendedException(_)
            | SendEmailError::SendingPausedException(_)
            | SendEmailError::BadRequestException(_)
            | SendEmailError::NotFoundException(_),
        ) => SendError::Rejected(message),
        _ => match classify(&err) {
            Fault::Transient => SendError::Transient(message),
            Fault::Permanent => SendError::Rejected(message),
        },
    }
}

impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<SentEmail, SendError> {
        let mime = to_mime(email, self.clock.now());
        let raw = RawMessage::builder()
            .data(Blob::new(mime.into_bytes()))
            .build()
            .map_err(|e| SendError::Rejected(format!("SendEmail: {e}")))?;
        let out = self
            .client
            .send_email()
            // Given explicitly rather than read from the MIME headers by SES: the envelope is
            // then exactly the configured sender and recipients.
            .from_email_address(&email.from)
            .destination(
                Destination::builder()
                    .set_to_addresses(Some(email.to.clone()))
                    .build(),
            )
            .content(EmailContent::builder().raw(raw).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(send_error)?;
        let message_id = match out.message_id() {
            Some(id) if !id.is_empty() => id.to_owned(),
            // Accepted without an id (never seen from SES): the message is out, so report it
            // sent under our own id rather than fail and send it twice.
            _ => {
                tracing::warn!(message_id = %email.message_id, "SES accepted the message without a MessageId");
                email.message_id.clone()
            }
        };
        Ok(SentEmail { message_id })
    }
}
