//! AWS SDK clients for every adapter, built from one shared configuration with timeouts and
//! retries sized for a Lambda, and the error classification the adapters share.
//!
//! Region, credentials and endpoint come from the SDK's own provider chain, so `AWS_ENDPOINT_URL`
//! points every client at the local emulator in tests with no test-only code here.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::client::interceptors::{Intercept, SharedInterceptor};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// How long a call may take and how often it is tried.
///
/// The SDK's standard retry mode (exponential backoff with jitter, client-side retry quota)
/// retries throttling, timeouts and 5xx up to `max_attempts` in all; what is still failing
/// after that is reported as transient, and the state machine's `Retry` takes over with its
/// own, longer backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect and TLS handshake.
    pub connect: Duration,
    /// One attempt, from sending to the parsed answer.
    pub attempt: Duration,
    /// The whole call, retries and backoff included.
    pub operation: Duration,
    /// Attempts in all (first try included).
    pub max_attempts: u32,
}

impl Timeouts {
    /// For the pipeline's functions, whose Lambda timeout is 10 s: a call gives up after 6 s,
    /// leaving time to report a stable error name (the definition retries it) instead of being
    /// killed by the Lambda timeout, which loses the reason.
    pub const LAMBDA: Timeouts = Timeouts {
        connect: Duration::from_secs(2),
        attempt: Duration::from_secs(3),
        operation: Duration::from_secs(6),
        max_attempts: 3,
    };

    /// For the model call in score-and-summarise (Lambda timeout 30 s): a summary takes seconds
    /// to generate, and a timeout still leaves time for the deterministic fallback.
    pub const MODEL: Timeouts = Timeouts {
        connect: Duration::from_secs(2),
        attempt: Duration::from_secs(20),
        operation: Duration::from_secs(24),
        max_attempts: 2,
    };

    /// The SDK timeout settings.
    pub fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }

    /// The SDK's standard retry mode with `max_attempts`.
    pub fn retry_config(&self) -> RetryConfig {
        RetryConfig::standard().with_max_attempts(self.max_attempts.max(1))
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self::LAMBDA
    }
}

/// One shared SDK configuration and the interceptors every client gets (request counting in
/// tests and benches). Build it once per Lambda instance, outside the handler.
#[derive(Debug, Clone)]
pub struct AwsClients {
    config: SdkConfig,
    interceptors: Vec<SharedInterceptor>,
}

/// A service client from the shared configuration plus the extra interceptors.
macro_rules! service_client {
    ($sdk:ident, $self:ident, $timeouts:expr) => {{
        let mut builder = $sdk::config::Builder::from(&$self.config);
        if let Some(timeouts) = $timeouts {
            let timeouts: Timeouts = timeouts;
            builder = builder
                .timeout_config(timeouts.timeout_config())
                .retry_config(timeouts.retry_config());
        }
        for interceptor in &$self.interceptors {
            builder.push_interceptor(interceptor.clone());
        }
        $sdk::Client::from_conf(builder.build())
    }};
}

impl AwsClients {
    /// Loads region, credentials and endpoint from the environment (the Lambda's, or
    /// `AWS_ENDPOINT_URL` and test credentials against the emulator) with [`Timeouts::LAMBDA`].
    pub async fn from_env() -> Self {
        Self::from_env_with(Timeouts::LAMBDA).await
    }

    /// As [`AwsClients::from_env`], with other timeouts (the daily reaper may take longer
    /// per run, never per call, so it uses the same ones).
    pub async fn from_env_with(timeouts: Timeouts) -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(timeouts.timeout_config())
            .retry_config(timeouts.retry_config())
            .load()
            .await;
        Self::from_sdk_config(config)
    }

    /// Wraps an existing SDK configuration.
    pub fn from_sdk_config(config: SdkConfig) -> Self {
        Self {
            config,
            interceptors: Vec::new(),
        }
    }

    /// Adds an interceptor to every client built from now on (e.g. a
    /// [`crate::counting::RequestCounter`]).
    #[must_use]
    pub fn with_interceptor(mut self, interceptor: impl Intercept + 'static) -> Self {
        self.interceptors.push(SharedInterceptor::new(interceptor));
        self
    }

    /// The shared SDK configuration.
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.config
    }

    /// DynamoDB, for the seen store.
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        service_client!(aws_sdk_dynamodb, self, None)
    }

    /// SES v2, for the mailer.
    pub fn sesv2(&self) -> aws_sdk_sesv2::Client {
        service_client!(aws_sdk_sesv2, self, None)
    }

    /// Security Hub, for the reaper's status lookups and the optional notes.
    pub fn securityhub(&self) -> aws_sdk_securityhub::Client {
        service_client!(aws_sdk_securityhub, self, None)
    }

    /// ECR, for the latest-tagged-image check.
    pub fn ecr(&self) -> aws_sdk_ecr::Client {
        service_client!(aws_sdk_ecr, self, None)
    }

    /// Bedrock runtime, with [`Timeouts::MODEL`] whatever the shared configuration says: a
    /// model answer takes far longer than any other call.
    pub fn bedrock_runtime(&self) -> aws_sdk_bedrockruntime::Client {
        service_client!(aws_sdk_bedrockruntime, self, Some(Timeouts::MODEL))
    }
}

/// Whether retrying later can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Throttling, timeouts, connection failures, 5xx.
    Transient,
    /// Anything a retry cannot fix: validation, missing resource, access denied.
    Permanent,
}

/// Error codes that mean "slow down" or "try again", across the services used here. The SDK
/// has already retried these `max_attempts` times when an adapter sees them.
const TRANSIENT_CODES: &[&str] = &[
    // throttling
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "BandwidthLimitExceeded",
    "SlowDown",
    // service-side trouble
    "InternalServerError",
    "InternalServerException",
    "InternalFailure",
    "InternalError",
    "InternalException",
    "ServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
    "RequestTimeoutException",
    "TransactionConflictException",
    "ReplicatedWriteConflictException",
    "PriorRequestNotComplete",
];

/// Sorts an SDK error into transient or permanent.
pub(crate) fn classify<E>(err: &SdkError<E, HttpResponse>) -> Fault
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => Fault::Transient,
        SdkError::ConstructionFailure(_) => Fault::Permanent,
        // An answer that could not be parsed: a 5xx page from a proxy, or a truncated body.
        SdkError::ResponseError(e) => {
            if e.raw().status().is_server_error() {
                Fault::Transient
            } else {
                Fault::Permanent
            }
        }
        SdkError::ServiceError(e) => {
            let transient_code = err
                .code()
                .is_some_and(|code| TRANSIENT_CODES.contains(&code));
            if transient_code || e.raw().status().is_server_error() {
                Fault::Transient
            } else {
                Fault::Permanent
            }
        }
        // SdkError is non-exhaustive: an unknown kind is not worth retrying blindly.
        _ => Fault::Permanent,
    }
}

/// `Operation: message (code)`, with the whole error chain, for logs and error strings.
pub(crate) fn describe<E>(operation: &str, err: &SdkError<E, HttpResponse>) -> String
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
{
    match err.code() {
        Some(code) => format!("{operation}: {code}: {}", DisplayErrorContext(err)),
        None => format!("{operation}: {}", DisplayErrorContext(err)),
    }
}
