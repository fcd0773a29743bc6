//! One CloudWatch embedded-metric-format (EMF) log line per decision, so the dashboard can count
//! new, re-alerted, suppressed, resolved, ignored and rejected findings, failed sends and
//! fallback summaries by severity and account without any metrics API call.
//!
//! The lines are built here, purely; where they go is set once per process by [`set_sink`]. The
//! Lambdas print them to stdout (CloudWatch Logs extracts the metrics); the local replay sets no
//! sink, so its output stays one line per finding.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::finding::{AccountId, Severity};
use crate::steps::DecisionKind;

/// The CloudWatch namespace of every hushhub metric.
pub const NAMESPACE: &str = "hushhub";
/// The dimension set of every metric: one time series per severity and account.
pub const DIMENSIONS: [&str; 2] = ["severity", "account"];
/// The dimension value when the finding could not be read (a rejected finding).
pub const UNKNOWN: &str = "unknown";

/// What is counted: the final decisions, plus the two failures an operator watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    New,
    Realert,
    Suppressed,
    Resolved,
    Ignored,
    Rejected,
    /// An alert was claimed but its email could not be sent.
    SendFailed,
    /// An alert went out with the deterministic summary because the model's failed.
    SummaryFallback,
}

impl Metric {
    /// Every metric, in the dashboard's order.
    pub const ALL: [Metric; 8] = [
        Self::New,
        Self::Realert,
        Self::Suppressed,
        Self::Resolved,
        Self::Ignored,
        Self::Rejected,
        Self::SendFailed,
        Self::SummaryFallback,
    ];

    /// The metric name: the decision's word, so logs, replay and dashboard say the same.
    pub fn name(self) -> &'static str {
        match self {
            Self::New => DecisionKind::New.as_str(),
            Self::Realert => DecisionKind::Realert.as_str(),
            Self::Suppressed => DecisionKind::Suppressed.as_str(),
            Self::Resolved => DecisionKind::Resolved.as_str(),
            Self::Ignored => DecisionKind::Ignored.as_str(),
            Self::Rejected => DecisionKind::Rejected.as_str(),
            Self::SendFailed => "send_failed",
            Self::SummaryFallback => "summary_fallback",
        }
    }

    /// The metric of a final decision; `None` for `seen`, which age-check has yet to decide.
    pub fn of_decision(kind: DecisionKind) -> Option<Metric> {
        match kind {
            DecisionKind::New => Some(Self::New),
            DecisionKind::Realert => Some(Self::Realert),
            DecisionKind::Suppressed => Some(Self::Suppressed),
            DecisionKind::Resolved | DecisionKind::ResolvedNotice => Some(Self::Resolved),
            DecisionKind::Ignored => Some(Self::Ignored),
            DecisionKind::Rejected => Some(Self::Rejected),
            DecisionKind::Seen => None,
        }
    }
}

/// One EMF line counting `metric` once for a finding of `severity` in `account` at `at`.
pub fn emf_line(
    metric: Metric,
    severity: Option<Severity>,
    account: Option<&AccountId>,
    at: DateTime<Utc>,
) -> String {
    let value: Value = json!({
        "_aws": {
            "Timestamp": at.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [DIMENSIONS],
                "Metrics": [{ "Name": metric.name(), "Unit": "Count" }],
            }],
        },
        "severity": severity.map_or(UNKNOWN, Severity::label),
        "account": account.map_or(UNKNOWN, AccountId::as_str),
        metric.name(): 1,
    });
    value.to_string()
}

static SINK: OnceLock<fn(&str)> = OnceLock::new();

/// Where this process's metric lines go; the first call wins. Without one they are dropped.
pub fn set_sink(sink: fn(&str)) {
    let _ = SINK.set(sink);
}

/// Counts `metric` once: builds its line and hands it to the sink, if one is set.
pub fn record(
    metric: Metric,
    severity: Option<Severity>,
    account: Option<&AccountId>,
    at: DateTime<Utc>,
) {
    if let Some(sink) = SINK.get() {
        sink(&emf_line(metric, severity, account, at));
    }
}
