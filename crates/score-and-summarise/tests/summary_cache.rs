//! The summary cache through the real handler, with a scripted model that counts its calls and
//! a cache that records what it is asked to keep: a re-alert of an unchanged finding asks the
//! model nothing; anything that changes the summary's inputs asks again; only a checked model
//! summary is cached, and a cache that fails never costs the alert.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Duration, Utc};
use hushhub_core::finding::Finding;
use hushhub_core::ports::{StoreError, Summariser, SummariserError, SummaryCache};
use hushhub_core::seen::{Claim, SeenRecord};
use hushhub_core::steps::{AssessInput, Assessment, DecisionKind, StepDecision};
use hushhub_core::summary::{Prompt, SummarySource};
use hushhub_core::summary_cache::CachedSummary;
use score_and_summarise::Ports;
use serde_json::{Value, json};

const MODEL: &str = "global.anthropic.claude-sonnet-4-6";

/// Answers every prompt with the same text, and counts the prompts.
struct ScriptedModel {
    reply: Result<String, SummariserError>,
    calls: AtomicUsize,
}

impl ScriptedModel {
    fn answering(reply: Result<String, SummariserError>) -> Self {
        Self {
            reply,
            calls: AtomicUsize::new(0),
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Summariser for ScriptedModel {
    async fn complete(&self, _prompt: &Prompt) -> Result<String, SummariserError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.reply.clone()
    }
}

/// Keeps what it is given, as a store would, or fails every write.
#[derive(Default)]
struct RecordingCache {
    kept: Mutex<Vec<(Claim, CachedSummary)>>,
    fails: bool,
}

impl RecordingCache {
    fn failing() -> Self {
        Self {
            fails: true,
            ..Self::default()
        }
    }

    fn kept(&self) -> Vec<(Claim, CachedSummary)> {
        self.kept.lock().expect("cache log").clone()
    }
}

impl SummaryCache for RecordingCache {
    async fn remember_summary(
        &self,
        claim: &Claim,
        cached: &CachedSummary,
    ) -> Result<bool, StoreError> {
        if self.fails {
            return Err(StoreError::Transient("the table is throttling".into()));
        }
        self.kept
            .lock()
            .expect("cache log")
            .push((claim.clone(), cached.clone()));
        Ok(true)
    }
}

fn finding() -> Finding {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/events/inspector-ec2-package-cve-critical.json");
    let event: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
    Finding::from_asff(&event["detail"]["findings"][0], "detail.findings[0]").expect("valid")
}

fn good_reply() -> String {
    json!({
        "headline": "Critical curl vulnerability CVE-2023-38545 on a production EC2 instance",
        "what_happened": "Inspector found CVE-2023-38545 in curl on instance i-0a1b2c3d4e5f60718 in account 111122223333.",
        "why_it_matters": "The instance is in production and the vulnerability is critical.",
        "next_steps": ["Apply the available curl fix to i-0a1b2c3d4e5f60718."],
    })
    .to_string()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test time")
        .with_timezone(&Utc)
}

/// The input of a new finding's first alert, as check-seen hands it over.
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

/// The input of a re-alert a day later, as age-check hands it over: the record read from the
/// store, carrying whatever summary it cached.
fn realert(finding: &Finding, cached: Option<CachedSummary>) -> AssessInput {
    let mut stored = SeenRecord::first_sighting(finding, at("2026-11-01T10:00:00Z"));
    stored.summary_cache = cached.map(Box::new);
    let updated = stored.realerted(finding, stored.last_alerted_at + Duration::days(1));
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

type TestPorts = Ports<ScriptedModel, RecordingCache>;

async fn assess(ports: &TestPorts, input: AssessInput) -> Assessment {
    score_and_summarise::handle(ports, input)
        .await
        .expect("an alert is always assessed")
}

fn ports(reply: Result<String, SummariserError>, model_id: &str) -> TestPorts {
    Ports {
        summariser: ScriptedModel::answering(reply),
        summary_cache: RecordingCache::default(),
        model_id: model_id.into(),
    }
}

fn last_cached(ports: &TestPorts) -> Option<CachedSummary> {
    ports.summary_cache.kept().pop().map(|(_, cached)| cached)
}

#[tokio::test]
async fn first_alert_asks_the_model_and_caches_its_summary_on_the_claimed_record() {
    let ports = ports(Ok(good_reply()), MODEL);
    let finding = finding();
    let input = first_alert(&finding);
    let claim = input.decision.claim.clone().expect("claimed");

    let assessment = assess(&ports, input).await;

    assert!(assessment.summary.is_ai(), "{:?}", assessment.summary);
    assert_eq!(ports.summariser.calls(), 1);
    let kept = ports.summary_cache.kept();
    assert_eq!(kept.len(), 1, "one summary cached");
    assert_eq!(kept[0].0, claim, "on the record this alert claimed");
    assert_eq!(kept[0].1.summary, assessment.summary);
}

#[tokio::test]
async fn realert_of_an_unchanged_finding_sends_the_cached_summary_and_asks_the_model_nothing() {
    let ports = ports(Ok(good_reply()), MODEL);
    let finding = finding();
    let first = assess(&ports, first_alert(&finding)).await;

    let second = assess(&ports, realert(&finding, last_cached(&ports))).await;

    assert_eq!(
        ports.summariser.calls(),
        1,
        "the re-alert made no model call"
    );
    assert_eq!(
        second.summary, first.summary,
        "the same summary, still marked AI"
    );
    assert_eq!(second.score, first.score);
    assert_eq!(ports.summary_cache.kept().len(), 1, "nothing new to cache");
}

#[tokio::test]
async fn realert_of_a_changed_finding_asks_the_model_again_and_caches_the_new_summary() {
    let ports = ports(Ok(good_reply()), MODEL);
    let finding = finding();
    assess(&ports, first_alert(&finding)).await;
    let cached = last_cached(&ports);
    let mut changed = finding.clone();
    changed
        .description
        .push_str(" A public exploit was published today.");

    let second = assess(&ports, realert(&changed, cached.clone())).await;

    assert_eq!(
        ports.summariser.calls(),
        2,
        "changed inputs ask the model again"
    );
    assert!(second.summary.is_ai());
    let kept = ports.summary_cache.kept();
    assert_eq!(kept.len(), 2);
    assert_ne!(
        Some(&kept[1].1.inputs_hash),
        cached.as_ref().map(|c| &c.inputs_hash),
        "the new summary is cached with the new inputs' hash"
    );
}

#[tokio::test]
async fn another_model_writes_a_new_summary() {
    let finding = finding();
    let sonnet = ports(Ok(good_reply()), MODEL);
    assess(&sonnet, first_alert(&finding)).await;
    let haiku = ports(Ok(good_reply()), "us.anthropic.claude-haiku-4-5");

    let second = assess(&haiku, realert(&finding, last_cached(&sonnet))).await;

    assert_eq!(haiku.summariser.calls(), 1, "the other model is asked");
    assert_eq!(
        second.summary.source,
        SummarySource::Ai {
            model_id: "us.anthropic.claude-haiku-4-5".into()
        }
    );
}

#[tokio::test]
async fn a_fallback_is_never_cached_so_the_next_alert_asks_the_model_again() {
    let finding = finding();
    for reply in [
        Err(SummariserError::Throttled("slow down".into())),
        Ok("Sure! Nothing to worry about.".to_owned()),
    ] {
        let ports = ports(reply, MODEL);
        let first = assess(&ports, first_alert(&finding)).await;
        assert!(!first.summary.is_ai());
        assert!(
            ports.summary_cache.kept().is_empty(),
            "a fallback is not cached"
        );

        assess(&ports, realert(&finding, last_cached(&ports))).await;
        assert_eq!(
            ports.summariser.calls(),
            2,
            "the re-alert asks the model again"
        );
    }
}

#[tokio::test]
async fn a_cache_that_cannot_be_written_never_costs_the_alert() {
    let ports = Ports {
        summariser: ScriptedModel::answering(Ok(good_reply())),
        summary_cache: RecordingCache::failing(),
        model_id: MODEL.into(),
    };

    let assessment = assess(&ports, first_alert(&finding())).await;

    assert!(
        assessment.summary.is_ai(),
        "the model's summary is still sent"
    );
}

#[tokio::test]
async fn a_cached_summary_that_no_longer_passes_the_fact_check_is_not_sent_again() {
    let ports = ports(Ok(good_reply()), MODEL);
    let finding = finding();
    assess(&ports, first_alert(&finding)).await;
    let mut tampered = last_cached(&ports).expect("cached");
    tampered.summary.headline = "Account 999999999999 is compromised".into();

    let second = assess(&ports, realert(&finding, Some(tampered))).await;

    assert_eq!(ports.summariser.calls(), 2, "the model is asked instead");
    assert!(!second.summary.headline.contains("999999999999"));
}
