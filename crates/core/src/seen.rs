//! The dedup state of a finding and the pure decisions made on it: new, seen, due or quiet,
//! resolved, ignored.
//!
//! Stores only persist what these functions decide; the decisions themselves never touch I/O,
//! so the DynamoDB and SQLite adapters cannot disagree on what "due" means.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::finding::{
    AccountId, ComplianceStatus, Finding, FindingFormat, FindingId, RecordState, Severity,
    WorkflowStatus,
};
use crate::summary_cache::CachedSummary;

/// Security Hub deletes active findings not updated for 90 days; the record's TTL follows, as a
/// safety net behind the daily reaper.
pub const RECORD_TTL_DAYS: i64 = 90;
/// A quiet duplicate refreshes `last_seen_at` at most this often, so most duplicates cost no
/// write at all.
pub const LAST_SEEN_REFRESH_HOURS: i64 = 24;

/// What hushhub remembers of a finding (one DynamoDB item, one SQLite row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeenRecord {
    pub finding_id: FindingId,
    pub product_arn: String,
    pub account_id: AccountId,
    pub region: String,
    pub title: String,
    /// The severity at the last alert: a higher one escalates at once.
    pub severity: Severity,
    #[serde(with = "crate::timestamp")]
    pub first_seen_at: DateTime<Utc>,
    #[serde(with = "crate::timestamp")]
    pub last_seen_at: DateTime<Utc>,
    #[serde(with = "crate::timestamp")]
    pub last_alerted_at: DateTime<Utc>,
    pub alert_count: u32,
    #[serde(with = "crate::timestamp")]
    pub expires_at: DateTime<Utc>,
    /// The last model-written summary and the hash of its inputs: a re-alert of an unchanged
    /// finding sends it again without asking the model. Kept across re-alerts and releases.
    /// Boxed: most records carry none, and a record is copied between every state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_cache: Option<Box<CachedSummary>>,
    /// The delivery that made the last claim: a retry of that same delivery (its answer was
    /// lost, so Step Functions ran the Task again) finds its own claim here and goes on with
    /// the alert instead of taking it for another delivery's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_token: Option<ClaimToken>,
    /// The schema of the finding: the daily reaper looks up ASFF findings only, and keeps the
    /// others rather than take them for gone.
    #[serde(default, skip_serializing_if = "FindingFormat::is_asff")]
    pub finding_format: FindingFormat,
}

impl SeenRecord {
    /// The record of a finding seen for the first time, claiming its first alert at `now`.
    pub fn first_sighting(finding: &Finding, now: DateTime<Utc>) -> SeenRecord {
        SeenRecord {
            finding_id: finding.id.clone(),
            product_arn: finding.product_arn.clone(),
            account_id: finding.account_id.clone(),
            region: finding.region.clone(),
            title: finding.title.clone(),
            severity: finding.severity,
            first_seen_at: now,
            last_seen_at: now,
            last_alerted_at: now,
            alert_count: 1,
            expires_at: expires_at(now),
            summary_cache: None,
            claim_token: None,
            finding_format: finding.format,
        }
    }

    /// This record as claimed by the delivery `token`.
    pub fn claimed_by(self, token: ClaimToken) -> SeenRecord {
        SeenRecord {
            claim_token: Some(token),
            ..self
        }
    }

    /// Whether the last claim on this record was made by the delivery `token`.
    pub fn is_claimed_by(&self, token: &ClaimToken) -> bool {
        self.claim_token.as_ref() == Some(token)
    }

    /// The record of a finding first seen at `now` while a silence held: tracked like any other,
    /// but not alerted (`alert_count` 0), so it is due as soon as the silence ends.
    pub fn first_sighting_silenced(finding: &Finding, now: DateTime<Utc>) -> SeenRecord {
        SeenRecord {
            alert_count: 0,
            ..Self::first_sighting(finding, now)
        }
    }

    /// This record after a re-alert claimed at `now`.
    pub fn realerted(&self, finding: &Finding, now: DateTime<Utc>) -> SeenRecord {
        self.realerted_as(&finding.title, finding.severity, now)
    }

    /// [`SeenRecord::realerted`] from the finding's title and severity alone.
    pub fn realerted_as(&self, title: &str, severity: Severity, now: DateTime<Utc>) -> SeenRecord {
        SeenRecord {
            title: title.to_owned(),
            severity,
            last_seen_at: now,
            last_alerted_at: now,
            alert_count: self.alert_count.saturating_add(1),
            expires_at: expires_at(now),
            // A re-alert is claimed by the delivery that makes it, never the one before.
            claim_token: None,
            ..self.clone()
        }
    }

