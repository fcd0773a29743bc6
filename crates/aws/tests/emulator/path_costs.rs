//! What every path of one finding costs in AWS requests, through the real handlers on the AWS
//! adapters against the emulator, routed as `statemachine/pipeline.asl.json` routes them, with
//! Bedrock on (a Converse stub) as the Terraform module deploys it: DynamoDB, SES, Security Hub,
//! ECR and Bedrock requests counted by `RequestCounter` equal the cost table that `hushhub cost`
//! prices (`crates/cli/src/cost/paths.rs`). The state transitions of the same paths are held to
//! the table in `tests/e2e/path_costs.rs`.
//!
//! Security Hub notes are off here, as they are by default; with them on, each alert adds the
//! one `BatchUpdateFindings` that `securityhub.rs` counts.

#[path = "../../../cli/src/cost/paths.rs"]
mod paths;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use hushhub_aws::bedrock::{BedrockSummariser, DEFAULT_BUDGET, DEFAULT_MODEL_ID};
use hushhub_aws::dynamodb::DynamoSeenStore;
use hushhub_aws::ecr::EcrImageRegistry;
use hushhub_aws::ses::SesMailer;
use hushhub_core::config::AlertPolicy;
use hushhub_core::ports::{Clock, FixedClock};
use hushhub_core::routing::Routes;
use hushhub_core::steps::{
    AgeCheckInput, AssessInput, CheckSeenInput, CheckSeenRequest, DecisionKind, RenderInput,
    StepDecision,
};
use paths::{Path, PathCost, cost_of};
use serde_json::{Value, json};

use crate::common::{ACCOUNT, REGION, TestAws, asff, at, unique};
use crate::converse_stub::{Answer, ConverseStub};

/// Requests per service, reads and writes of DynamoDB apart.
#[derive(Debug, Default, PartialEq, Eq)]
struct Requests {
    dynamodb_reads: u64,
    dynamodb_writes: u64,
    ses: u64,
    securityhub: u64,
    ecr: u64,
    bedrock: u64,
}

impl Requests {
    /// What the table says a delivery on `cost`'s path sends with Bedrock on; `summary_reused`
    /// when an unchanged finding's cached summary stands in for the model.
    fn expected(cost: PathCost, summary_reused: bool) -> Requests {
        let bedrock = if summary_reused && cost.summary_reusable {
            0
        } else {
            cost.bedrock_calls
        };
        Requests {
            dynamodb_reads: cost.dynamodb_reads.into(),
            dynamodb_writes: (cost.dynamodb_writes + bedrock).into(),
            ses: cost.ses_emails.into(),
            securityhub: 0,
            ecr: cost.ecr_requests.into(),
            bedrock: bedrock.into(),
        }
    }

    /// Sorts counted `service:Operation` keys; any other operation fails the test.
    fn of(counted: &BTreeMap<String, u64>) -> Requests {
        let mut requests = Requests::default();
        for (key, n) in counted {
            let slot = match key.as_str() {
                "dynamodb:GetItem" => &mut requests.dynamodb_reads,
                "dynamodb:PutItem" | "dynamodb:UpdateItem" | "dynamodb:DeleteItem" => {
                    &mut requests.dynamodb_writes
                }
                "sesv2:SendEmail" => &mut requests.ses,
                "ecr:DescribeImages" => &mut requests.ecr,
                "bedrock runtime:Converse" => &mut requests.bedrock,
                k if k.starts_with("securityhub:") => &mut requests.securityhub,
                other => {
                    panic!("an operation the cost table does not know: {other} in {counted:?}")
                }
            };
            *slot += n;
        }
        requests
    }
}

/// The four functions on the AWS adapters, counted, with a clock the test moves.
struct Deployed {
    aws: TestAws,
    clock: Arc<FixedClock>,
    stub: ConverseStub,
    check_seen: check_seen::Ports<Arc<DynamoSeenStore>, EcrImageRegistry, Arc<FixedClock>>,
    age_check: age_check::Ports<Arc<DynamoSeenStore>, Arc<FixedClock>>,
    assess: score_and_summarise::Ports<BedrockSummariser, Arc<DynamoSeenStore>>,
    render: render_html_email::Ports<SesMailer>,
}

