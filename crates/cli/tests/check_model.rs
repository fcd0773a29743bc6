//! `hushhub check-model` against a Converse stub (reached through the standard
//! `AWS_ENDPOINT_URL`): one small request, a clear verdict, the fix for each refusal, and the
//! exit code (0 usable, 1 not).

#[path = "../../../tests/converse_stub/mod.rs"]
mod converse_stub;

use std::path::Path;
use std::process::{Command, Output};

use converse_stub::{Answer, ConverseStub};

const DEFAULT_MODEL: &str = "global.anthropic.claude-sonnet-4-6";

/// The command with an AWS configuration of its own: test credentials and Region, the stub as
/// endpoint, and nothing read from this machine's profiles or instance metadata.
fn check_model(stub: &ConverseStub) -> Command {
    let missing = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-such-aws-file");
    let mut command = Command::new(env!("CARGO_BIN_EXE_hushhub"));
    command.arg("check-model");
    for variable in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
        "HUSHHUB_BEDROCK_MODEL_ID",
    ] {
        command.env_remove(variable);
    }
    command
        .env("AWS_CONFIG_FILE", &missing)
        .env("AWS_SHARED_CREDENTIALS_FILE", &missing)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ENDPOINT_URL", &stub.url);
    command
}

fn run(command: &mut Command) -> (Option<i32>, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("hushhub runs");
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    let stderr = String::from_utf8_lossy(&stderr);
    (status.code(), format!("{stdout}{stderr}"))
}

#[test]
fn a_usable_model_exits_zero_after_one_small_request() {
    let stub = ConverseStub::start(Answer::Text("OK".into()));

    let (code, output) = run(&mut check_model(&stub));

    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("USABLE"), "{output}");
    assert!(
        output.contains(DEFAULT_MODEL) && output.contains("eu-west-1"),
        "{output}"
    );
    let received = stub.received();
    assert_eq!(received.len(), 1, "one request");
    assert_eq!(received[0].path, format!("/model/{DEFAULT_MODEL}/converse"));
    let body = received[0].json();
    assert_eq!(body["inferenceConfig"]["maxTokens"], 10, "{body}");
    assert!(body.get("toolConfig").is_none(), "{body}");
}

#[test]
fn the_model_comes_from_the_flag_or_the_environment() {
    let stub = ConverseStub::start(Answer::Text("OK".into()));
    let (code, output) =
        run(check_model(&stub).env("HUSHHUB_BEDROCK_MODEL_ID", "eu.anthropic.claude-haiku-4-5"));
    assert_eq!(code, Some(0), "{output}");
    let (code, output) = run(check_model(&stub).args(["--model-id", "us.amazon.nova-pro-v1:0"]));
    assert_eq!(code, Some(0), "{output}");
    let paths: Vec<String> = stub.received().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/model/eu.anthropic.claude-haiku-4-5/converse",
            "/model/us.amazon.nova-pro-v1%3A0/converse"
        ]
    );
}

#[test]
fn access_denied_exits_one_and_says_how_to_get_access() {
    let stub = ConverseStub::start(Answer::Error {
        status: 403,
        error_type: "AccessDeniedException",
        message: "You don't have access to the model with the specified model ID.".into(),
    });

    let (code, output) = run(&mut check_model(&stub));

    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("NOT USABLE"), "{output}");
    assert!(
        output.contains("You don't have access"),
        "the service's words: {output}"
    );
    assert!(output.contains("Model access"), "{output}");
    assert!(output.contains("bedrock:InvokeModel"), "{output}");
    assert!(
        output.contains(&format!("inference-profile/{DEFAULT_MODEL}")),
        "{output}"
    );
    assert!(
        output.contains("foundation-model/anthropic.claude-sonnet-4-6"),
        "{output}"
    );
    assert_eq!(stub.calls(), 1, "a refusal is not retried");
}

#[test]
fn an_on_demand_model_id_is_told_to_use_an_inference_profile() {
    let stub = ConverseStub::start(Answer::Error {
        status: 400,
        error_type: "ValidationException",
        message: "Invocation of model ID anthropic.claude-sonnet-4-6 with on-demand throughput \
                  isn't supported. Retry your request with the ID or ARN of an inference profile \
                  that contains this model."
            .into(),
    });

    let (code, output) =
        run(check_model(&stub).args(["--model-id", "anthropic.claude-sonnet-4-6"]));

    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("inference profile"), "{output}");
    assert!(
        output.contains("global.anthropic.claude-sonnet-4-6"),
        "names the profile to use: {output}"
    );
}

#[test]
fn a_model_not_offered_here_points_at_the_region_list() {
    let stub = ConverseStub::start(Answer::Error {
        status: 404,
        error_type: "ResourceNotFoundException",
        message: "Model not found.".into(),
    });

    let (code, output) = run(&mut check_model(&stub));

    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("not offered in this Region"), "{output}");
    assert!(output.contains("models-regions"), "{output}");
}

#[test]
fn throttling_says_to_retry_and_where_the_quotas_are() {
    let stub = ConverseStub::start(Answer::error(429, "ThrottlingException"));

    let (code, output) = run(&mut check_model(&stub));

    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("throttling"), "{output}");
    assert!(output.contains("Service Quotas"), "{output}");
}

#[test]
fn no_credentials_says_how_to_configure_them_and_sends_nothing() {
    let stub = ConverseStub::start(Answer::Text("OK".into()));

    let (code, output) = run(check_model(&stub)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY"));

    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("no AWS credentials"), "{output}");
    assert!(output.contains("aws configure"), "{output}");
    assert_eq!(stub.calls(), 0);
}

#[test]
fn no_region_says_how_to_name_one() {
    let stub = ConverseStub::start(Answer::Text("OK".into()));

    let (code, output) = run(check_model(&stub).env_remove("AWS_REGION"));

    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("no AWS Region"), "{output}");
    assert!(output.contains("--region"), "{output}");
    assert_eq!(stub.calls(), 0);

    let (code, output) = run(check_model(&stub)
        .env_remove("AWS_REGION")
        .args(["--region", "ap-southeast-2"]));
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("ap-southeast-2"), "{output}");
}