    /// Whether a quiet duplicate should refresh `last_seen_at` (and so the TTL).
    pub fn needs_last_seen_refresh(&self, now: DateTime<Utc>) -> bool {
        now - self.last_seen_at >= Duration::hours(LAST_SEEN_REFRESH_HOURS)
    }

    /// The claim this record holds on its last alert, with what to put back if sending fails.
    pub fn claim(&self, previous: Option<&SeenRecord>) -> Claim {
        Claim {
            finding_id: self.finding_id.clone(),
            claimed_at: self.last_alerted_at,
            token: self.claim_token.clone(),
            previous: previous.map(|p| PreviousAlert {
                last_alerted_at: p.last_alerted_at,
                severity: p.severity,
                alert_count: p.alert_count,
            }),
        }
    }
}

/// What a request to escalate now gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscalateNow {
    /// Alert now: the `renotify_after` window does not apply.
    Alert,
    /// An alert went out at `at`, within [`ESCALATE_NOW_QUIET_MINUTES`]: it answers this request.
    AlreadyAlerted { at: DateTime<Utc> },
}

/// Whether a finding last alerted as `record` is alerted when someone asks for it at `now`
/// (escalate now): at once, unless an alert went out within [`ESCALATE_NOW_QUIET_MINUTES`].
/// The claim that follows is the same conditional write as any re-alert's, so of two requests
/// at the same moment exactly one wins, and a request just after it finds the alert it sent.
pub fn escalate_now(record: &SeenRecord, now: DateTime<Utc>) -> EscalateNow {
    if record.alert_count > 0
        && now - record.last_alerted_at < Duration::minutes(ESCALATE_NOW_QUIET_MINUTES)
    {
        EscalateNow::AlreadyAlerted {
            at: record.last_alerted_at,
        }
    } else {
        EscalateNow::Alert
    }
}

/// When a record seen at `last_seen_at` may expire.
pub fn expires_at(last_seen_at: DateTime<Utc>) -> DateTime<Utc> {
    last_seen_at + Duration::days(RECORD_TTL_DAYS)
}

/// Which delivery of a finding made a claim: the Step Functions execution and the finding's
/// position in its Map. A Task retried by the definition runs with the same input, so it has the
/// same token; a second execution of the same event (Express runs at-least-once) has another.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClaimToken(String);

impl ClaimToken {
    /// The token of the finding at `index` of the Map of execution `execution_id`.
    pub fn for_delivery(execution_id: &str, index: usize) -> Self {
        Self(format!("{execution_id}#{index}"))
    }

    /// A token as a store holds it.
    pub fn from_stored(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClaimToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An alert claimed but not yet sent; `ReleaseClaim` gives it back if sending fails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub finding_id: FindingId,
    /// The `last_alerted_at` written by the claim: the release only applies while it still holds.
    #[serde(with = "crate::timestamp")]
    pub claimed_at: DateTime<Utc>,
    /// The delivery that claimed: the release also requires it, so a claim re-made by another
    /// delivery in the same millisecond is never given back by this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<ClaimToken>,
    /// The alert before this one; `None` for a new finding, whose record the release deletes.
    pub previous: Option<PreviousAlert>,
}

/// What a re-alert claim overwrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviousAlert {
    #[serde(with = "crate::timestamp")]
    pub last_alerted_at: DateTime<Utc>,
    pub severity: Severity,
    pub alert_count: u32,
}

/// `renotify_after` per severity: how long a seen finding stays quiet after an alert.
///
/// A severity without a window never re-alerts on time alone (it still escalates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenotifyPolicy {
    windows: BTreeMap<Severity, Duration>,
}

impl Default for RenotifyPolicy {
    fn default() -> Self {
        crate::config::DEFAULT_RENOTIFY_AFTER
            .parse()
            .unwrap_or(Self {
                windows: BTreeMap::new(),
            })
    }
}

/// A second "escalate now" within this many minutes of an alert is taken for the same request
/// (a double click, or two people on the same finding) and sends nothing more.
pub const ESCALATE_NOW_QUIET_MINUTES: i64 = 10;

