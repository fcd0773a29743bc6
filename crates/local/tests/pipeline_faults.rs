//! The real definition under faults: the local runner executes `statemachine/pipeline.asl.json`
//! with the real handlers on the local adapters, while a mailer that fails on purpose (a test
//! double wrapping the real `FolderMailer`) makes RenderAndSendEmail fail. Its `Retry` and its
//! `Catch` to ReleaseClaim are the definition's own; the tests assert the emails written and the
//! record left behind.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use hushhub_core::config::AlertPolicy;
use hushhub_core::email::Email;
use hushhub_core::error_names;
use hushhub_core::ports::{Clock, FixedClock, Mailer, SendError, SentEmail};
use hushhub_core::routing::Routes;
use hushhub_local::{
    EventResult, FolderMailer, Functions, JsonlImageRegistry, LocalPipeline, OfflineSummariser,
    PIPELINE_DEFINITION, SqliteSeenStore,
};
use serde_json::Value;

/// How the mailer fails.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Throttling: `SendError::Transient`, which the definition retries.
    Throttled,
    /// `SendError::Rejected`, which it does not.
    Rejected,
}

/// The real folder mailer behind a switch that fails the next `failures` sends.
struct FailingMailer {
    inner: FolderMailer,
    fault: Fault,
    failures: AtomicU32,
    attempts: AtomicU32,
}

impl FailingMailer {
    fn fail_next(&self, failures: u32) {
        self.failures.store(failures, Ordering::SeqCst);
    }
}

impl Mailer for FailingMailer {
    async fn send(&self, email: &Email) -> Result<SentEmail, SendError> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        match (failing, self.fault) {
            (false, _) => self.inner.send(email).await,
            (true, Fault::Throttled) => Err(SendError::Transient("injected: throttled".into())),
            (true, Fault::Rejected) => Err(SendError::Rejected("injected: rejected".into())),
        }
    }
}

/// The local pipeline on an in-memory store, with the failing mailer writing to a fresh folder.
struct Local {
    pipeline: LocalPipeline<JsonlImageRegistry, OfflineSummariser, FailingMailer>,
    store: Arc<SqliteSeenStore>,
    outbox: PathBuf,
}

impl Local {
    fn new(fault: Fault) -> Local {
        static RUN: AtomicU64 = AtomicU64::new(0);
        let outbox = std::env::temp_dir().join(format!(
            "hushhub-pipeline-faults-{}-{}",
            std::process::id(),
            RUN.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&outbox);
        let store = Arc::new(SqliteSeenStore::in_memory().expect("store"));
        let clock = Arc::new(FixedClock::new(DateTime::<Utc>::UNIX_EPOCH));
        let shared: Arc<dyn Clock> = clock.clone();
        let policy = AlertPolicy::default();
        let functions = Functions {
            check_seen: check_seen::Ports {
                store: store.clone(),
                registry: JsonlImageRegistry::empty(shared.clone()),
                clock: clock.clone(),
                policy: policy.clone(),
            },
            age_check: age_check::Ports {
                store: store.clone(),
                clock: clock.clone(),
                renotify: policy.renotify,
            },
            score_and_summarise: score_and_summarise::Ports {
                summariser: OfflineSummariser,
                summary_cache: store.clone(),
                model_id: String::new(),
            },
            render_html_email: render_html_email::Ports {
                mailer: FailingMailer {
                    inner: FolderMailer::new(&outbox, shared).expect("outbox"),
                    fault,
                    failures: AtomicU32::new(0),
                    attempts: AtomicU32::new(0),
                },
                sender: "hushhub@example.com".into(),
                routes: Routes::only_default(vec!["security-team@example.com".into()]),
                account_aliases: Default::default(),
            },
        };
        let mut pipeline =
            LocalPipeline::new(PIPELINE_DEFINITION, functions, clock).expect("pipeline");
        pipeline.trace = true;
        Local {
            pipeline,
            store,
            outbox,
        }
    }

    fn mailer(&self) -> &FailingMailer {
        &self.pipeline.functions().render_html_email.mailer
    }

    fn run(&mut self, event: &Value) -> EventResult {
        self.pipeline.run_event(event.clone())
    }

    fn emails(&self) -> usize {
        std::fs::read_dir(&self.outbox)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .count()
            })
            .unwrap_or(0)
    }

    fn alert_count(&self, event: &Value) -> Option<u32> {
        let id = event["detail"]["findings"][0]["Id"].as_str().expect("Id");
        self.store
            .record(id)
            .expect("store readable")
            .map(|r| r.alert_count)
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.outbox);
    }
}

/// A sample event (CRITICAL, 2026-10-01T02:12:23Z): its window is one day.
fn critical() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/events/inspector-ec2-package-cve-critical.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("sample event")).expect("json")
}

/// The same event delivered again at `time`, under another id.
fn redelivered(event: &Value, id: &str, time: &str) -> Value {
    let mut e = event.clone();
    e["id"] = Value::from(id);
    e["time"] = Value::from(time);
    e["detail"]["findings"][0]["UpdatedAt"] = Value::from(time);
    e
}

