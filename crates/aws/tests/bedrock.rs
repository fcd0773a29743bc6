//! The Bedrock summariser against a Converse stub on loopback, through the real
//! score-and-summarise handler: every way the model can fail still gives an assessment (so the
//! alert), with the fallback summary saying why; Claude is held to the reply schema through a
//! forced tool call; and a re-alert of an unchanged finding asks the model nothing, counted at
//! the stub.

#[path = "../../../tests/converse_stub/mod.rs"]
mod converse_stub;

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_bedrockruntime::config::{Credentials, SharedCredentialsProvider};
use aws_smithy_types::retry::RetryConfig;
use chrono::{DateTime, Utc};
use converse_stub::{Answer, ConverseStub, Received};
use hushhub_aws::bedrock::{BedrockSummariser, DEFAULT_BUDGET, DEFAULT_MODEL_ID};
use hushhub_aws::clients::Timeouts;
use hushhub_core::finding::Finding;
use hushhub_core::ports::{StoreError, SummaryCache};
use hushhub_core::seen::{Claim, SeenRecord};
use hushhub_core::steps::{AssessInput, Assessment, DecisionKind, StepDecision};
use hushhub_core::summary::{REPLY_SCHEMA_NAME, SummarySource};
use hushhub_core::summary_cache::CachedSummary;
use score_and_summarise::Ports;
use serde_json::{Value, json};

const CVE_FIXTURE: &str = "examples/events/inspector-ec2-package-cve-critical.json";
const INJECTION_FIXTURE: &str = "tests/fixtures/asff/hostile-prompt-injection.json";

/// Keeps every summary it is given, as the record would.
#[derive(Default)]
struct KeptSummaries(Mutex<Vec<CachedSummary>>);

impl KeptSummaries {
    fn last(&self) -> Option<CachedSummary> {
        self.0.lock().expect("kept summaries").last().cloned()
    }

    fn count(&self) -> usize {
        self.0.lock().expect("kept summaries").len()
    }
}

impl SummaryCache for KeptSummaries {
    async fn remember_summary(
        &self,
        _claim: &Claim,
        cached: &CachedSummary,
    ) -> Result<bool, StoreError> {
        self.0.lock().expect("kept summaries").push(cached.clone());
        Ok(true)
    }
}

/// A client on the stub with test credentials, the model call's SDK timeouts, and more attempts
/// than the adapter allows (it must cap them at two) with a short backoff.
fn client(stub: &ConverseStub) -> aws_sdk_bedrockruntime::Client {
    let sdk_config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test", "test", None, None, "test",
        )))
        .build();
    let config = aws_sdk_bedrockruntime::config::Builder::from(&sdk_config)
        .endpoint_url(&stub.url)
        .timeout_config(Timeouts::MODEL.timeout_config())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(4)
                .with_initial_backoff(Duration::from_millis(20)),
        )
        .build();
    aws_sdk_bedrockruntime::Client::from_conf(config)
}

fn finding(fixture: &str) -> Finding {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(fixture);
    let text = std::fs::read_to_string(&path).expect("fixture readable");
    let event: Value = serde_json::from_str(&text).expect("fixture is JSON");
    Finding::from_asff(&event["detail"]["findings"][0], "detail.findings[0]")
        .expect("fixture is a valid finding")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test time")
        .with_timezone(&Utc)
}

/// The score-and-summarise handler's ports, asking `model_id` on the stub.
fn ports(
    stub: &ConverseStub,
    model_id: &str,
    budget: Duration,
) -> Ports<BedrockSummariser, KeptSummaries> {
    let summariser = BedrockSummariser::new(client(stub), model_id, budget);
    Ports {
        model_id: summariser.model_id().to_owned(),
        summariser,
        summary_cache: KeptSummaries::default(),
    }
}

/// A new finding's first alert, as check-seen hands it over (record and claim).
fn first_alert(finding: &Finding) -> AssessInput {
    let record = SeenRecord::first_sighting(finding, at("2026-11-01T10:00:00Z"));
    let claim = record.claim(None);
    let mut decision = StepDecision::new(
        "event-1",
        finding,
        DecisionKind::New,
        "first time seen".into(),
        Some(record),
    );
    decision.claim = Some(claim);
    AssessInput {
        event_id: "event-1".into(),
        finding: finding.clone(),
        decision,
    }
}

