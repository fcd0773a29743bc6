//! The data contract between the states of `statemachine/pipeline.asl.json`: what each Task
//! receives and returns, and the per-finding outcome every path ends with.
//!
//! Only the compact [`Finding`] and these small results travel between states; the raw ASFF
//! finding is read once by CheckSeen and never passed on (the payload limit is 256 KB).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::finding::{DetailType, Finding, FindingId, Severity};
use crate::json::JsonRef;
use crate::score::{Priority, Score};
use crate::seen::{Claim, ClaimToken, SeenRecord};
use crate::summary::Summary;

/// What happened to one finding delivery. `Seen` and `ResolvedNotice` are internal: AgeCheck
/// turns `Seen` into `Realert` or `Suppressed`, and SendResolvedNotice turns `ResolvedNotice`
/// into `Resolved` with its email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    New,
    Seen,
    Realert,
    Suppressed,
    Resolved,
    /// Resolved after hushhub alerted on it, with resolved notices on: one notice is due.
    ResolvedNotice,
    Ignored,
    Rejected,
}

impl DecisionKind {
    /// The word used in logs, the replay's output and the ASL Choice states.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Seen => "seen",
            Self::Realert => "realert",
            Self::Suppressed => "suppressed",
            Self::Resolved => "resolved",
            Self::ResolvedNotice => "resolved_notice",
            Self::Ignored => "ignored",
            Self::Rejected => "rejected",
        }
    }

    /// Whether this decision sends an alert email (a resolved notice is not an alert).
    pub fn alerts(self) -> bool {
        matches!(self, Self::New | Self::Realert)
    }

    /// The decision reported once this one's run is over.
    pub fn reported(self) -> Self {
        match self {
            Self::ResolvedNotice => Self::Resolved,
            other => other,
        }
    }
}

impl std::fmt::Display for DecisionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The one-line result of a finding's run: what the terminal states output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub event_id: String,
    pub finding_id: Option<String>,
    pub decision: DecisionKind,
    pub reason: String,
    pub severity: Option<Severity>,
    pub priority: Option<Priority>,
    /// The sent message's id, when an email went out (the first one's, when routes sent
    /// several).
    pub email: Option<String>,
    /// The routes that were sent an email, in order, when `HUSHHUB_ROUTES` configures any;
    /// empty (and left out of the JSON) otherwise, so an output without routes reads as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<String>,
}

/// A decision with what the next states need: the record and, for an alert, the claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepDecision {
    pub kind: DecisionKind,
    pub reason: String,
    /// `silenced: <reason>` when a silence holds for the finding: an alert it would send is
    /// suppressed instead. Always present (null when none), because the definition passes it on.
    #[serde(default)]
    pub silenced: Option<String>,
    /// Someone asked for this alert from Security Hub (escalate now): it skips the
    /// `renotify_after` window, the alert filters and silences, but is still claimed. Always
    /// present, because the definition passes it on to AgeCheck.
    #[serde(default)]
    pub escalate_now: bool,
    pub record: Option<SeenRecord>,
    pub claim: Option<Claim>,
    pub outcome: Outcome,
}

impl StepDecision {
    /// A decision on `finding`, with its outcome line filled in for the terminal states.
    pub fn new(
        event_id: &str,
        finding: &Finding,
        kind: DecisionKind,
        reason: String,
        record: Option<SeenRecord>,
    ) -> Self {
        Self::about(
            event_id,
            &finding.id,
            finding.severity,
            kind,
            reason,
            record,
        )
    }

    /// [`StepDecision::new`] from the finding's id and severity alone.
    pub fn about(
        event_id: &str,
        finding_id: &FindingId,
        severity: Severity,
        kind: DecisionKind,
        reason: String,
        record: Option<SeenRecord>,
    ) -> Self {
        let outcome = Outcome {
            event_id: event_id.to_owned(),
            finding_id: Some(finding_id.to_string()),
            decision: kind.reported(),
            reason: reason.clone(),
            severity: Some(severity),
            priority: None,
            email: None,
            routes: Vec::new(),
        };
        Self {
            kind,
            reason,
            silenced: None,
            escalate_now: false,
            record,
            claim: None,
            outcome,
        }
    }
}

/// Input of the check-seen function: one raw finding of an event (the Map item as it is), or,
/// with `"action": "release_claim"`, a claim to release.
///
/// The raw finding is borrowed when the caller holds the payload (the local runner) and owned
/// when it was read off the wire (the Lambda): it can be 240 KB, and check-seen only reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CheckSeenRequest<'a> {
    CheckSeen(CheckSeenInput<'a>),
    ReleaseClaim(ReleaseClaimInput),
}

