//! The real check-seen, age-check and render-html-email handlers on the AWS adapters: what each
//! path costs in requests, and that a failed send gives its claim back.

use std::sync::Arc;

use chrono::Duration;
use hushhub_aws::dynamodb::DynamoSeenStore;
use hushhub_aws::ecr::EcrImageRegistry;
use hushhub_aws::ses::SesMailer;
use hushhub_core::config::AlertPolicy;
use hushhub_core::finding::FindingId;
use hushhub_core::ports::{Clock, FixedClock, SeenStore, SendError};
use hushhub_core::routing::Routes;
use hushhub_core::score::score;
use hushhub_core::seen::ClaimToken;
use hushhub_core::steps::{
    AgeCheckInput, Assessment, CheckSeenInput, CheckSeenOutput, CheckSeenRequest, DecisionKind,
    ReleaseClaimInput, RenderInput, StepDecision,
};
use hushhub_core::summary::fallback;
use serde_json::Value;

use crate::common::{TestAws, asff, at, http, unique};

struct Pipeline {
    aws: TestAws,
    store: Arc<DynamoSeenStore>,
    clock: Arc<FixedClock>,
    check_seen: check_seen::Ports<Arc<DynamoSeenStore>, EcrImageRegistry, Arc<FixedClock>>,
    age_check: age_check::Ports<Arc<DynamoSeenStore>, Arc<FixedClock>>,
}

impl Pipeline {
    async fn new(test: &str) -> Pipeline {
        let aws = TestAws::new(test).await;
        let store = Arc::new(aws.store().await);
        let clock = Arc::new(FixedClock::new(at("2026-11-30T10:00:00Z")));
        let policy = AlertPolicy::default();
        let registry = EcrImageRegistry::new(aws.clients.ecr(), clock.clone());
        Pipeline {
            check_seen: check_seen::Ports {
                store: store.clone(),
                registry,
                clock: clock.clone(),
                policy: policy.clone(),
            },
            age_check: age_check::Ports {
                store: store.clone(),
                clock: clock.clone(),
                renotify: policy.renotify,
            },
            aws,
            store,
            clock,
        }
    }

    async fn deliver(&self, finding: &Value) -> CheckSeenOutput {
        let request = CheckSeenRequest::CheckSeen(CheckSeenInput {
            event_id: unique("event"),
            execution_id: unique("execution"),
            index: 0,
            detail_type: hushhub_core::finding::DetailType::Imported,
            finding: finding.into(),
        });
        match check_seen::handle(&self.check_seen, request).await {
            Ok(check_seen::CheckSeenResponse::Checked(output)) => *output,
            other => panic!("check-seen: {other:?}"),
        }
    }

    async fn age_check(&self, checked: &CheckSeenOutput) -> StepDecision {
        let input = AgeCheckInput {
            event_id: checked.decision.outcome.event_id.clone(),
            claim_token: checked.claim_token.clone(),
            finding: (&checked.finding).into(),
            record: checked.decision.record.clone().expect("a seen record"),
            silenced: checked.decision.silenced.clone(),
            escalate_now: false,
        };
        age_check::handle(&self.age_check, input)
            .await
            .expect("age-check")
    }

    fn advance(&self, by: Duration) {
        self.clock.set(self.clock.now() + by);
    }
}

#[tokio::test]
async fn duplicate_inside_its_window_costs_one_read() {
    let p = Pipeline::new("dup_read").await;
    let finding = asff(&unique("finding/dup"), "HIGH", Some("NEW"), "ACTIVE", None);

    let first = p.deliver(&finding).await;
    assert_eq!(first.decision.kind, DecisionKind::New);
    assert_eq!(
        p.aws.counter.take().into_iter().collect::<Vec<_>>(),
        vec![
            ("dynamodb:GetItem".to_owned(), 1),
            ("dynamodb:PutItem".to_owned(), 1)
        ],
        "a new finding: look, then one conditional write"
    );
    let (status, _) = http(
        "POST",
        &format!("/hushhub/requests/reset?access_key={}", p.aws.access_key),
        None,
    );
    assert_eq!(status, 200);

    // The same finding again an hour later: HIGH re-alerts after 5 days, and last_seen_at is
    // refreshed at most daily, so this costs the read and nothing else.
    p.advance(Duration::hours(1));
    let second = p.deliver(&finding).await;
    assert_eq!(second.decision.kind, DecisionKind::Seen);
    let decided = p.age_check(&second).await;
    assert_eq!(decided.kind, DecisionKind::Suppressed, "{}", decided.reason);

    let counted = p.aws.counter.take();
    assert_eq!(
        counted.into_iter().collect::<Vec<_>>(),
        vec![("dynamodb:GetItem".to_owned(), 1)],
        "one strongly consistent read, no write"
    );
    assert_eq!(
        p.aws.emulator_counts().into_iter().collect::<Vec<_>>(),
        vec![("dynamodb:GetItem".to_owned(), 1)],
        "the emulator saw the same"
    );

    // A day later the quiet duplicate also refreshes last_seen_at (and the TTL) once.
    p.advance(Duration::days(1));
    let third = p.deliver(&finding).await;
    assert_eq!(p.age_check(&third).await.kind, DecisionKind::Suppressed);
    assert_eq!(
        p.aws.counter.take().into_iter().collect::<Vec<_>>(),
        vec![
            ("dynamodb:GetItem".to_owned(), 1),
            ("dynamodb:UpdateItem".to_owned(), 1)
        ],
    );
}