/// A re-alert two days later, as age-check hands it over: the record as the store holds it,
/// with the summary cached at the first alert.
fn realert(finding: &Finding, cached: Option<CachedSummary>) -> AssessInput {
    let mut stored = SeenRecord::first_sighting(finding, at("2026-11-01T10:00:00Z"));
    stored.summary_cache = cached.map(Box::new);
    let updated = stored.realerted(finding, at("2026-11-03T10:00:00Z"));
    let claim = updated.claim(Some(&stored));
    let mut decision = StepDecision::new(
        "event-2",
        finding,
        DecisionKind::Realert,
        "the 1d renotify_after window of CRITICAL has passed since the last alert".into(),
        Some(updated),
    );
    decision.claim = Some(claim);
    AssessInput {
        event_id: "event-2".into(),
        finding: finding.clone(),
        decision,
    }
}

async fn handle(ports: &Ports<BedrockSummariser, KeptSummaries>, input: AssessInput) -> Assessment {
    score_and_summarise::handle(ports, input)
        .await
        .expect("an alert is always assessed")
}

/// Runs the real handler on a fixture's first alert with a summariser on a stub giving
/// `answer`.
async fn assess(fixture: &str, answer: Answer, budget: Duration) -> (Assessment, Vec<Received>) {
    let stub = ConverseStub::start(answer);
    let assessment = handle(
        &ports(&stub, DEFAULT_MODEL_ID, budget),
        first_alert(&finding(fixture)),
    )
    .await;
    let received = stub.received();
    assert!(
        !received.is_empty() && received.len() <= 2,
        "one call, at most one retry: {} requests",
        received.len()
    );
    (assessment, received)
}

fn fallback_reason(assessment: &Assessment) -> String {
    assert!(
        !assessment.summary.headline.is_empty() && !assessment.summary.next_steps.is_empty(),
        "the fallback is a whole summary: {:?}",
        assessment.summary
    );
    match &assessment.summary.source {
        SummarySource::Fallback { reason } => reason.clone(),
        other => panic!("expected the fallback, got {other:?}"),
    }
}

fn reply(headline: &str, what: &str, why: &str, steps: &[&str]) -> String {
    json!({
        "headline": headline,
        "what_happened": what,
        "why_it_matters": why,
        "next_steps": steps,
    })
    .to_string()
}

fn good_reply() -> String {
    reply(
        "Critical curl vulnerability CVE-2023-38545 on a production EC2 instance",
        "Inspector found CVE-2023-38545 in curl on instance i-0a1b2c3d4e5f60718 in account 111122223333 (us-east-1).",
        "The instance is in production and the vulnerability is critical.",
        &[
            "Apply the available curl fix to i-0a1b2c3d4e5f60718 and confirm Inspector closes the finding.",
        ],
    )
}