impl<'a> CheckSeenRequest<'a> {
    /// Reads a request from a JSON value, moving the raw finding instead of copying it (a
    /// serde round trip would rebuild the whole finding once more).
    pub fn from_value(value: Value) -> Result<CheckSeenRequest<'static>, String> {
        CheckSeenRequest::read(Cow::Owned(value), None)
    }

    /// Reads a request from a JSON value, borrowing the raw finding from it.
    pub fn from_value_ref(value: &'a Value) -> Result<Self, String> {
        Self::read(Cow::Borrowed(value), None)
    }

    /// Reads a request whose raw finding is held apart from the rest of its payload (which
    /// then has no `finding`), as the local runner keeps a finding on its event's tape.
    pub fn with_finding(payload: &'a Value, finding: JsonRef<'a>) -> Result<Self, String> {
        Self::read(Cow::Borrowed(payload), Some(finding))
    }

    fn read(value: Cow<'a, Value>, apart: Option<JsonRef<'a>>) -> Result<Self, String> {
        let object = value.as_object().ok_or("expected an object")?;
        let action = match object.get("action") {
            None => "check_seen",
            Some(Value::String(action)) => action.as_str(),
            Some(other) => return Err(format!("action: expected a string, got {other}")),
        };
        match action {
            "check_seen" => {
                let event_id = object
                    .get("event_id")
                    .and_then(Value::as_str)
                    .ok_or("event_id: expected a string")?
                    .to_owned();
                let execution_id = object
                    .get("execution_id")
                    .and_then(Value::as_str)
                    .filter(|id| !id.is_empty())
                    .ok_or("execution_id: expected a non-empty string")?
                    .to_owned();
                let index = object
                    .get("index")
                    .and_then(Value::as_u64)
                    .and_then(|i| usize::try_from(i).ok())
                    .ok_or("index: expected a whole number")?;
                if apart.is_none() && !object.contains_key("finding") {
                    return Err("finding: is missing".to_owned());
                }
                // Absent in inputs written before OCSF support: those were all ASFF imports.
                let detail_type = match object.get("detail_type") {
                    None | Some(Value::Null) => DetailType::Imported,
                    Some(Value::String(t)) => DetailType::parse(t)
                        .ok_or_else(|| format!("detail_type: unknown value {t:?}"))?,
                    Some(other) => {
                        return Err(format!("detail_type: expected a string, got {other}"));
                    }
                };
                let finding = match (apart, value) {
                    (Some(finding), _) => RawFinding::Borrowed(finding),
                    (None, Cow::Borrowed(value)) => {
                        RawFinding::Borrowed((&value["finding"]).into())
                    }
                    (None, Cow::Owned(mut value)) => RawFinding::Owned(value["finding"].take()),
                };
                Ok(Self::CheckSeen(CheckSeenInput {
                    event_id,
                    execution_id,
                    index,
                    detail_type,
                    finding,
                }))
            }
            "release_claim" => ReleaseClaimInput::deserialize(&*value)
                .map(Self::ReleaseClaim)
                .map_err(|e| e.to_string()),
            other => Err(format!("action: unknown value {other:?}")),
        }
    }
}

impl<'de> Deserialize<'de> for CheckSeenRequest<'static> {
    /// Parses once into a value, then moves its fields into the variant: serde's internally
    /// tagged enums would buffer the whole raw finding a second time.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::from_value(Value::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// One finding as the Map hands it over, still raw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckSeenInput<'a> {
    pub event_id: String,
    /// `$$.Execution.Id`: with `index`, which delivery this is (its [`ClaimToken`]).
    pub execution_id: String,
    /// Position in `detail.findings`, so errors can name `detail.findings[N]`.
    pub index: usize,
    /// The event's detail-type: the schema of the raw finding, and whether someone asked for
    /// an alert now.
    #[serde(serialize_with = "serialize_detail_type")]
    pub detail_type: DetailType,
    pub finding: RawFinding<'a>,
}

/// A raw finding as check-seen is handed it: owned when read off the wire (the Lambda),
/// borrowed from the caller's JSON otherwise (the local runner).
#[derive(Debug, Clone, PartialEq)]
pub enum RawFinding<'a> {
    Owned(Value),
    Borrowed(JsonRef<'a>),
}

