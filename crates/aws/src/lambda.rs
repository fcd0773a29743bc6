//! What every hushhub Lambda's `main` shares: JSON logs, the configuration read once (an invalid
//! one fails the init phase, naming its variable), and handler errors reported under the stable
//! name that the state machine's `ErrorEquals` branch on.
//!
//! Behind the `lambda` feature, so that the CLI and the adapter tests do not build the runtime.

use std::future::Future;
use std::time::Duration;

use hushhub_core::config::{Config, ConfigError};
use hushhub_core::error_names::{self, LambdaError};
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{Client, build_request};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing_subscriber::EnvFilter;

/// What `main` returns when the runtime stops.
pub use lambda_runtime::Error;

/// The Lambda error type of an invalid configuration, sent to the Runtime API's
/// `/runtime/init/error`, so the failed init shows the variable's name, not just an exit code.
pub const INVALID_CONFIG: &str = "Hushhub.InvalidConfig";

/// The Runtime API's address, set by Lambda (and by the boot tests).
const RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";
/// An init error report that gets no answer must not hold the process until the init timeout.
const REPORT_TIMEOUT: Duration = Duration::from_secs(2);

/// Sets up logging and reads the configuration, once per Lambda instance.
///
/// An invalid configuration is logged, reported to the Runtime API as an init error and
/// returned, so `main` exits non-zero before it takes an event.
pub async fn start() -> Result<Config, ConfigError> {
    init_logging();
    // Lambda sends stdout to CloudWatch Logs, which turns EMF lines into metrics.
    hushhub_core::metrics::set_sink(|line| println!("{line}"));
    match Config::from_env() {
        Ok(config) => Ok(config),
        Err(error) => {
            tracing::error!(variable = error.variable, %error, "invalid configuration");
            report_init_error(&error).await;
            Err(error)
        }
    }
}

/// JSON logs, one object per line with the event's fields at the top level (for CloudWatch Logs
/// Insights), filtered by `RUST_LOG` (default `info`), without colour codes.
pub fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // `try_init`: a subscriber set earlier (a test harness) is kept.
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_span_list(false)
        .with_env_filter(filter)
        .with_ansi(false)
        .try_init();
}

/// Runs the Lambda event loop: each event is read as `I` (one that does not match is
/// `Hushhub.InvalidInput`), handed to `handler`, and a handler error is reported with its
/// [`LambdaError::error_name`] as the Lambda error type.
pub async fn serve<I, O, E, F, Fut>(handler: F) -> Result<(), Error>
where
    I: DeserializeOwned,
    O: Serialize,
    E: LambdaError,
    F: Fn(I) -> Fut,
    Fut: Future<Output = Result<O, E>>,
{
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let call = serde_json::from_value::<I>(event.payload).map(&handler);
        async move {
            match call {
                Ok(response) => response.await.map_err(|e| diagnostic(&e)),
                Err(e) => Err(invalid_input(&e)),
            }
        }
    }))
    .await
}

/// The Lambda error of a handler error: its stable name and its message.
pub fn diagnostic<E: LambdaError>(error: &E) -> Diagnostic {
    let error_type = error.error_name();
    tracing::warn!(error_type, %error, "invocation failed");
    Diagnostic {
        error_type: error_type.to_owned(),
        error_message: error.to_string(),
    }
}

/// The Lambda error of an event that does not match the step's input contract.
fn invalid_input(error: &serde_json::Error) -> Diagnostic {
    let message = format!("the step input does not match its contract: {error}");
    tracing::warn!(error_type = error_names::INVALID_INPUT, error = %message, "invocation failed");
    Diagnostic {
        error_type: error_names::INVALID_INPUT.to_owned(),
        error_message: message,
    }
}

/// Posts the configuration error to `/runtime/init/error`. Outside Lambda (no Runtime API) there
/// is no one to tell; a failed report is logged, since the exit still fails the init.
async fn report_init_error(error: &ConfigError) {
    let Ok(api) = std::env::var(RUNTIME_API) else {
        return;
    };
    let Ok(endpoint) = format!("http://{api}").parse() else {
        tracing::warn!(%api, "{RUNTIME_API} is not a host:port; init error not reported");
        return;
    };
    let diagnostic = Diagnostic {
        error_type: INVALID_CONFIG.to_owned(),
        error_message: error.to_string(),
    };
    let sent = async {
        let client = Client::builder().with_endpoint(endpoint).build()?;
        let request = build_request()
            .method("POST")
            .uri("/2018-06-01/runtime/init/error")
            .header("Lambda-Runtime-Function-Error-Type", INVALID_CONFIG)
            .body(Body::from(serde_json::to_vec(&diagnostic)?))?;
        let response = client.call(request).await?;
        Ok::<_, Error>(response.status())
    };
    match tokio::time::timeout(REPORT_TIMEOUT, sent).await {
        Ok(Ok(status)) if status.is_success() => {}
        Ok(Ok(status)) => tracing::warn!(%status, "the Runtime API refused the init error"),
        Ok(Err(e)) => tracing::warn!(error = %e, "init error not reported"),
        Err(_) => tracing::warn!("init error not reported: no answer from the Runtime API"),
    }
}