/// A model reply that passes the fact check for any finding: it names no id at all.
fn model_reply() -> String {
    json!({
        "headline": "A finding needs review",
        "what_happened": "Security Hub reported a finding on a bucket.",
        "why_it_matters": "The bucket may be exposed.",
        "next_steps": ["Review the bucket policy with its owner."],
    })
    .to_string()
}

impl Deployed {
    async fn new(test: &str) -> Deployed {
        let aws = TestAws::new(test).await;
        let store = Arc::new(aws.store().await);
        let clock = Arc::new(FixedClock::new(at("2026-11-30T10:00:00Z")));
        let policy = AlertPolicy::default();
        let stub = ConverseStub::start(Answer::Text(model_reply()));
        // Bedrock on the stub, counted like every other client. The endpoint is set on the
        // service's own configuration: the shared one's would lose to `AWS_ENDPOINT_URL`.
        let bedrock = aws_sdk_bedrockruntime::Client::from_conf(
            aws_sdk_bedrockruntime::config::Builder::from(aws.clients.sdk_config())
                .endpoint_url(&stub.url)
                .interceptor(aws.counter.clone())
                .build(),
        );
        let sender = format!("{}@hushhub.example.com", unique("alerts"));
        aws.clients
            .sesv2()
            .create_email_identity()
            .email_identity(&sender)
            .send()
            .await
            .expect("CreateEmailIdentity");
        aws.counter.reset();
        Deployed {
            check_seen: check_seen::Ports {
                store: store.clone(),
                registry: EcrImageRegistry::new(aws.clients.ecr(), clock.clone()),
                clock: clock.clone(),
                policy: policy.clone(),
            },
            age_check: age_check::Ports {
                store: store.clone(),
                clock: clock.clone(),
                renotify: policy.renotify,
            },
            assess: score_and_summarise::Ports {
                summariser: BedrockSummariser::new(bedrock, DEFAULT_MODEL_ID, DEFAULT_BUDGET),
                summary_cache: store,
                model_id: DEFAULT_MODEL_ID.into(),
            },
            render: render_html_email::Ports {
                mailer: SesMailer::new(aws.clients.sesv2(), None, clock.clone()),
                sender,
                routes: Routes::only_default(vec![format!("{}@example.com", unique("oncall"))]),
                account_aliases: BTreeMap::new(),
            },
            aws,
            clock,
            stub,
        }
    }

    fn advance(&self, by: Duration) {
        self.clock.set(self.clock.now() + by);
    }

    /// One delivery through CheckSeen, RouteBySeen, AgeCheck, RouteByAge, ScoreAndSummarise and
    /// RenderAndSendEmail as the definition routes it; the final decision.
    async fn deliver(&self, raw: &Value) -> StepDecision {
        let event_id = unique("event");
        let request = CheckSeenRequest::CheckSeen(CheckSeenInput {
            event_id: event_id.clone(),
            execution_id: unique("execution"),
            index: 0,
            detail_type: hushhub_core::finding::DetailType::Imported,
            finding: raw.into(),
        });
        let checked = match check_seen::handle(&self.check_seen, request).await {
            Ok(check_seen::CheckSeenResponse::Checked(output)) => *output,
            other => panic!("check-seen: {other:?}"),
        };
        let decision = match checked.decision.kind {
            DecisionKind::Seen => {
                let record = checked.decision.record.clone().expect("a seen record");
                age_check::handle(
                    &self.age_check,
                    AgeCheckInput {
                        event_id: event_id.clone(),
                        claim_token: checked.claim_token.clone(),
                        finding: (&checked.finding).into(),
                        record,
                        silenced: checked.decision.silenced.clone(),
                        escalate_now: false,
                    },
                )
                .await
                .expect("age-check")
            }
            _ => checked.decision,
        };
        if decision.kind.alerts() {
            let assessment = score_and_summarise::handle(
                &self.assess,
                AssessInput {
                    event_id: event_id.clone(),
                    finding: checked.finding.clone(),
                    decision: decision.clone(),
                },
            )
            .await
            .expect("score-and-summarise");
            render_html_email::handle(
                &self.render,
                RenderInput {
                    event_id,
                    finding: checked.finding,
                    decision: decision.clone(),
                    assessment,
                },
            )
            .await
            .expect("render-html-email");
        }
        decision
    }