impl RawFinding<'_> {
    /// The finding's JSON, to read.
    pub fn json(&self) -> JsonRef<'_> {
        match self {
            RawFinding::Owned(value) => JsonRef::Value(value),
            RawFinding::Borrowed(json) => *json,
        }
    }
}

impl From<Value> for RawFinding<'_> {
    fn from(value: Value) -> Self {
        RawFinding::Owned(value)
    }
}

impl<'a> From<&'a Value> for RawFinding<'a> {
    fn from(value: &'a Value) -> Self {
        RawFinding::Borrowed(JsonRef::Value(value))
    }
}

impl Serialize for RawFinding<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.json() {
            JsonRef::Value(value) => value.serialize(serializer),
            tape => tape.to_value().serialize(serializer),
        }
    }
}

impl CheckSeenInput<'_> {
    /// The token any claim of this delivery carries.
    pub fn claim_token(&self) -> ClaimToken {
        ClaimToken::for_delivery(&self.execution_id, self.index)
    }
}

fn serialize_detail_type<S: serde::Serializer>(
    detail_type: &DetailType,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(detail_type.as_str())
}

/// The compact finding and the decision on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckSeenOutput {
    pub event_id: String,
    /// Handed on to AgeCheck, which claims re-alerts for the same delivery.
    pub claim_token: ClaimToken,
    pub finding: Finding,
    pub decision: StepDecision,
}

/// Input of `ReleaseClaim`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseClaimInput {
    pub claim: Claim,
}

/// Output of `ReleaseClaim`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseClaimOutput {
    /// `false` when the record had already moved on.
    pub released: bool,
}

/// Input of the age-check function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgeCheckInput {
    pub event_id: String,
    pub claim_token: ClaimToken,
    pub finding: FindingHeadline,
    pub record: SeenRecord,
    /// From check-seen, which has the whole finding to match silences against.
    #[serde(default)]
    pub silenced: Option<String>,
    /// Someone asked for an alert now: the window is skipped, the claim is not.
    #[serde(default)]
    pub escalate_now: bool,
}

/// What age-check decides on: the definition's `Parameters` pick these three fields from the
/// compact finding, because most deliveries end at age-check as duplicates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingHeadline {
    pub id: FindingId,
    pub title: String,
    pub severity: Severity,
}

impl From<&Finding> for FindingHeadline {
    fn from(finding: &Finding) -> Self {
        Self {
            id: finding.id.clone(),
            title: finding.title.clone(),
            severity: finding.severity,
        }
    }
}

/// Input of score-and-summarise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessInput {
    pub event_id: String,
    pub finding: Finding,
    pub decision: StepDecision,
}

/// The score and the summary of an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub score: Score,
    pub summary: Summary,
}

/// Input of render-html-email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderInput {
    pub event_id: String,
    pub finding: Finding,
    pub decision: StepDecision,
    pub assessment: Assessment,
}

/// Input of render-html-email's `SendResolvedNotice`: the decision carries the deleted record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolvedNoticeInput {
    pub event_id: String,
    pub finding: Finding,
    pub decision: StepDecision,
}

/// What render-html-email is asked to send: an alert, or (with `"action": "resolved_notice"`)
/// a resolved notice.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RenderRequest {
    Alert(RenderInput),
    ResolvedNotice(ResolvedNoticeInput),
}

impl RenderRequest {
    /// Reads a request; without `action` it is an alert, as RenderAndSendEmail sends it.
    pub fn from_value(value: &Value) -> Result<Self, String> {
        let action = match value.get("action") {
            None => "alert",
            Some(Value::String(action)) => action.as_str(),
            Some(other) => return Err(format!("action: expected a string, got {other}")),
        };
        match action {
            "alert" => RenderInput::deserialize(value)
                .map(Self::Alert)
                .map_err(|e| e.to_string()),
            "resolved_notice" => ResolvedNoticeInput::deserialize(value)
                .map(Self::ResolvedNotice)
                .map_err(|e| e.to_string()),
            other => Err(format!("action: unknown value {other:?}")),
        }
    }
}

impl<'de> Deserialize<'de> for RenderRequest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::from_value(&Value::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// Output of render-html-email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderOutput {
    /// The first email's id (the only one's, without routes).
    pub message_id: String,
    pub subject: String,
    pub outcome: Outcome,
    /// Each email sent, one per route, when routes are configured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sent: Vec<RouteSent>,
}

/// One route's email of an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteSent {
    pub route: String,
    pub message_id: String,
}
