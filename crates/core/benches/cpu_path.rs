//! What one finding costs in CPU, measured on real fixtures: the ASFF parse (a 2 KB finding and a
//! 200 KB one), the dedup decision, the score, the email render, and the whole per-finding path
//! (parse → decide → score → summary → render) on in-memory ports.
//!
//! `cargo bench -p hushhub-core -- --warm-up-time 1 --measurement-time 3`; the figures are in
//! BENCHMARKS.md. Nothing here runs in the tests.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hushhub_core::config::AlertPolicy;
use hushhub_core::email::{AlertFacts, Email, render, to_mime};
use hushhub_core::finding::{Finding, FindingId};
use hushhub_core::json::JsonTape;
use hushhub_core::score::score;
use hushhub_core::seen::{Due, SeenRecord, expires_at, resolution};
use hushhub_core::steps::{DecisionKind, StepDecision};
use hushhub_core::summary::{build_prompt, fallback};
use serde_json::Value;

/// A CSPM control finding of about 2 KB (compact JSON), as Security Hub sends most of them.
const SMALL: &str = "examples/events/cspm-s3-1-failed.json";
/// The same kind of finding with a 204,800-character description (ASFF allows 1,024).
const HUGE: &str = "tests/fixtures/asff/huge-description.json";

const FROM: &str = "hushhub@example.com";

/// The first finding of a fixture event, as the Map hands it to CheckSeen.
fn raw_finding(path: &str) -> Value {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    let text = std::fs::read_to_string(&full)
        .unwrap_or_else(|e| panic!("reading {}: {e}", full.display()));
    let mut event: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
    event["detail"]["findings"][0].take()
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn parse(raw: &Value) -> Finding {
    Finding::from_asff(raw, "detail.findings[0]").unwrap_or_else(|e| panic!("fixture: {e}"))
}

/// The state store as a map: what check-seen and age-check ask of DynamoDB, without the wire.
#[derive(Default)]
struct MemoryStore {
    records: HashMap<FindingId, SeenRecord>,
}

impl MemoryStore {
    fn get(&self, id: &FindingId) -> Option<SeenRecord> {
        self.records.get(id).cloned()
    }

    /// `attribute_not_exists(pk)`: `true` when this call recorded it.
    fn claim_new(&mut self, record: &SeenRecord) -> bool {
        if self.records.contains_key(&record.finding_id) {
            return false;
        }
        self.records
            .insert(record.finding_id.clone(), record.clone());
        true
    }
}

/// check-seen's decision, step for step (crates/check-seen/src/lib.rs `decide`, less the ECR
/// lookup, which only ECR image findings make), then age-check's for a seen finding.
fn decide(
    store: &mut MemoryStore,
    policy: &AlertPolicy,
    finding: &Finding,
    now: DateTime<Utc>,
) -> StepDecision {
    let terminal = |kind, reason: String| StepDecision::new("event-1", finding, kind, reason, None);
    if let Some(why) = resolution(finding) {
        store.records.remove(&finding.id);
        return terminal(DecisionKind::Resolved, why.to_owned());
    }
    if let Some(why) = policy.ignore_reason(finding) {
        return terminal(DecisionKind::Ignored, why);
    }
    if let Some(record) = store.get(&finding.id) {
        return match policy.renotify.is_due(&record, finding, now) {
            Due::NotYet { .. } => {
                let _refresh = record.needs_last_seen_refresh(now).then(|| expires_at(now));
                StepDecision::new(
                    "event-1",
                    finding,
                    DecisionKind::Suppressed,
                    "within its renotify_after window".into(),
                    Some(record),
                )
            }
            Due::NeverAlerted | Due::Escalated { .. } | Due::WindowElapsed { .. } => {
                let updated = record.realerted(finding, now);
                let claim = updated.claim(Some(&record));
                let mut decision = StepDecision::new(
                    "event-1",
                    finding,
                    DecisionKind::Realert,
                    "due".into(),
                    Some(updated),
                );
                decision.claim = Some(claim);
                decision
            }
        };
    }
    let record = SeenRecord::first_sighting(finding, now);
    store.claim_new(&record);
    let claim = record.claim(None);
    let mut decision = StepDecision::new(
        "event-1",
        finding,
        DecisionKind::New,
        "first time seen".into(),
        Some(record),
    );
    decision.claim = Some(claim);
    decision
}

/// score-and-summarise with no model (the prompt is built all the same), then render-html-email.
fn assess_and_render(finding: &Finding, decision: &StepDecision) -> Option<Email> {
    let record = decision.record.as_ref()?;
    let score = score(finding);
    let prompt = build_prompt(finding, &score);
    black_box(&prompt);
    let summary = fallback(finding, &score, "Bedrock is off");
    let to = ["security-team@example.com".to_owned()];
    Some(render(&AlertFacts {
        finding,
        decision,
        record,
        score: &score,
        summary: &summary,
        account_alias: Some("production"),
        from: FROM,
        to: &to,
    }))
}

/// One delivery, the whole way: the raw finding in, the decision and (for an alert) the MIME
/// message the mailer sends (SES `Content.Raw`, the outbox's `.eml`) out.
fn per_finding(
    store: &mut MemoryStore,
    policy: &AlertPolicy,
    raw: &Value,
    now: DateTime<Utc>,
) -> Option<String> {
    let finding = parse(raw);
    let decision = decide(store, policy, &finding, now);
    if decision.kind.alerts() {
        assess_and_render(&finding, &decision).map(|email| to_mime(&email, now))
    } else {
        None
    }
}

fn asff_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("asff_parse");
    for (name, path) in [("2KB", SMALL), ("200KB", HUGE)] {
        let raw = raw_finding(path);
        let text = raw.to_string();
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("from_asff", name), &raw, |b, raw| {
            b.iter(|| parse(black_box(raw)));
        });
        // What the Lambda does with the bytes it is handed: JSON text to a value, then to a
        // finding.
        group.bench_with_input(
            BenchmarkId::new("from_json_text", name),
            &text,
            |b, text| {
                b.iter(|| {
                    let value: Value = serde_json::from_str(black_box(text)).unwrap_or_default();
                    parse(&value)
                });
            },
        );
        // What the local replay does: JSON text onto a tape, then to a finding.
        group.bench_with_input(
            BenchmarkId::new("from_json_text_on_a_tape", name),
            &text,
            |b, text| {
                b.iter(|| {
                    let tape =
                        JsonTape::parse(black_box(text)).unwrap_or_else(|e| panic!("fixture: {e}"));
                    Finding::from_asff(tape.root(), "detail.findings[0]")
                        .unwrap_or_else(|e| panic!("fixture: {e}"))
                });
            },
        );
    }
    group.finish();
}