    /// Delivers `raw` with the counter at zero; the decision and what it sent.
    async fn measure(&self, raw: &Value) -> (StepDecision, Requests) {
        self.aws.counter.reset();
        let decision = self.deliver(raw).await;
        (decision, Requests::of(&self.aws.counter.take()))
    }
}

fn finding(prefix: &str, severity: &str) -> Value {
    asff(&unique(prefix), severity, Some("NEW"), "ACTIVE", None)
}

#[tokio::test]
async fn new_finding_costs_a_read_a_conditional_write_one_email_and_one_model_call_it_caches() {
    let d = Deployed::new("cost_new").await;
    let (decision, requests) = d.measure(&finding("finding/cost-new", "HIGH")).await;
    assert_eq!(decision.kind, DecisionKind::New, "{}", decision.reason);
    assert_eq!(requests, Requests::expected(cost_of(Path::New), false));
    assert_eq!(d.stub.calls(), 1);
}

#[tokio::test]
async fn duplicate_inside_its_window_costs_exactly_one_read() {
    let d = Deployed::new("cost_dup").await;
    let raw = finding("finding/cost-dup", "HIGH");
    d.deliver(&raw).await;
    d.advance(Duration::hours(1));
    let (decision, requests) = d.measure(&raw).await;
    assert_eq!(
        decision.kind,
        DecisionKind::Suppressed,
        "{}",
        decision.reason
    );
    assert_eq!(
        requests,
        Requests::expected(cost_of(Path::Duplicate), false)
    );
}

#[tokio::test]
async fn duplicate_due_its_daily_refresh_costs_one_read_and_one_write() {
    let d = Deployed::new("cost_refresh").await;
    let raw = finding("finding/cost-refresh", "HIGH");
    d.deliver(&raw).await;
    d.advance(Duration::hours(25));
    let (decision, requests) = d.measure(&raw).await;
    assert_eq!(
        decision.kind,
        DecisionKind::Suppressed,
        "{}",
        decision.reason
    );
    assert_eq!(
        requests,
        Requests::expected(cost_of(Path::DuplicateRefresh), false)
    );
}

#[tokio::test]
async fn realert_of_an_unchanged_finding_costs_a_read_a_conditional_write_and_one_email() {
    let d = Deployed::new("cost_realert").await;
    let raw = finding("finding/cost-realert", "CRITICAL");
    d.deliver(&raw).await;
    d.advance(Duration::days(1));
    let (decision, requests) = d.measure(&raw).await;
    assert_eq!(decision.kind, DecisionKind::Realert, "{}", decision.reason);
    assert_eq!(
        requests,
        Requests::expected(cost_of(Path::Realert), true),
        "the cached summary stands in for the model"
    );
    assert_eq!(
        d.stub.calls(),
        1,
        "the model was asked once, for the first alert"
    );
}

#[tokio::test]
async fn escalation_costs_a_read_a_conditional_write_one_email_and_one_model_call() {
    let d = Deployed::new("cost_escalation").await;
    let id = unique("finding/cost-escalation");
    d.deliver(&asff(&id, "MEDIUM", Some("NEW"), "ACTIVE", None))
        .await;
    d.advance(Duration::hours(1));
    let (decision, requests) = d
        .measure(&asff(&id, "CRITICAL", Some("NEW"), "ACTIVE", None))
        .await;
    assert_eq!(decision.kind, DecisionKind::Realert, "{}", decision.reason);
    assert_eq!(
        requests,
        Requests::expected(cost_of(Path::Escalation), true),
        "a new severity is a new prompt: the cached summary does not fit"
    );
}