/// Why a seen finding alerts again, or when it will.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// The severity rose above the one last alerted: alert at once.
    Escalated { from: Severity, to: Severity },
    /// The `renotify_after` window of the severity has passed since the last alert.
    WindowElapsed { window: Duration },
    /// Recorded but never alerted (it was silenced when first seen): alert now.
    NeverAlerted,
    /// Quiet; `next_due_at` is `None` when the severity has no window.
    NotYet { next_due_at: Option<DateTime<Utc>> },
}

impl RenotifyPolicy {
    /// Builds a policy from explicit windows.
    pub fn new(windows: impl IntoIterator<Item = (Severity, Duration)>) -> Self {
        Self {
            windows: windows.into_iter().collect(),
        }
    }

    /// The window of a severity, if it has one.
    pub fn window(&self, severity: Severity) -> Option<Duration> {
        self.windows.get(&severity).copied()
    }

    /// Whether `finding`, last alerted as `record`, is due for another alert at `now`.
    pub fn is_due(&self, record: &SeenRecord, finding: &Finding, now: DateTime<Utc>) -> Due {
        self.is_due_at(record, finding.severity, now)
    }

    /// [`RenotifyPolicy::is_due`] for a finding now at `severity`.
    pub fn is_due_at(&self, record: &SeenRecord, severity: Severity, now: DateTime<Utc>) -> Due {
        if record.alert_count == 0 {
            return Due::NeverAlerted;
        }
        if severity > record.severity {
            return Due::Escalated {
                from: record.severity,
                to: severity,
            };
        }
        match self.window(severity) {
            Some(window) if now - record.last_alerted_at >= window => Due::WindowElapsed { window },
            Some(window) => Due::NotYet {
                next_due_at: Some(record.last_alerted_at + window),
            },
            None => Due::NotYet { next_due_at: None },
        }
    }
}

impl FromStr for RenotifyPolicy {
    type Err = String;

    /// Parses `CRITICAL=1d,HIGH=5d,MEDIUM=12h` (units `d`, `h`, `m`; a bare number is days).
    fn from_str(s: &str) -> Result<Self, String> {
        let mut windows = BTreeMap::new();
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (label, window) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not SEVERITY=DURATION"))?;
            let severity = Severity::from_label(label)
                .ok_or_else(|| format!("unknown severity {:?}", label.trim()))?;
            let window = parse_duration(window.trim()).ok_or_else(|| {
                format!("{:?} is not a duration like 1d, 12h or 30m", window.trim())
            })?;
            if windows.insert(severity, window).is_some() {
                return Err(format!("{severity} is given twice"));
            }
        }
        Ok(Self { windows })
    }
}

impl fmt::Display for RenotifyPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (severity, window) in self.windows.iter().rev() {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{severity}={}", format_duration(*window))?;
        }
        Ok(())
    }
}

fn parse_duration(s: &str) -> Option<Duration> {
    let (number, unit) = match s.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&s[..i], c),
        _ => (s, 'd'),
    };
    let n: i64 = number
        .trim()
        .parse()
        .ok()
        .filter(|n| (0..=3650 * 24 * 60).contains(n))?;
    match unit {
        'd' => Some(Duration::days(n.min(3650))),
        'h' => Some(Duration::hours(n)),
        'm' => Some(Duration::minutes(n)),
        _ => None,
    }
}

/// `1d`, `12h`, `30m`: the shortest exact form.
pub fn format_duration(d: Duration) -> String {
    let minutes = d.num_minutes();
    if minutes % (24 * 60) == 0 {
        format!("{}d", minutes / (24 * 60))
    } else if minutes % 60 == 0 {
        format!("{}h", minutes / 60)
    } else {
        format!("{minutes}m")
    }
}

/// Why a finding ends its run at once: Security Hub says it is no longer a problem.
pub fn resolution(finding: &Finding) -> Option<&'static str> {
    resolution_of(
        finding.record_state,
        finding.workflow_status,
        finding.compliance_status,
    )
}

/// The same rule on the three statuses alone (the reaper has no full finding).
pub fn resolution_of(
    record_state: RecordState,
    workflow_status: Option<WorkflowStatus>,
    compliance_status: Option<ComplianceStatus>,
) -> Option<&'static str> {
    if record_state == RecordState::Archived {
        Some("archived")
    } else if workflow_status == Some(WorkflowStatus::Resolved) {
        Some("resolved")
    } else if workflow_status == Some(WorkflowStatus::Suppressed) {
        Some("suppressed")
    } else if compliance_status == Some(ComplianceStatus::Passed) {
        Some("passed")
    } else {
        None
    }
}