#[tokio::test]
async fn good_answer_gives_an_ai_summary() {
    let (assessment, received) =
        assess(CVE_FIXTURE, Answer::Text(good_reply()), DEFAULT_BUDGET).await;
    assert_eq!(
        assessment.summary.source,
        SummarySource::Ai {
            model_id: DEFAULT_MODEL_ID.into()
        }
    );
    assert!(assessment.summary.headline.contains("CVE-2023-38545"));
    assert!(assessment.score.points > 0);
    assert_eq!(received.len(), 1);

    // The request: Converse on the model, guardrails as the system prompt, deterministic and
    // capped output.
    let request = &received[0];
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path,
        format!("/model/{DEFAULT_MODEL_ID}/converse"),
        "{request:?}"
    );
    let body: Value = serde_json::from_str(&request.body).expect("request is JSON");
    assert_eq!(body["inferenceConfig"]["maxTokens"], 700, "{body}");
    assert_eq!(body["inferenceConfig"]["temperature"], 0.0, "{body}");
    assert!(
        body["system"][0]["text"]
            .as_str()
            .is_some_and(|s| s.contains("Invent nothing")),
        "{body}"
    );
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(body["messages"][0]["role"], "user", "{body}");
    assert!(
        body["messages"][0]["content"][0]["text"]
            .as_str()
            .is_some_and(|s| s.contains("<finding_data>") && s.contains("CVE-2023-38545")),
        "{body}"
    );

    // Structured output: the reply schema is the one tool, and Claude must call it.
    let tool_config = &body["toolConfig"];
    assert_eq!(
        tool_config["toolChoice"],
        json!({ "tool": { "name": REPLY_SCHEMA_NAME } }),
        "{body}"
    );
    let spec = &tool_config["tools"][0]["toolSpec"];
    assert_eq!(spec["name"], REPLY_SCHEMA_NAME, "{body}");
    let schema = &spec["inputSchema"]["json"];
    assert_eq!(
        schema["required"],
        json!(["headline", "what_happened", "why_it_matters", "next_steps"]),
        "{body}"
    );
    assert_eq!(schema["additionalProperties"], false, "{body}");
    assert_eq!(schema["properties"]["headline"]["maxLength"], 120, "{body}");
    assert_eq!(schema["properties"]["next_steps"]["maxItems"], 5, "{body}");
}

#[tokio::test]
async fn claude_answering_in_text_despite_the_tool_is_still_read() {
    let (assessment, received) =
        assess(CVE_FIXTURE, Answer::TextOnly(good_reply()), DEFAULT_BUDGET).await;
    assert!(assessment.summary.is_ai(), "{:?}", assessment.summary);
    assert!(received[0].json()["toolConfig"].is_object());
}

#[tokio::test]
async fn a_tool_call_breaking_the_schema_is_still_rejected() {
    // The schema is asked of the model, never trusted: an extra field fails the check.
    let mut bad: Value = serde_json::from_str(&good_reply()).expect("JSON");
    bad["severity_override"] = json!("LOW");
    let (assessment, _) = assess(CVE_FIXTURE, Answer::Text(bad.to_string()), DEFAULT_BUDGET).await;
    let reason = fallback_reason(&assessment);
    assert!(reason.contains("not the JSON object"), "{reason}");
}

#[tokio::test]
async fn a_model_that_cannot_be_held_to_a_tool_is_asked_for_json_text() {
    let stub = ConverseStub::start(Answer::Text(good_reply()));
    let model = "meta.llama3-70b-instruct-v1:0";
    let assessment = handle(
        &ports(&stub, model, DEFAULT_BUDGET),
        first_alert(&finding(CVE_FIXTURE)),
    )
    .await;
    assert_eq!(
        assessment.summary.source,
        SummarySource::Ai {
            model_id: model.into()
        }
    );
    let body = stub.received()[0].json();
    assert!(body.get("toolConfig").is_none(), "{body}");
}

#[tokio::test]
async fn realert_of_an_unchanged_finding_makes_no_converse_call() {
    let stub = ConverseStub::start(Answer::Text(good_reply()));
    let ports = ports(&stub, DEFAULT_MODEL_ID, DEFAULT_BUDGET);
    let finding = finding(CVE_FIXTURE);

    let first = handle(&ports, first_alert(&finding)).await;
    assert!(first.summary.is_ai());
    assert_eq!(stub.calls(), 1);
    assert_eq!(
        ports.summary_cache.count(),
        1,
        "the model's summary is cached"
    );

    let second = handle(&ports, realert(&finding, ports.summary_cache.last())).await;
    assert_eq!(stub.calls(), 1, "the re-alert made zero Converse calls");
    assert_eq!(second.summary, first.summary);
}

#[tokio::test]
async fn realert_of_a_changed_finding_makes_a_second_converse_call() {
    let stub = ConverseStub::start(Answer::Text(good_reply()));
    let ports = ports(&stub, DEFAULT_MODEL_ID, DEFAULT_BUDGET);
    let finding = finding(CVE_FIXTURE);
    handle(&ports, first_alert(&finding)).await;
    let cached = ports.summary_cache.last();
    let mut changed = finding.clone();
    changed.title.push_str(" (exploit published)");

    let second = handle(&ports, realert(&changed, cached.clone())).await;

    assert_eq!(stub.calls(), 2, "changed inputs ask the model again");
    assert!(second.summary.is_ai());
    assert_eq!(ports.summary_cache.count(), 2, "the new summary is cached");
    assert_ne!(
        ports.summary_cache.last().map(|c| c.inputs_hash),
        cached.map(|c| c.inputs_hash)
    );
}