#[tokio::test]
async fn resolved_finding_with_a_record_costs_a_read_and_a_delete() {
    let d = Deployed::new("cost_resolved").await;
    let id = unique("finding/cost-resolved");
    d.deliver(&asff(&id, "HIGH", Some("NEW"), "ACTIVE", None))
        .await;
    d.advance(Duration::hours(2));
    let (decision, requests) = d
        .measure(&asff(&id, "HIGH", Some("RESOLVED"), "ACTIVE", None))
        .await;
    assert_eq!(decision.kind, DecisionKind::Resolved, "{}", decision.reason);
    assert_eq!(
        requests,
        Requests::expected(cost_of(Path::ResolvedWithRecord), false)
    );
}

#[tokio::test]
async fn resolved_finding_never_recorded_costs_one_read() {
    let d = Deployed::new("cost_resolved_none").await;
    let raw = asff(
        &unique("finding/cost-never"),
        "HIGH",
        None,
        "ARCHIVED",
        None,
    );
    let (decision, requests) = d.measure(&raw).await;
    assert_eq!(decision.kind, DecisionKind::Resolved, "{}", decision.reason);
    assert_eq!(
        requests,
        Requests::expected(cost_of(Path::ResolvedWithoutRecord), false)
    );
}

#[tokio::test]
async fn ignored_finding_costs_no_request() {
    let d = Deployed::new("cost_ignored").await;
    let (decision, requests) = d
        .measure(&finding("finding/cost-ignored", "INFORMATIONAL"))
        .await;
    assert_eq!(decision.kind, DecisionKind::Ignored, "{}", decision.reason);
    assert_eq!(requests, Requests::expected(cost_of(Path::Ignored), false));
}

/// An Inspector finding on `digest` of `repository` in the emulator's registry.
fn ecr_finding(repository: &str, digest: &str) -> Value {
    let mut raw = finding("finding/cost-ecr", "HIGH");
    raw["Resources"] = json!([{
        "Type": "AwsEcrContainerImage",
        "Id": format!("arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repository}/{digest}"),
        "Region": REGION,
        "Details": { "AwsEcrContainerImage": {
            "RegistryId": ACCOUNT,
            "RepositoryName": repository,
            "ImageDigest": digest,
            "ImageTags": ["v1"],
        }},
    }]);
    raw
}

#[tokio::test]
async fn ecr_finding_on_a_stale_image_costs_one_describe_images_per_repository_and_no_table_request()
 {
    let d = Deployed::new("cost_ecr").await;
    let repository = unique("hushhub-cost").to_lowercase();
    let ecr = d.aws.clients.ecr();
    ecr.create_repository()
        .repository_name(&repository)
        .send()
        .await
        .expect("CreateRepository");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.as_nanos());
    let layer = format!("sha256:{:032x}{nanos:032x}", std::process::id());
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": { "mediaType": "application/vnd.docker.container.image.v1+json", "size": 1000, "digest": layer },
        "layers": [{ "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1000, "digest": layer }],
    });
    ecr.put_image()
        .repository_name(&repository)
        .image_manifest(manifest.to_string())
        .image_tag("latest")
        .send()
        .await
        .expect("PutImage");
    let stale = format!("sha256:{}", "0".repeat(64));

    let (decision, requests) = d.measure(&ecr_finding(&repository, &stale)).await;
    assert_eq!(decision.kind, DecisionKind::Ignored, "{}", decision.reason);
    assert_eq!(
        requests,
        Requests::expected(cost_of(Path::StaleEcrImage), false)
    );

    // Another stale finding of the same repository within the cache's five minutes: free.
    d.advance(Duration::minutes(1));
    let (decision, requests) = d.measure(&ecr_finding(&repository, &stale)).await;
    assert_eq!(decision.kind, DecisionKind::Ignored, "{}", decision.reason);
    assert_eq!(requests, Requests::default());
}
