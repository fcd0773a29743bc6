//! One finding delivery through the real handlers on the AWS adapters, routed as
//! `statemachine/pipeline.asl.json` routes it (CheckSeen → AgeCheck → ScoreAndSummarise →
//! RenderAndSendEmail, and the Catch to ReleaseClaim), with Bedrock on a Converse stub. What the
//! concurrency and fault tests (`concurrency.rs`, `faults.rs`) drive and then read back: the
//! emulator's sent mail and the table's items.
//!
//! A delivery does not retry: where the definition's `Retry` would run a state again, the test
//! does so itself with the same [`Delivery`] (one execution, so the same claim token), after
//! checking that the error name is one the `Retry` matches. A new `Delivery` of the same event is
//! a second execution of it, as Express's at-least-once delivery makes.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use hushhub_aws::bedrock::{BedrockSummariser, DEFAULT_BUDGET, DEFAULT_MODEL_ID};
use hushhub_aws::clients::Timeouts;
use hushhub_aws::dynamodb::DynamoSeenStore;
use hushhub_aws::ecr::EcrImageRegistry;
use hushhub_aws::ses::SesMailer;
use hushhub_core::config::AlertPolicy;
use hushhub_core::error_names::LambdaError;
use hushhub_core::finding::DetailType;
use hushhub_core::ports::{Clock, FixedClock, SeenStore};
use hushhub_core::routing::Routes;
use hushhub_core::seen::SeenRecord;
use hushhub_core::steps::{
    AgeCheckInput, AssessInput, CheckSeenInput, CheckSeenOutput, CheckSeenRequest, DecisionKind,
    ReleaseClaimInput, RenderInput, ResolvedNoticeInput, StepDecision,
};
use hushhub_core::summary::Summary;
use serde_json::{Value, json};

use crate::common::{TestAws, at, http, unique};
use crate::converse_stub::{Answer, ConverseStub};

/// One execution's delivery of a finding: the event it came in and the execution running it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event_id: String,
    pub execution_id: String,
    /// An import, or someone asking for an alert now (the custom action).
    pub detail_type: DetailType,
}

impl Delivery {
    /// A new execution of the Imported event `event_id`.
    pub fn of_event(event_id: &str) -> Self {
        Self {
            event_id: event_id.to_owned(),
            execution_id: unique("arn:aws:states:us-east-1:111122223333:express:hushhub:exec"),
            detail_type: DetailType::Imported,
        }
    }

    /// A new execution of the custom action event `event_id` (escalate now).
    pub fn alert_now(event_id: &str) -> Self {
        Self {
            detail_type: DetailType::CustomAction,
            ..Self::of_event(event_id)
        }
    }
}

/// How one delivery ended, as the definition's terminal states would say it.
#[derive(Debug, Clone)]
pub enum Ended {
    /// Suppressed, resolved or ignored: no email.
    Quiet(StepDecision),
    /// New or realert, and the email went out.
    Sent {
        decision: StepDecision,
        summary: Box<Summary>,
        message_id: String,
    },
    /// A resolved notice went out (SendResolvedNotice).
    NoticeSent {
        decision: StepDecision,
        message_id: String,
    },
    /// ScoreAndSummarise or RenderAndSendEmail failed: the Catch ran ReleaseClaim and the
    /// execution fails with `Hushhub.SendFailed`. `error` is the Task's error name.
    SendFailed { error: &'static str, released: bool },
    /// A Task failed with `error` before any claim was made to release (CheckSeen, AgeCheck):
    /// the definition's `Retry` decides what happens next.
    TaskFailed {
        state: &'static str,
        error: &'static str,
    },
}

impl Ended {
    /// The decision kind when the delivery got that far.
    pub fn kind(&self) -> Option<DecisionKind> {
        match self {
            Self::Quiet(d)
            | Self::Sent { decision: d, .. }
            | Self::NoticeSent { decision: d, .. } => Some(d.kind),
            _ => None,
        }
    }