#[tokio::test]
async fn due_finding_realerts_once_with_one_read_and_one_conditional_write() {
    let p = Pipeline::new("realert_cost").await;
    let finding = asff(&unique("finding/due"), "CRITICAL", None, "ACTIVE", None);
    assert_eq!(p.deliver(&finding).await.decision.kind, DecisionKind::New);

    p.advance(Duration::days(1));
    p.aws.counter.reset();
    let seen = p.deliver(&finding).await;
    let first = p.age_check(&seen).await;
    assert_eq!(first.kind, DecisionKind::Realert, "{}", first.reason);
    assert_eq!(
        p.aws.counter.take().into_iter().collect::<Vec<_>>(),
        vec![
            ("dynamodb:GetItem".to_owned(), 1),
            ("dynamodb:UpdateItem".to_owned(), 1)
        ]
    );
    // A second delivery that read the record before the claim loses the re-alert.
    let other_delivery = CheckSeenOutput {
        claim_token: ClaimToken::for_delivery(&unique("execution"), 0),
        ..seen.clone()
    };
    let raced = p.age_check(&other_delivery).await;
    assert_eq!(raced.kind, DecisionKind::Suppressed, "{}", raced.reason);
    let stored = p
        .store
        .get(&seen.finding.id)
        .await
        .expect("get")
        .expect("record");
    assert_eq!(stored.alert_count, 2);
}

#[tokio::test]
async fn resolved_finding_forgets_its_record() {
    let p = Pipeline::new("resolved").await;
    let id = unique("finding/resolved");
    let active = asff(&id, "HIGH", Some("NEW"), "ACTIVE", None);
    assert_eq!(p.deliver(&active).await.decision.kind, DecisionKind::New);
    p.aws.counter.reset();

    p.advance(Duration::hours(2));
    let resolved = asff(&id, "HIGH", Some("RESOLVED"), "ACTIVE", None);
    let checked = p.deliver(&resolved).await;
    assert_eq!(checked.decision.kind, DecisionKind::Resolved);
    assert_eq!(
        p.aws.counter.take().into_iter().collect::<Vec<_>>(),
        vec![
            ("dynamodb:DeleteItem".to_owned(), 1),
            ("dynamodb:GetItem".to_owned(), 1)
        ]
    );
    let finding_id = FindingId::new(&id).expect("id");
    assert_eq!(p.store.get(&finding_id).await, Ok(None), "record deleted");
    p.aws.counter.reset();

    // A resolved update of a finding never recorded costs the read only.
    let other = asff(&unique("finding/never"), "HIGH", None, "ARCHIVED", None);
    assert_eq!(
        p.deliver(&other).await.decision.kind,
        DecisionKind::Resolved
    );
    assert_eq!(p.aws.counter.take().get("dynamodb:GetItem"), Some(&1));

    // When it comes back, it is new again.
    p.advance(Duration::days(3));
    assert_eq!(p.deliver(&active).await.decision.kind, DecisionKind::New);
}

#[tokio::test]
async fn release_claim_after_failed_send_lets_next_delivery_alert() {
    let p = Pipeline::new("release").await;
    let finding = asff(&unique("finding/release"), "CRITICAL", None, "ACTIVE", None);
    let checked = p.deliver(&finding).await;
    assert_eq!(checked.decision.kind, DecisionKind::New);
    let claim = checked
        .decision
        .claim
        .clone()
        .expect("a new finding holds a claim");

    // The send fails for good: the sender identity was never verified.
    let mailer = SesMailer::new(p.aws.clients.sesv2(), None, p.clock.clone());
    let score = score(&checked.finding);
    let summary = fallback(&checked.finding, &score, "model not used in this test");
    let render = render_html_email::Ports {
        mailer,
        sender: format!("{}@unverified.example.com", unique("nobody")),
        routes: Routes::only_default(vec![format!("{}@example.com", unique("oncall"))]),
        account_aliases: Default::default(),
    };
    let sent = render_html_email::handle(
        &render,
        RenderInput {
            event_id: checked.decision.outcome.event_id.clone(),
            finding: checked.finding.clone(),
            decision: checked.decision.clone(),
            assessment: Assessment { score, summary },
        },
    )
    .await;
    assert!(
        matches!(
            sent,
            Err(render_html_email::RenderError::Send(SendError::Rejected(_)))
        ),
        "{sent:?}"
    );

    // ReleaseClaim (served by check-seen) gives the claim back...
    let released = check_seen::handle(
        &p.check_seen,
        CheckSeenRequest::ReleaseClaim(ReleaseClaimInput { claim }),
    )
    .await
    .expect("release");
    assert!(
        matches!(&released, check_seen::CheckSeenResponse::Released(r) if r.released),
        "{released:?}"
    );
    assert_eq!(p.store.get(&checked.finding.id).await, Ok(None));

    // ...so the next delivery alerts.
    p.advance(Duration::minutes(1));
    assert_eq!(p.deliver(&finding).await.decision.kind, DecisionKind::New);
}
