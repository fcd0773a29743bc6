//! The Bedrock `Summariser`: asks a Claude model for an alert summary through the Converse API,
//! within a time budget and with at most one retry, and sorts every failure into a
//! [`SummariserError`] so the handler can fall back.
//!
//! What to ask, and whether to believe the answer, is not decided here: the prompt comes from
//! [`hushhub_core::summary::build_prompt`] and the reply goes to
//! [`hushhub_core::summary::accept_reply`]. This adapter only carries text to the model and back.
//!
//! Structured output: when the prompt carries a reply schema and the model can be made to call a
//! given tool (Converse `toolChoice.tool`: Anthropic Claude 3 and later, Amazon Nova), the schema
//! is offered as the one tool and the model must call it; the call's input is the reply. A model
//! that answers in text anyway, or one that cannot be held to a tool, is read as before: the
//! reply is checked by `accept_reply` either way.
//!
//! Retries: the adapter overrides the client's retry configuration for every Converse call with
//! the client's own settings (mode, backoff) capped at [`MAX_ATTEMPTS`] attempts, so at most one
//! retry happens whatever client it is given. The retry happens inside the budget: the
//! `tokio::time::timeout` around the call covers every attempt and its backoff.

use std::time::Duration;

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::ProvideCredentials;
use aws_sdk_bedrockruntime::error::SdkError;
use aws_sdk_bedrockruntime::operation::converse::{ConverseError, ConverseOutput};
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, InferenceConfiguration, Message, SpecificToolChoice,
    SystemContentBlock, Tool, ToolChoice, ToolConfiguration, ToolInputSchema, ToolSpecification,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::{Document, Number};
use hushhub_core::ports::{Summariser, SummariserError};
use hushhub_core::summary::{Prompt, ReplySchema};
use serde_json::Value;

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

    /// The reply schema to hold the model to, if the prompt has one and the model can be made
    /// to call a tool.
    fn structured_output<'p>(&self, prompt: &'p Prompt) -> Option<&'p ReplySchema> {
        prompt
            .reply_schema
            .as_ref()
            .filter(|_| supports_forced_tool_use(&self.model_id))
    }

    async fn send(
        &self,
        prompt: &Prompt,
        reply_schema: Option<&ReplySchema>,
    ) -> Result<ConverseOutput, ConverseFailure> {
        let message = Message::builder()
            .role(ConversationRole::User)
            .content(ContentBlock::Text(prompt.user.clone()))
            .build()
            .map_err(|e| ConverseFailure::Request(e.to_string()))?;
        let inference = InferenceConfiguration::builder()
            .max_tokens(i32::try_from(prompt.max_output_tokens).unwrap_or(i32::MAX))
            .temperature(0.0)
            .build();
        let tool_config = reply_schema
            .map(tool_config)
            .transpose()
            .map_err(ConverseFailure::Request)?;
        self.client
            .converse()
            .model_id(&self.model_id)
            .system(SystemContentBlock::Text(prompt.system.clone()))
            .messages(message)
            .inference_config(inference)
            .set_tool_config(tool_config)
            .customize()
            .config_override(
                aws_sdk_bedrockruntime::config::Builder::default()
                    .retry_config(self.retry_config()),
            )
            .send()
            .await
            .map_err(|e| ConverseFailure::Sdk(Box::new(e)))
    }

    async fn converse(&self, prompt: &Prompt) -> Result<String, SummariserError> {
        let reply_schema = self.structured_output(prompt);
        match self.send(prompt, reply_schema).await {
            Ok(output) => reply_content(&output, reply_schema.map(|s| s.name)),
            Err(ConverseFailure::Request(e)) => {
                Err(SummariserError::Unavailable(format!("bad request: {e}")))
            }
            Err(ConverseFailure::Sdk(e)) => Err(classify(&e)),
        }
    }

    /// One tiny call within the budget; see [`check_model_access`].
    async fn probe(&self) -> Result<String, ModelCheckError> {
        let prompt = Prompt {
            system: "You answer with one word.".to_owned(),
            user: "Reply with the word OK.".to_owned(),
            max_output_tokens: 10,
            reply_schema: None,
        };
        let output = match tokio::time::timeout(self.budget, self.send(&prompt, None)).await {
            Ok(Ok(output)) => output,
            Ok(Err(ConverseFailure::Request(e))) => {
                return Err(ModelCheckError::new(ModelProblem::Other, e));
            }
            Ok(Err(ConverseFailure::Sdk(e))) => return Err(check_failure(&e)),
            Err(_elapsed) => {
                return Err(ModelCheckError::new(
                    ModelProblem::Timeout,
                    format!("no answer within {} s", self.budget.as_secs_f32()),
                ));
            }
        };
        reply_content(&output, None)
            .map_err(|e| ModelCheckError::new(ModelProblem::Other, e.to_string()))
    }
}