    /// The state and error name when a Task failed before any claim was made.
    pub fn task_failure(&self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::TaskFailed { state, error } => Some((state, error)),
            _ => None,
        }
    }
}

/// The model reply the stub gives by default: it passes the fact check for any finding.
pub fn model_reply() -> String {
    json!({
        "headline": "A finding needs review",
        "what_happened": "Security Hub reported a finding on a bucket.",
        "why_it_matters": "The bucket may be exposed.",
        "next_steps": ["Review the bucket policy with its owner."],
    })
    .to_string()
}

/// The four functions as deployed (Bedrock on), on one test's table, sender and recipient.
pub struct AlertPath {
    pub aws: TestAws,
    pub store: Arc<DynamoSeenStore>,
    pub clock: Arc<FixedClock>,
    pub stub: ConverseStub,
    pub recipient: String,
    pub check_seen: check_seen::Ports<Arc<DynamoSeenStore>, EcrImageRegistry, Arc<FixedClock>>,
    pub age_check: age_check::Ports<Arc<DynamoSeenStore>, Arc<FixedClock>>,
    pub assess: score_and_summarise::Ports<BedrockSummariser, Arc<DynamoSeenStore>>,
    pub render: render_html_email::Ports<SesMailer>,
}

impl AlertPath {
    /// Bedrock answers every call with `model`.
    pub async fn new(test: &str, model: Answer) -> AlertPath {
        let aws = TestAws::new(test).await;
        let table = aws.store().await;
        // DynamoDB and SES as the Lambdas build them (Timeouts::LAMBDA: 3 attempts a call), but
        // patient: the emulator serves one request at a time, so a hundred racers (and the other
        // tests on the same server) queue for seconds where DynamoDB answers in milliseconds.
        // With the Lambdas' 3 s per attempt and 6 s per call, a claim written but answered too
        // late fails its step, and the step's retry then reads the claim as another delivery's
        // and suppresses the alert: a known lost-alert case, not what these tests are about.
        let patient = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .operation_attempt_timeout(std::time::Duration::from_secs(60))
            .operation_timeout(std::time::Duration::from_secs(120))
            .build();
        let store = Arc::new(DynamoSeenStore::new(
            aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::config::Builder::from(aws.clients.sdk_config())
                    .timeout_config(patient.clone())
                    .interceptor(aws.counter.clone())
                    .build(),
            ),
            table.table(),
        ));
        let clock = Arc::new(FixedClock::new(at("2026-11-30T10:00:00Z")));
        let policy = AlertPolicy::default();
        let stub = ConverseStub::start(model);
        // The endpoint is set on the service's own configuration: the shared one's would lose
        // to `AWS_ENDPOINT_URL`.
        let bedrock = aws_sdk_bedrockruntime::Client::from_conf(
            aws_sdk_bedrockruntime::config::Builder::from(aws.clients.sdk_config())
                .endpoint_url(&stub.url)
                .interceptor(aws.counter.clone())
                .build(),
        );
        // A short first backoff, so that the throttling tests do not wait seconds per call.
        let ses = aws_sdk_sesv2::Client::from_conf(
            aws_sdk_sesv2::config::Builder::from(aws.clients.sdk_config())
                .timeout_config(patient)
                .retry_config(
                    Timeouts::LAMBDA
                        .retry_config()
                        .with_initial_backoff(std::time::Duration::from_millis(5)),
                )
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
        let recipient = format!("{}@example.com", unique("oncall"));
        AlertPath {
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
                summary_cache: store.clone(),
                model_id: DEFAULT_MODEL_ID.into(),
            },
            render: render_html_email::Ports {
                mailer: SesMailer::new(ses, None, clock.clone()),
                sender,
                routes: Routes::only_default(vec![recipient.clone()]),
                account_aliases: BTreeMap::new(),
            },
            recipient,
            aws,
            store,
            clock,
            stub,
        }
    }

    /// Resolved notices on (`HUSHHUB_RESOLVED_NOTICES=true`).
    pub fn with_resolved_notices(mut self) -> Self {
        self.check_seen.policy.resolved_notices = true;
        self
    }

    pub fn advance(&self, by: Duration) {
        self.clock.set(self.clock.now() + by);
    }

    /// CheckSeen on the first finding of `delivery`'s event, as the Map hands it over.
    pub async fn check_seen(
        &self,
        delivery: &Delivery,
        raw: &Value,
    ) -> Result<CheckSeenOutput, &'static str> {
        let request = CheckSeenRequest::CheckSeen(CheckSeenInput {
            event_id: delivery.event_id.clone(),
            execution_id: delivery.execution_id.clone(),
            index: 0,
            detail_type: delivery.detail_type,
            finding: raw.into(),
        });
        match check_seen::handle(&self.check_seen, request).await {
            Ok(check_seen::CheckSeenResponse::Checked(output)) => Ok(*output),
            Ok(other) => panic!("check-seen answered {other:?}"),
            Err(e) => Err(e.error_name()),
        }
    }

    /// Everything after CheckSeen, for its output.
    pub async fn after_check_seen(&self, checked: CheckSeenOutput) -> Ended {
        let CheckSeenOutput {
            event_id,
            claim_token,
            finding,
            decision,
        } = checked;
        let decision = match decision.kind {
            DecisionKind::Seen => {
                let input = AgeCheckInput {
                    event_id: event_id.clone(),
                    claim_token,
                    finding: (&finding).into(),
                    record: decision.record.clone().expect("a seen record"),
                    silenced: decision.silenced.clone(),
                    escalate_now: decision.escalate_now,
                };
                match age_check::handle(&self.age_check, input).await {
                    Ok(decision) => decision,
                    Err(e) => {
                        return Ended::TaskFailed {
                            state: "AgeCheck",
                            error: e.error_name(),
                        };
                    }
                }
            }
            DecisionKind::ResolvedNotice => {
                let input = ResolvedNoticeInput {
                    event_id,
                    finding,
                    decision: decision.clone(),
                };
                return match render_html_email::send_resolved_notice(&self.render, input).await {
                    Ok(out) => Ended::NoticeSent {
                        decision,
                        message_id: out.message_id,
                    },
                    Err(e) => Ended::TaskFailed {
                        state: "SendResolvedNotice",
                        error: e.error_name(),
                    },
                };
            }
            _ => decision,
        };
        if !decision.kind.alerts() {
            return Ended::Quiet(decision);
        }
        let assessed = score_and_summarise::handle(
            &self.assess,
            AssessInput {
                event_id: event_id.clone(),
                finding: finding.clone(),
                decision: decision.clone(),
            },
        )
        .await;
        let assessment = match assessed {
            Ok(a) => a,
            Err(e) => return self.release(&decision, e.error_name()).await,
        };
        let summary = Box::new(assessment.summary.clone());
        let input = RenderInput {
            event_id,
            finding,
            decision: decision.clone(),
            assessment,
        };
        // RenderAndSendEmail's Retry: the same input again, at most MaxAttempts more times, while
        // the error is one it matches (the waits are left out).
        let (retried, max_attempts) = retry_policy("RenderAndSendEmail");
        let mut retries = 0;
        loop {
            match render_html_email::handle(&self.render, input.clone()).await {
                Ok(out) => {
                    return Ended::Sent {
                        decision,
                        summary,
                        message_id: out.message_id,
                    };
                }
                Err(e) if retries < max_attempts && retried.iter().any(|r| r == e.error_name()) => {
                    retries += 1;
                }
                Err(e) => return self.release(&decision, e.error_name()).await,
            }
        }
    }

    /// The Catch: ReleaseClaim (served by check-seen), then the `SendFailed` Fail state.
    async fn release(&self, decision: &StepDecision, error: &'static str) -> Ended {
        let claim = decision.claim.clone().expect("an alert holds a claim");
        let released = match check_seen::handle(
            &self.check_seen,
            CheckSeenRequest::ReleaseClaim(ReleaseClaimInput { claim }),
        )
        .await
        {
            Ok(check_seen::CheckSeenResponse::Released(r)) => r.released,
            other => panic!("ReleaseClaim: {other:?}"),
        };
        Ended::SendFailed { error, released }
    }

    /// One delivery of `raw` in a new execution of event `event_id`, from CheckSeen to its
    /// terminal state.
    pub async fn deliver_in(&self, event_id: &str, raw: &Value) -> Ended {
        self.deliver_as(&Delivery::of_event(event_id), raw).await
    }

    /// One attempt of `delivery` (a first run, or the definition's `Retry` running it again).
    pub async fn deliver_as(&self, delivery: &Delivery, raw: &Value) -> Ended {
        match self.check_seen(delivery, raw).await {
            Ok(checked) => self.after_check_seen(checked).await,
            Err(error) => Ended::TaskFailed {
                state: "CheckSeen",
                error,
            },
        }
    }

    /// One delivery of `raw` in an event of its own.
    pub async fn deliver(&self, raw: &Value) -> Ended {
        self.deliver_in(&unique("event"), raw).await
    }

    /// As [`AlertPath::deliver`], and when CheckSeen or AgeCheck fails with an error its
    /// `Retry` matches, the delivery runs again (at most `MaxAttempts` more times), as the
    /// definition would: a busy emulator may time a request out under a hundred racers.
    pub async fn deliver_retrying(&self, raw: &Value) -> Ended {
        self.retrying(&Delivery::of_event(&unique("event")), raw)
            .await
    }

    /// As [`AlertPath::deliver_retrying`], for a request to alert now in an event of its own.
    pub async fn alert_now_retrying(&self, raw: &Value) -> Ended {
        self.retrying(&Delivery::alert_now(&unique("event")), raw)
            .await
    }

    /// `delivery`, run again as the definition's `Retry` would.
    async fn retrying(&self, delivery: &Delivery, raw: &Value) -> Ended {
        let mut retries = 0;
        loop {
            let ended = self.deliver_as(delivery, raw).await;
            let Ended::TaskFailed { state, error } = &ended else {
                return ended;
            };
            let (retried, max_attempts) = retry_policy(state);
            if retries >= max_attempts || !retried.iter().any(|r| r == error) {
                return ended;
            }
            retries += 1;
        }
    }

    /// The mail the emulator's SES accepted for this test's recipient, in send order.
    pub fn outbox(&self) -> Vec<Value> {
        let (status, body) = http(
            "GET",
            &format!("/hushhub/ses/messages?to={}", self.recipient),
            None,
        );
        assert_eq!(status, 200, "{body}");
        body.as_array().cloned().unwrap_or_default()
    }

    /// Every item of this test's table.
    pub async fn records(&self) -> Vec<SeenRecord> {
        let mut records = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.store.scan_page(cursor, 100).await.expect("scan");
            records.extend(page.records);
            match page.next {
                Some(next) => cursor = Some(next),
                None => return records,
            }
        }
    }
}

/// The error names the `Retry` of a Task state of the deployed definition matches, and its
/// `MaxAttempts` (each state has one retrier).
pub fn retry_policy(state: &str) -> (Vec<String>, u32) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachine/pipeline.asl.json"
    );
    let definition: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("definition")).expect("json");
    let retriers = definition["States"]["Findings"]["ItemProcessor"]["States"][state]["Retry"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("{state} has a Retry"));
    assert_eq!(retriers.len(), 1, "{state}: one retrier");
    let names = retriers[0]["ErrorEquals"]
        .as_array()
        .expect("ErrorEquals")
        .iter()
        .filter_map(|e| e.as_str().map(str::to_owned))
        .collect();
    let max_attempts = retriers[0]["MaxAttempts"]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(3);
    (names, max_attempts)
}