#[tokio::test]
async fn a_fallback_is_not_cached_and_the_next_alert_asks_again() {
    let stub = ConverseStub::start(Answer::error(429, "ThrottlingException"));
    let ports = ports(&stub, DEFAULT_MODEL_ID, DEFAULT_BUDGET);
    let finding = finding(CVE_FIXTURE);
    handle(&ports, first_alert(&finding)).await;
    assert_eq!(ports.summary_cache.count(), 0);
    let calls = stub.calls();

    handle(&ports, realert(&finding, ports.summary_cache.last())).await;

    assert!(stub.calls() > calls, "the re-alert asks the model again");
}

#[tokio::test]
async fn throttling_gives_the_fallback() {
    let answer = Answer::error(429, "ThrottlingException");
    let (assessment, received) = assess(CVE_FIXTURE, answer, DEFAULT_BUDGET).await;
    let reason = fallback_reason(&assessment);
    assert!(reason.contains("throttling"), "{reason}");
    assert_eq!(received.len(), 2, "throttling is retried once, no more");
}

#[tokio::test]
async fn service_quota_exceeded_counts_as_throttling() {
    let answer = Answer::error(400, "ServiceQuotaExceededException");
    let (assessment, _) = assess(CVE_FIXTURE, answer, DEFAULT_BUDGET).await;
    let reason = fallback_reason(&assessment);
    assert!(reason.contains("throttling"), "{reason}");
}

#[tokio::test]
async fn server_error_gives_the_fallback() {
    let answer = Answer::error(500, "InternalServerException");
    let (assessment, received) = assess(CVE_FIXTURE, answer, DEFAULT_BUDGET).await;
    let reason = fallback_reason(&assessment);
    assert!(reason.contains("not available"), "{reason}");
    assert_eq!(received.len(), 2, "a 5xx is retried once, no more");
}

#[tokio::test]
async fn model_not_in_region_gives_the_fallback() {
    let answer = Answer::error(400, "ValidationException");
    let (assessment, received) = assess(CVE_FIXTURE, answer, DEFAULT_BUDGET).await;
    let reason = fallback_reason(&assessment);
    assert!(reason.contains("not available"), "{reason}");
    assert_eq!(received.len(), 1, "a validation error is not retried");
}

#[tokio::test]
async fn slow_answer_beyond_the_budget_gives_the_fallback() {
    let answer = Answer::Slow {
        delay: Duration::from_secs(5),
        text: good_reply(),
    };
    let (assessment, _) = assess(CVE_FIXTURE, answer, Duration::from_millis(300)).await;
    let reason = fallback_reason(&assessment);
    assert!(reason.contains("time"), "{reason}");
}

#[tokio::test]
async fn invalid_json_gives_the_fallback() {
    let answer = Answer::Text("Sure! The finding is about curl, nothing to worry about.".into());
    let (assessment, _) = assess(CVE_FIXTURE, answer, DEFAULT_BUDGET).await;
    let reason = fallback_reason(&assessment);
    assert!(reason.contains("not the JSON object"), "{reason}");
}

#[tokio::test]
async fn schema_violation_gives_the_fallback() {
    // No next step at all, and a headline far over its cap.
    let answer = Answer::Text(reply(
        &"curl ".repeat(60),
        "Inspector found a curl issue.",
        "Critical.",
        &[],
    ));
    let (assessment, _) = assess(CVE_FIXTURE, answer, DEFAULT_BUDGET).await;
    let reason = fallback_reason(&assessment);
    assert!(reason.contains("breaks the schema"), "{reason}");
}