/// `hushhub check-model`: can this account, in this Region, with these credentials, use
/// `model_id`? One tiny Converse call on the clients' Bedrock runtime client, within
/// [`DEFAULT_BUDGET`]. Credentials are resolved first, so their absence is told apart from a
/// refusal. Returns the model's answer (a word or two).
pub async fn check_model_access(
    clients: &AwsClients,
    model_id: &str,
) -> Result<String, ModelCheckError> {
    let provider = clients.sdk_config().credentials_provider().ok_or_else(|| {
        ModelCheckError::new(
            ModelProblem::NoCredentials,
            "no credentials provider is configured",
        )
    })?;
    provider
        .provide_credentials()
        .await
        .map_err(|e| ModelCheckError::new(ModelProblem::NoCredentials, error_chain(&e)))?;
    BedrockSummariser::from_clients(clients, model_id)
        .probe()
        .await
}

/// Whether Converse can make this model call a given tool (`toolChoice.tool`): Anthropic Claude
/// 3 and later, and Amazon Nova, named by model id, inference profile id or either's ARN.
pub fn supports_forced_tool_use(model_id: &str) -> bool {
    let id = model_id.to_ascii_lowercase();
    let claude = id.contains("anthropic.claude")
        && !id.contains("anthropic.claude-v2")
        && !id.contains("anthropic.claude-instant");
    claude || id.contains("amazon.nova")
}

/// The reply schema as the one tool the model must call.
fn tool_config(schema: &ReplySchema) -> Result<ToolConfiguration, String> {
    let spec = ToolSpecification::builder()
        .name(schema.name)
        .description(schema.description)
        .input_schema(ToolInputSchema::Json(document_from_json(
            &schema.json_schema,
        )))
        .build()
        .map_err(|e| e.to_string())?;
    let choice = SpecificToolChoice::builder()
        .name(schema.name)
        .build()
        .map_err(|e| e.to_string())?;
    ToolConfiguration::builder()
        .tools(Tool::ToolSpec(spec))
        .tool_choice(ToolChoice::Tool(choice))
        .build()
        .map_err(|e| e.to_string())
}

/// A Converse call that did not get an answer.
enum ConverseFailure {
    /// The request could not be built.
    Request(String),
    Sdk(Box<SdkError<ConverseError, HttpResponse>>),
}

type HttpResponse = aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// What kept `hushhub check-model` from using the model: the cause and a fix follow from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelProblem {
    /// No credentials were found (nothing was sent).
    NoCredentials,
    /// Bedrock refused the caller: model access not enabled (or the Anthropic use-case form not
    /// submitted), or IAM does not allow `bedrock:InvokeModel` on the model or profile.
    AccessDenied,
    /// The model cannot be invoked on demand by its own id here: it needs an inference profile.
    NeedsInferenceProfile,
    /// The model or profile id is unknown, retired, or not offered in this Region.
    NotAvailable,
    /// Throttled, or over a Bedrock quota.
    Throttled,
    /// No answer in time.
    Timeout,
    /// The endpoint could not be reached.
    Unreachable,
    /// Anything else: the detail says what.
    Other,
}

