//! Test harness for hushhub's end-to-end tests: fixtures, event builders, and the local
//! pipeline (the real definition on local adapters) in a temporary folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hushhub_core::config::AlertPolicy;
use hushhub_core::finding::AccountId;
use hushhub_core::finding::{Finding, ImportedEvent};
use hushhub_core::ports::{Clock, FixedClock};
use hushhub_core::routing::Routes;
use hushhub_core::score::score;
use hushhub_core::seen::SeenRecord;
use hushhub_core::steps::{Assessment, DecisionKind, RenderInput, StepDecision};
use hushhub_core::summary::fallback;
use hushhub_local::{
    FindingResult, FolderMailer, Functions, JsonlImageRegistry, LocalPipeline, OfflineSummariser,
    PIPELINE_DEFINITION, SqliteSeenStore,
};
use serde_json::Value;

pub mod emf;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Reads a JSON fixture relative to the workspace root, e.g. `examples/events/cspm-s3-1-failed.json`.
pub fn fixture(path: &str) -> Value {
    let full = root().join(path);
    let text = std::fs::read_to_string(&full)
        .unwrap_or_else(|e| panic!("reading {}: {e}", full.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", full.display()))
}

/// A sample event from `examples/events/`.
pub fn sample(name: &str) -> Value {
    fixture(&format!("examples/events/{name}.json"))
}

/// The same event as delivered again later: a new event id and time, and each finding's
/// `UpdatedAt` moved to that time (what a Security Hub re-import looks like).
pub fn redelivered(event: &Value, event_id: &str, at: &str) -> Value {
    let mut e = event.clone();
    e["id"] = Value::from(event_id);
    e["time"] = Value::from(at);
    if let Some(findings) = e["detail"]["findings"].as_array_mut() {
        for f in findings {
            f["UpdatedAt"] = Value::from(at);
        }
    }
    e
}

/// Applies `change` to every finding of `event`.
pub fn with_findings(event: &Value, change: impl Fn(&mut Value)) -> Value {
    let mut e = event.clone();
    if let Some(findings) = e["detail"]["findings"].as_array_mut() {
        findings.iter_mut().for_each(change);
    }
    e
}

/// The first finding's `Id`.
pub fn finding_id(event: &Value) -> String {
    event["detail"]["findings"][0]["Id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The recipient of the default route in every [`Harness`].
pub const DEFAULT_RECIPIENT: &str = "security-team@example.com";

/// The default route's recipients: [`DEFAULT_RECIPIENT`].
pub fn default_recipients() -> Vec<String> {
    vec![DEFAULT_RECIPIENT.to_owned()]
}

/// The local pipeline in a temporary folder.
pub struct Harness {
    pub pipeline: LocalPipeline<JsonlImageRegistry, OfflineSummariser, FolderMailer>,
    pub store: Arc<SqliteSeenStore>,
    pub outbox: PathBuf,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// Default policy (the documented defaults), no ECR images file.
    pub fn new() -> Self {
        Self::with(AlertPolicy::default(), None)
    }

    /// A given policy, and optionally the text of an ECR images file.
    pub fn with(policy: AlertPolicy, ecr_images: Option<&str>) -> Self {
        Self::with_aliases(policy, ecr_images, BTreeMap::new())
    }

    /// As [`Harness::with`], and the emails name accounts by these aliases
    /// (`HUSHHUB_ACCOUNT_ALIASES`).
    pub fn with_aliases(
        policy: AlertPolicy,
        ecr_images: Option<&str>,
        account_aliases: BTreeMap<AccountId, String>,
    ) -> Self {
        Self::build(
            policy,
            ecr_images,
            account_aliases,
            Routes::only_default(default_recipients()),
        )
    }

    /// Default policy, and alerts routed by `routes` (`HUSHHUB_ROUTES`, with
    /// [`DEFAULT_RECIPIENT`] as the default route).
    pub fn with_routes(routes: Routes) -> Self {
        Self::with_policy_and_routes(AlertPolicy::default(), routes)
    }

    /// A given policy, and these routes.
    pub fn with_policy_and_routes(policy: AlertPolicy, routes: Routes) -> Self {
        Self::build(policy, None, BTreeMap::new(), routes)
    }

    fn build(
        policy: AlertPolicy,
        ecr_images: Option<&str>,
        account_aliases: BTreeMap<AccountId, String>,
        routes: Routes,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store =
            Arc::new(SqliteSeenStore::open(&dir.path().join("state.sqlite")).expect("state file"));
        let clock = Arc::new(FixedClock::new(DateTime::<Utc>::UNIX_EPOCH));
        let shared: Arc<dyn Clock> = clock.clone();
        let registry = match ecr_images {
            Some(text) => {
                let path = dir.path().join("images.jsonl");
                std::fs::write(&path, text).expect("images file");
                JsonlImageRegistry::load(&path, shared.clone()).expect("images file loads")
            }
            None => JsonlImageRegistry::empty(shared.clone()),
        };
        let outbox = dir.path().join("outbox");
        let functions = Functions {
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
            score_and_summarise: score_and_summarise::Ports {
                summariser: OfflineSummariser,
                summary_cache: store.clone(),
                model_id: String::new(),
            },
            render_html_email: render_html_email::Ports {
                mailer: FolderMailer::new(&outbox, shared).expect("outbox"),
                sender: "hushhub@example.com".into(),
                routes,
                account_aliases,
            },
        };
        let pipeline =
            LocalPipeline::new(PIPELINE_DEFINITION, functions, clock).expect("pipeline builds");
        Self {
            pipeline,
            store,
            outbox,
            _dir: dir,
        }
    }

    /// Delivers one event through the definition; one result per finding.
    pub fn deliver(&mut self, event: &Value) -> Vec<FindingResult> {
        self.pipeline.run_event(event.clone()).findings
    }

    /// Delivers one event and returns its decisions as words.
    pub fn decisions(&mut self, event: &Value) -> Vec<String> {
        self.deliver(event)
            .into_iter()
            .map(|r| r.decision)
            .collect()
    }

    /// The `.eml` files written so far, in order.
    pub fn emails(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.outbox)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|x| x == "eml"));
        files.sort();
        files
    }

    /// The value of header `name` in an `.eml` file (its first occurrence).
    pub fn header(eml: &Path, name: &str) -> Option<String> {
        let text = std::fs::read_to_string(eml).expect("eml readable");
        let prefix = format!("{name}: ");
        text.lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| l.strip_prefix(&prefix).map(str::to_owned))
    }

    /// The stored record of a finding.
    pub fn record(&self, finding_id: &str) -> Option<SeenRecord> {
        self.store.record(finding_id).expect("store readable")
    }

    /// How many findings are recorded.
    pub fn recorded(&self) -> u64 {
        self.store.count().expect("store readable")
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// RenderAndSendEmail's input for the first alert of `event`'s first finding: claimed at the
/// finding's `UpdatedAt`, scored, with the deterministic summary.
pub fn first_alert_render_input(event: &Value) -> RenderInput {
    let event = ImportedEvent::from_value(event.clone()).expect("a valid event");
    let finding =
        Finding::read(&event.findings()[0], event.format(), "detail.findings[0]").expect("valid");
    let record = SeenRecord::first_sighting(&finding, finding.updated_at);
    let decision = StepDecision::new(
        "evt",
        &finding,
        DecisionKind::New,
        "first time seen".into(),
        Some(record),
    );
    let score = score(&finding);
    let summary = fallback(&finding, &score, "offline");
    RenderInput {
        event_id: "evt".into(),
        finding,
        decision,
        assessment: Assessment { score, summary },
    }
}
