//! The Bedrock `Summariser`: asks a Claude model for an alert summary through the Converse API,
//! within a time budget and with at most one retry, and sorts every failure into a
//! [`SummariserError`] so the handler can fall back.
//!
//! What to ask, and whether to believe the answer, is not decided here: the prompt comes from
//! [`hushhub_core::summary::build_prompt`] and the reply goes to
//! [`hushhub_core::summary::accept_reply`]. This adapter only carries text to the model and back.
//!
//! Retries: the adapter overrides the client's retry configuration for every Converse call with
//! the client's own settings (mode, backoff) capped at [`MAX_ATTEMPTS`] attempts, so at most one
//! retry happens whatever client it is given. The retry happens inside the budget: the
//! `tokio::time::timeout` around the call covers every attempt and its backoff.

use std::time::Duration;

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::error::SdkError;
use aws_sdk_bedrockruntime::operation::converse::{ConverseError, ConverseOutput};
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, InferenceConfiguration, Message, SystemContentBlock,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use hushhub_core::ports::{Summariser, SummariserError};
use hushhub_core::summary::Prompt;

use crate::clients::{AwsClients, describe};

/// The model used when the configuration names none: the global inference profile of Claude
/// Sonnet 4.6.
pub const DEFAULT_MODEL_ID: &str = "global.anthropic.claude-sonnet-4-6";

/// The whole time a summary may take, every attempt and backoff included.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(8);

/// Attempts per summary in all: the first one and at most one retry.
pub const MAX_ATTEMPTS: u32 = 2;

/// Error codes, beyond the modelled `ThrottlingException`, that mean "too many requests".
const THROTTLING_CODES: &[&str] = &["ServiceQuotaExceededException", "TooManyRequestsException"];

/// A [`Summariser`] backed by Bedrock's Converse API.
#[derive(Debug, Clone)]
pub struct BedrockSummariser {
    client: Client,
    model_id: String,
    budget: Duration,
}

impl BedrockSummariser {
    /// A summariser on `client` asking `model_id` (an inference profile id or a model id), giving
    /// up after `budget` in all.
    pub fn new(client: Client, model_id: impl Into<String>, budget: Duration) -> Self {
        Self {
            client,
            model_id: model_id.into(),
            budget,
        }
    }

    /// A summariser on the shared clients' Bedrock runtime client (see
    /// [`AwsClients::bedrock_runtime`]) with [`DEFAULT_BUDGET`]. The budget is shorter than that
    /// client's SDK timeouts, so it is the budget that ends a slow call.
    pub fn from_clients(clients: &AwsClients, model_id: impl Into<String>) -> Self {
        Self::new(clients.bedrock_runtime(), model_id, DEFAULT_BUDGET)
    }

    /// The model asked, as named in the email of an AI summary.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// The time budget of one summary.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// The client's retry settings with at most [`MAX_ATTEMPTS`] attempts.
    fn retry_config(&self) -> RetryConfig {
        let configured = self
            .client
            .config()
            .retry_config()
            .cloned()
            .unwrap_or_else(RetryConfig::standard);
        let attempts = configured.max_attempts().clamp(1, MAX_ATTEMPTS);
        configured.with_max_attempts(attempts)
    }

    async fn converse(&self, prompt: &Prompt) -> Result<String, SummariserError> {
        let message = Message::builder()
            .role(ConversationRole::User)
            .content(ContentBlock::Text(prompt.user.clone()))
            .build()
            .map_err(|e| SummariserError::Unavailable(format!("bad request: {e}")))?;
        let inference = InferenceConfiguration::builder()
            .max_tokens(i32::try_from(prompt.max_output_tokens).unwrap_or(i32::MAX))
            .temperature(0.0)
            .build();
        let output = self
            .client
            .converse()
            .model_id(&self.model_id)
            .system(SystemContentBlock::Text(prompt.system.clone()))
            .messages(message)
            .inference_config(inference)
            .customize()
            .config_override(
                aws_sdk_bedrockruntime::config::Builder::default()
                    .retry_config(self.retry_config()),
            )
            .send()
            .await
            .map_err(|e| classify(&e))?;
        reply_text(&output)
    }
}

impl Summariser for BedrockSummariser {
    async fn complete(&self, prompt: &Prompt) -> Result<String, SummariserError> {
        match tokio::time::timeout(self.budget, self.converse(prompt)).await {
            Ok(result) => result,
            Err(_elapsed) => {
                tracing::warn!(model_id = %self.model_id, budget_ms = self.budget.as_millis(), "model call exceeded its budget");
                Err(SummariserError::Timeout)
            }
        }
    }
}

/// The text of the reply: every text block of the output message, in order.
fn reply_text(output: &ConverseOutput) -> Result<String, SummariserError> {
    let message = output
        .output()
        .and_then(|o| o.as_message().ok())
        .ok_or_else(|| {
            SummariserError::Unavailable(format!(
                "Converse: the reply has no message (stop reason {})",
                output.stop_reason()
            ))
        })?;
    let text: String = message
        .content()
        .iter()
        .filter_map(|block| block.as_text().ok())
        .map(String::as_str)
        .collect();
    if text.is_empty() {
        return Err(SummariserError::Unavailable(format!(
            "Converse: the reply has no text (stop reason {})",
            output.stop_reason()
        )));
    }
    Ok(text)
}

/// Sorts a Converse failure into the summariser's error contract.
fn classify(
    err: &SdkError<ConverseError, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
) -> SummariserError {
    let text = || describe("Converse", err);
    match err {
        SdkError::TimeoutError(_) => SummariserError::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => SummariserError::Timeout,
        SdkError::ServiceError(service) => match service.err() {
            ConverseError::AccessDeniedException(_) => SummariserError::AccessDenied(text()),
            ConverseError::ThrottlingException(_) => SummariserError::Throttled(text()),
            other if other.code().is_some_and(|c| THROTTLING_CODES.contains(&c)) => {
                SummariserError::Throttled(text())
            }
            // Model not ready, unknown model or profile, model not offered in this region
            // (ValidationException), model timeout, internal errors, 5xx, unknown codes.
            _ => SummariserError::Unavailable(text()),
        },
        // Connection failures, unparseable answers, requests that could not be built.
        _ => SummariserError::Unavailable(text()),
    }
}