/// Why a model cannot be used from here, with the service's own words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct ModelCheckError {
    pub problem: ModelProblem,
    pub detail: String,
}

impl ModelCheckError {
    fn new(problem: ModelProblem, detail: impl Into<String>) -> Self {
        Self {
            problem,
            detail: detail.into(),
        }
    }
}

/// An error and its sources, each in its own words, for a person to read.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Sorts a failed preflight call by what would fix it.
fn check_failure(err: &SdkError<ConverseError, HttpResponse>) -> ModelCheckError {
    // The service's own words when it answered; the whole chain when it did not.
    let detail = match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => error_chain(err),
    };
    let message = err.message().unwrap_or_default().to_ascii_lowercase();
    let problem = match err {
        SdkError::TimeoutError(_) => ModelProblem::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => ModelProblem::Timeout,
        SdkError::DispatchFailure(_) => ModelProblem::Unreachable,
        SdkError::ServiceError(service) => match service.err() {
            ConverseError::AccessDeniedException(_) => ModelProblem::AccessDenied,
            ConverseError::ThrottlingException(_) => ModelProblem::Throttled,
            ConverseError::ValidationException(_)
                if message.contains("inference profile") || message.contains("on-demand") =>
            {
                ModelProblem::NeedsInferenceProfile
            }
            // Anthropic models answer a missing use-case form with ResourceNotFound.
            ConverseError::ResourceNotFoundException(_) if message.contains("use case") => {
                ModelProblem::AccessDenied
            }
            ConverseError::ResourceNotFoundException(_) => ModelProblem::NotAvailable,
            ConverseError::ValidationException(_)
                if message.contains("model identifier")
                    || message.contains("region")
                    || message.contains("not supported") =>
            {
                ModelProblem::NotAvailable
            }
            other if other.code().is_some_and(|c| THROTTLING_CODES.contains(&c)) => {
                ModelProblem::Throttled
            }
            _ => ModelProblem::Other,
        },
        _ => ModelProblem::Other,
    };
    ModelCheckError::new(problem, detail)
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

/// The reply: the input of the model's call to `tool` as JSON (structured output), or, when it
/// made none, every text block of the output message, in order.
fn reply_content(output: &ConverseOutput, tool: Option<&str>) -> Result<String, SummariserError> {
    let message = output
        .output()
        .and_then(|o| o.as_message().ok())
        .ok_or_else(|| {
            SummariserError::Unavailable(format!(
                "Converse: the reply has no message (stop reason {})",
                output.stop_reason()
            ))
        })?;
    let tool_input = tool.and_then(|name| {
        message
            .content()
            .iter()
            .filter_map(|block| block.as_tool_use().ok())
            .find(|call| call.name() == name)
            .map(|call| json_from_document(call.input()))
    });
    if let Some(input) = tool_input {
        return Ok(input.to_string());
    }
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

/// A JSON value as the SDK's document type (the tool's input schema).
fn document_from_json(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Number::PosInt(u),
            (None, Some(i)) => Number::NegInt(i),
            (None, None) => Number::Float(n.as_f64().unwrap_or_default()),
        }),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(document_from_json).collect()),
        Value::Object(fields) => Document::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), document_from_json(v)))
                .collect(),
        ),
    }
}

/// The SDK's document type as JSON (the tool call's input). A float JSON cannot hold (NaN,
/// infinity) becomes `null`, which the reply's schema check then rejects.
fn json_from_document(document: &Document) -> Value {
    match document {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        Document::String(s) => Value::String(s.clone()),
        Document::Array(items) => Value::Array(items.iter().map(json_from_document).collect()),
        Document::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), json_from_document(v)))
                .collect(),
        ),
    }
}

/// Sorts a Converse failure into the summariser's error contract.
fn classify(err: &SdkError<ConverseError, HttpResponse>) -> SummariserError {
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