fn decisions(result: &EventResult) -> Vec<&str> {
    result
        .findings
        .iter()
        .map(|f| f.decision.as_str())
        .collect()
}

/// The states entered, in order, with retries.
fn trace(result: &EventResult) -> Vec<String> {
    let execution = result.execution.as_ref().expect("an execution");
    execution.trace.iter().map(ToString::to_string).collect()
}

fn retry_max_attempts(state: &str) -> u32 {
    let definition: Value = serde_json::from_str(PIPELINE_DEFINITION).expect("definition");
    definition["States"]["Findings"]["ItemProcessor"]["States"][state]["Retry"][0]["MaxAttempts"]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .expect("MaxAttempts")
}

#[test]
fn mailer_throttled_then_recovering_is_retried_by_the_definition_and_sends_one_email() {
    let mut local = Local::new(Fault::Throttled);
    let event = critical();
    let max = retry_max_attempts("RenderAndSendEmail");
    local.mailer().fail_next(max);

    let result = local.run(&event);

    assert_eq!(decisions(&result), ["new"], "{:?}", result.findings);
    assert_eq!(local.emails(), 1);
    assert_eq!(local.mailer().attempts.load(Ordering::SeqCst), max + 1);
    let execution = result.execution.as_ref().expect("execution");
    assert_eq!(execution.stats.retries, u64::from(max));
    let t = trace(&result);
    assert!(
        t.contains(&format!("[0] RenderAndSendEmail (retry {max})")),
        "{t:?}"
    );
    assert!(!t.iter().any(|s| s.contains("ReleaseClaim")), "{t:?}");
    assert_eq!(local.alert_count(&event), Some(1));
}

#[test]
fn mailer_throttled_past_every_retry_releases_the_claim_and_the_next_delivery_alerts() {
    let mut local = Local::new(Fault::Throttled);
    let event = critical();
    let max = retry_max_attempts("RenderAndSendEmail");
    local.mailer().fail_next(max + 1);

    let result = local.run(&event);

    let failure = result
        .execution
        .as_ref()
        .and_then(|e| e.failure())
        .expect("the execution fails");
    assert_eq!(failure.error, error_names::SEND_FAILED);
    assert_eq!(decisions(&result), ["failed"]);
    assert!(trace(&result).contains(&"[0] ReleaseClaim".to_owned()));
    assert_eq!(local.emails(), 0);
    assert_eq!(local.alert_count(&event), None, "back to never alerted");

    let next = local.run(&redelivered(&event, "redelivery-1", "2026-10-01T02:30:00Z"));
    assert_eq!(decisions(&next), ["new"], "{:?}", next.findings);
    assert_eq!(local.emails(), 1, "one email in total");
}

#[test]
fn mailer_rejecting_for_good_runs_release_claim_and_fails_with_send_failed() {
    let mut local = Local::new(Fault::Rejected);
    let event = critical();
    local.mailer().fail_next(1);

    let result = local.run(&event);

    let failure = result
        .execution
        .as_ref()
        .and_then(|e| e.failure())
        .expect("the execution fails");
    assert_eq!(failure.error, error_names::SEND_FAILED);
    assert_eq!(failure.state, "SendFailed");
    assert_eq!(failure.map_items, [0]);
    assert_eq!(
        trace(&result),
        [
            "Findings",
            "[0] CheckSeen",
            "[0] RouteBySeen",
            "[0] ScoreAndSummarise",
            "[0] RenderAndSendEmail",
            "[0] ReleaseClaim",
            "[0] SendFailed",
        ],
        "a rejection is not retried"
    );
    assert_eq!(local.mailer().attempts.load(Ordering::SeqCst), 1);
    assert_eq!(local.emails(), 0);
    assert_eq!(local.alert_count(&event), None, "back to never alerted");

    // A later delivery alerts as new.
    let next = local.run(&redelivered(&event, "redelivery-1", "2026-10-01T03:00:00Z"));
    assert_eq!(decisions(&next), ["new"], "{:?}", next.findings);
    assert_eq!(local.emails(), 1);
    assert_eq!(local.alert_count(&event), Some(1));
}

#[test]
fn mailer_rejecting_a_realert_puts_the_previous_alert_back() {
    let mut local = Local::new(Fault::Rejected);
    let event = critical();
    assert_eq!(decisions(&local.run(&event)), ["new"]);

    local.mailer().fail_next(1);
    let due = local.run(&redelivered(&event, "redelivery-1", "2026-10-02T03:00:00Z"));
    assert_eq!(decisions(&due), ["failed"]);
    assert_eq!(
        local.alert_count(&event),
        Some(1),
        "the re-alert was given back"
    );

    let again = local.run(&redelivered(&event, "redelivery-2", "2026-10-02T03:05:00Z"));
    assert_eq!(decisions(&again), ["realert"], "{:?}", again.findings);
    assert_eq!(local.emails(), 2);
    assert_eq!(local.alert_count(&event), Some(2));
}