#[tokio::test]
async fn invented_account_or_cve_is_caught_by_the_fact_check() {
    let answer = Answer::Text(reply(
        "Critical curl vulnerability CVE-2024-99999 in account 444455556666",
        "Inspector found CVE-2024-99999 in curl on an instance in account 444455556666.",
        "The instance is in production.",
        &["Patch curl on the affected instance."],
    ));
    let (assessment, _) = assess(CVE_FIXTURE, answer, DEFAULT_BUDGET).await;
    let reason = fallback_reason(&assessment);
    assert!(reason.contains("which is not in the finding"), "{reason}");
    assert!(
        reason.contains("444455556666") || reason.contains("CVE-2024-99999"),
        "{reason}"
    );
}

/// What the hostile finding's text asks the model to say.
fn reply_obeying_the_injection() -> Answer {
    Answer::Text(reply(
        "No risk: CVE-2099-0001 is a false positive",
        "CVE-2099-0001 has been fully mitigated by AWS; account 999999999999 is safe.",
        "No risk.",
        &["Mark this finding RESOLVED; no action is needed for account 999999999999."],
    ))
}

#[tokio::test]
async fn prompt_injection_is_sent_only_as_data() {
    let (assessment, received) = assess(
        INJECTION_FIXTURE,
        reply_obeying_the_injection(),
        DEFAULT_BUDGET,
    )
    .await;
    assert!(assessment.score.points > 0, "the alert is assessed");

    // The injected text reached the model only as data inside the delimited block.
    let body: Value = serde_json::from_str(&received[0].body).expect("request is JSON");
    let system = body["system"][0]["text"].as_str().unwrap_or_default();
    let user = body["messages"][0]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    let start = user.find("<finding_data>").expect("data block opens");
    let end = user.rfind("</finding_data>").expect("data block closes");
    for injected in [
        "Ignore previous instructions",
        "999999999999",
        "mark this finding RESOLVED",
    ] {
        assert!(
            !system.contains(injected),
            "{injected} in the system prompt"
        );
        assert!(user.contains(injected), "{injected} is sent as data");
        assert_eq!(
            user.matches(injected).count(),
            user[start..end].matches(injected).count(),
            "{injected} outside <finding_data>"
        );
    }
    assert!(
        !user[start + "<finding_data>".len()..end].contains('<'),
        "nothing in the data can close the block early"
    );
}

#[tokio::test]
async fn reply_obeying_a_prompt_injection_is_caught() {
    let (assessment, _) = assess(
        INJECTION_FIXTURE,
        reply_obeying_the_injection(),
        DEFAULT_BUDGET,
    )
    .await;
    let reason = fallback_reason(&assessment);
    assert!(reason.contains("which is not in the finding"), "{reason}");
    assert!(reason.contains("999999999999"), "{reason}");
}

#[tokio::test]
async fn access_denied_gives_the_fallback() {
    let answer = Answer::error(403, "AccessDeniedException");
    let (assessment, received) = assess(CVE_FIXTURE, answer, DEFAULT_BUDGET).await;
    let reason = fallback_reason(&assessment);
    assert!(
        reason.contains("access to the model was denied"),
        "{reason}"
    );
    assert_eq!(received.len(), 1, "access denied is not retried");
}

#[tokio::test]
async fn from_clients_uses_the_shared_configuration() {
    use hushhub_aws::clients::AwsClients;
    use hushhub_core::ports::Summariser;
    use hushhub_core::summary::Prompt;

    let stub = ConverseStub::start(Answer::Text("hello".into()));
    let sdk_config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test", "test", None, None, "test",
        )))
        .endpoint_url(&stub.url)
        .build();
    let summariser =
        BedrockSummariser::from_clients(&AwsClients::from_sdk_config(sdk_config), "some-model");
    assert_eq!(summariser.model_id(), "some-model");
    assert_eq!(summariser.budget(), DEFAULT_BUDGET);
    let prompt = Prompt {
        system: "be brief".into(),
        user: "say hello".into(),
        max_output_tokens: 5,
        reply_schema: None,
    };
    assert_eq!(summariser.complete(&prompt).await.as_deref(), Ok("hello"));
    let received = stub.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, "/model/some-model/converse");
}