fn dedup_decision(c: &mut Criterion) {
    let finding = parse(&raw_finding(SMALL));
    let policy = AlertPolicy::default();
    let now = at("2026-11-30T10:00:00Z");
    let mut group = c.benchmark_group("dedup_decision");
    group.bench_function("new", |b| {
        b.iter(|| {
            decide(
                &mut MemoryStore::default(),
                &policy,
                black_box(&finding),
                now,
            )
        });
    });
    let mut seen = MemoryStore::default();
    seen.claim_new(&SeenRecord::first_sighting(
        &finding,
        now - Duration::hours(2),
    ));
    group.bench_function("duplicate_within_window", |b| {
        b.iter(|| decide(&mut seen, &policy, black_box(&finding), now));
    });
    let mut due = MemoryStore::default();
    due.claim_new(&SeenRecord::first_sighting(
        &finding,
        now - Duration::days(30),
    ));
    group.bench_function("realert", |b| {
        b.iter(|| decide(&mut due, &policy, black_box(&finding), now));
    });
    group.finish();
}

fn score_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("score");
    for (name, path) in [("2KB", SMALL), ("200KB", HUGE)] {
        let finding = parse(&raw_finding(path));
        group.bench_with_input(BenchmarkId::from_parameter(name), &finding, |b, f| {
            b.iter(|| score(black_box(f)));
        });
    }
    group.finish();
}

fn summary_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("summary");
    for (name, path) in [("2KB", SMALL), ("200KB", HUGE)] {
        let finding = parse(&raw_finding(path));
        let score = score(&finding);
        group.bench_with_input(BenchmarkId::new("build_prompt", name), &finding, |b, f| {
            b.iter(|| build_prompt(black_box(f), &score))
        });
        group.bench_with_input(BenchmarkId::new("fallback", name), &finding, |b, f| {
            b.iter(|| fallback(black_box(f), &score, "Bedrock is off"))
        });
    }
    group.finish();
}

fn email_render(c: &mut Criterion) {
    let now = at("2026-11-30T10:00:00Z");
    let mut group = c.benchmark_group("email_render");
    for (name, path) in [("2KB", SMALL), ("200KB", HUGE)] {
        let finding = parse(&raw_finding(path));
        let decision = decide(
            &mut MemoryStore::default(),
            &AlertPolicy::default(),
            &finding,
            now,
        );
        group.bench_with_input(
            BenchmarkId::new("render", name),
            &(&finding, &decision),
            |b, (f, d)| b.iter(|| assess_and_render(black_box(f), black_box(d))),
        );
        if let Some(email) = assess_and_render(&finding, &decision) {
            group.bench_with_input(BenchmarkId::new("to_mime", name), &email, |b, email| {
                b.iter(|| to_mime(black_box(email), now));
            });
        }
    }
    group.finish();
}

fn whole_path(c: &mut Criterion) {
    let policy = AlertPolicy::default();
    let now = at("2026-11-30T10:00:00Z");
    let mut group = c.benchmark_group("per_finding_path");
    for (name, path) in [("2KB", SMALL), ("200KB", HUGE)] {
        let raw = raw_finding(path);
        let id = parse(&raw).id;
        // A first sighting: every step runs, and an email is rendered.
        group.bench_with_input(BenchmarkId::new("new", name), &raw, |b, raw| {
            let mut store = MemoryStore::default();
            b.iter(|| {
                store.records.remove(&id);
                per_finding(&mut store, &policy, black_box(raw), now)
            });
        });
        // The common case: a duplicate inside its window ends after the decision.
        group.bench_with_input(BenchmarkId::new("duplicate", name), &raw, |b, raw| {
            let mut store = MemoryStore::default();
            per_finding(&mut store, &policy, raw, now - Duration::hours(2));
            b.iter(|| per_finding(&mut store, &policy, black_box(raw), now));
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    asff_parse,
    dedup_decision,
    score_bench,
    summary_bench,
    email_render,
    whole_path
);
criterion_main!(benches);
