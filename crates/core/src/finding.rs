//! ASFF findings (inside "Security Hub Findings - Imported" events) and OCSF findings (inside
//! "Findings Imported V2" events) turned into one compact, validated [`Finding`].
//!
//! An ASFF finding can be 240 KB; the state machine's payload limit is 256 KB. So the raw finding
//! is read once, at the edge, into this compact form, and only this form travels between states.
//! A missing or wrong required field is an error that names its path
//! (`detail.findings[2].Severity.Label: unknown value "SUPER"`), so an operator can find it.

use std::collections::BTreeMap;
use std::fmt;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json::{JsonItems, JsonRef, TapeItems, TapeRef};

mod ocsf;

/// The EventBridge detail-type of Security Hub CSPM's ASFF events.
pub const IMPORTED_DETAIL_TYPE: &str = "Security Hub Findings - Imported";
/// The EventBridge detail-type of the new Security Hub's OCSF events.
pub const IMPORTED_V2_DETAIL_TYPE: &str = "Findings Imported V2";
/// The EventBridge detail-type of a Security Hub CSPM custom action: someone chose it on
/// findings in the console (hushhub's is "escalate now"); the findings are ASFF.
pub const CUSTOM_ACTION_DETAIL_TYPE: &str = "Security Hub Findings - Custom Action";

/// The kinds of EventBridge event hushhub runs on, told apart by their detail-type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DetailType {
    /// A finding was created or updated (ASFF).
    Imported,
    /// A finding was created or updated (OCSF).
    ImportedV2,
    /// Someone asked, from the console, for an alert now: escalate now.
    CustomAction,
}

impl DetailType {
    /// The kind of an event with this detail-type, if hushhub reads it.
    pub fn parse(detail_type: &str) -> Option<Self> {
        match detail_type {
            IMPORTED_DETAIL_TYPE => Some(Self::Imported),
            IMPORTED_V2_DETAIL_TYPE => Some(Self::ImportedV2),
            CUSTOM_ACTION_DETAIL_TYPE => Some(Self::CustomAction),
            _ => None,
        }
    }

    /// The detail-type itself.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Imported => IMPORTED_DETAIL_TYPE,
            Self::ImportedV2 => IMPORTED_V2_DETAIL_TYPE,
            Self::CustomAction => CUSTOM_ACTION_DETAIL_TYPE,
        }
    }

    /// The schema of the event's findings.
    pub fn format(self) -> FindingFormat {
        match self {
            Self::Imported | Self::CustomAction => FindingFormat::Asff,
            Self::ImportedV2 => FindingFormat::Ocsf,
        }
    }

    /// Whether the event asks for an alert now rather than reports a change.
    pub fn is_escalate_now(self) -> bool {
        self == Self::CustomAction
    }
}

/// Which schema the findings of an event are written in; the event's detail-type says which.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FindingFormat {
    /// AWS Security Finding Format, in "Security Hub Findings - Imported" events.
    #[default]
    Asff,
    /// Open Cybersecurity Schema Framework, in "Findings Imported V2" events.
    Ocsf,
}

impl FindingFormat {
    /// Whether this is ASFF, the format records and payloads assume when none is named.
    pub fn is_asff(&self) -> bool {
        *self == Self::Asff
    }

    /// The word stores keep: `asff` or `ocsf`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asff => "asff",
            Self::Ocsf => "ocsf",
        }
    }

    /// The format a store's word names.
    pub fn from_stored(word: &str) -> Option<Self> {
        match word {
            "asff" => Some(Self::Asff),
            "ocsf" => Some(Self::Ocsf),
            _ => None,
        }
    }

    /// The format of the findings of an event with this detail-type, if hushhub reads it.
    pub fn from_detail_type(detail_type: &str) -> Option<Self> {
        DetailType::parse(detail_type).map(DetailType::format)
    }

    /// The detail-type of the events that carry findings in this format.
    pub fn detail_type(self) -> &'static str {
        match self {
            Self::Asff => IMPORTED_DETAIL_TYPE,
            Self::Ocsf => IMPORTED_V2_DETAIL_TYPE,
        }
    }

    /// Where a finding keeps its id and title, for reports on findings that were never read.
    pub fn id_and_title<'a>(
        self,
        raw: impl Into<JsonRef<'a>>,
    ) -> (Option<&'a str>, Option<&'a str>) {
        let raw = raw.into();
        let text = |parent: Option<JsonRef<'a>>, key| parent?.get(key)?.as_str();
        match self {
            Self::Asff => (text(Some(raw), "Id"), text(Some(raw), "Title")),
            Self::Ocsf => (
                text(raw.get("metadata"), "uid"),
                text(raw.get("finding_info"), "title"),
            ),
        }
    }
}

/// Caps that keep a compact finding small whatever the product sent.
pub mod limits {
    /// Characters kept of a title (ASFF allows 256).
    pub const TITLE_CHARS: usize = 256;
    /// Characters kept of a description; the email links to the console for the rest.
    pub const DESCRIPTION_CHARS: usize = 2_000;
    /// Characters kept of remediation text.
    pub const REMEDIATION_CHARS: usize = 1_000;
    /// Resources kept; `Finding::resource_count` tells how many there were.
    pub const RESOURCES: usize = 20;
    /// Tags kept per resource.
    pub const TAGS: usize = 50;
    /// Vulnerabilities kept.
    pub const VULNERABILITIES: usize = 20;
    /// Characters kept of any other free-text value (ids, tag values, types).
    pub const SHORT_CHARS: usize = 512;
    /// Finding types kept.
    pub const TYPES: usize = 20;
    /// ASFF accepts at most 32 resources per finding; more means the input is not ASFF.
    pub const ASFF_MAX_RESOURCES: usize = 32;
    /// An EventBridge event is at most 256 KB: a longer field cannot come from Security Hub.
    pub const EVENT_BYTES: usize = 256 * 1024;
}

/// What is wrong with an input, and where: `path: problem`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct FindingError {
    /// Where in the event, e.g. `detail.findings[0].Severity.Label`.
    pub path: String,
    /// What is wrong there, e.g. `unknown value "SUPER"`.
    pub problem: String,
}

impl FindingError {
    fn new(path: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            problem: problem.into(),
        }
    }
}

/// ASFF severity labels, in rising order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every label, lowest first.
    pub const ALL: [Severity; 5] = [
        Self::Informational,
        Self::Low,
        Self::Medium,
        Self::High,
        Self::Critical,
    ];

    /// The ASFF label, e.g. `CRITICAL`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Informational => "INFORMATIONAL",
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
            Self::Critical => "CRITICAL",
        }
    }

    /// Parses an ASFF label (case-insensitive, surrounding space ignored).
    pub fn from_label(label: &str) -> Option<Self> {
        let label = label.trim();
        Self::ALL
            .into_iter()
            .find(|s| s.label().eq_ignore_ascii_case(label))
    }

    /// The label ASFF assigns to a normalized score (0..=100), for products that send only that.
    pub fn from_normalized(n: u64) -> Self {
        match n {
            0 => Self::Informational,
            1..=39 => Self::Low,
            40..=69 => Self::Medium,
            70..=89 => Self::High,
            _ => Self::Critical,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A finding's `Id`: non-empty, at most 512 characters (the ASFF limit).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FindingId(String);

impl FindingId {
    /// Checks the ASFF constraints.
    pub fn new(id: impl Into<String>) -> Result<Self, String> {
        let id = id.into();
        if id.trim().is_empty() {
            return Err("must not be empty".into());
        }
        if id.chars().count() > 512 {
            return Err("is longer than 512 characters".into());
        }
        if id.chars().any(char::is_control) {
            return Err("contains control characters".into());
        }
        Ok(Self(id))
    }

    /// The id as Security Hub knows it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FindingId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::new(s)
    }
}

impl From<FindingId> for String {
    fn from(id: FindingId) -> String {
        id.0
    }
}

impl fmt::Display for FindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A 12-digit AWS account id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

impl AccountId {
    /// Checks it is exactly 12 ASCII digits.
    pub fn new(id: impl Into<String>) -> Result<Self, String> {
        let id = id.into();
        if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(id))
        } else {
            Err(format!("{:?} is not a 12-digit account id", clip(&id, 40)))
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AccountId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::new(s)
    }
}

impl From<AccountId> for String {
    fn from(id: AccountId) -> String {
        id.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `Workflow.Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkflowStatus {
    New,
    Notified,
    Resolved,
    Suppressed,
}

/// `RecordState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecordState {
    Active,
    Archived,
}

/// `Compliance.Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ComplianceStatus {
    Passed,
    Warning,
    Failed,
    NotAvailable,
}

/// `YES` / `NO` / `PARTIAL` answers of `FixAvailable` and `ExploitAvailable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Availability {
    Yes,
    No,
    Partial,
}

/// One vulnerability of a software-vulnerability finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    /// Usually a CVE id.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_available: Option<Availability>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploit_available: Option<Availability>,
    /// Highest CVSS base score given, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_score: Option<f64>,
    /// `name version` of the vulnerable packages (first few).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
}

/// The image an ECR image finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcrImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_id: Option<String>,
    pub repository: String,
    pub digest: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// One affected resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// ASFF `Type`, e.g. `AwsEc2Instance`.
    pub kind: String,
    /// ASFF `Id`, usually an ARN.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Public IPv4 addresses the resource's details show (EC2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub public_ips: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_image: Option<EcrImage>,
}

/// Remediation advice the product gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remediation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Only `https://` links are kept: anything else could be a trap in an email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Network facts of the finding (GuardDuty and friends).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    /// `IN` or `OUT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
}

/// The compact, validated finding that travels between the states of the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: FindingId,
    /// The schema it was read from: the daily reaper can only look up ASFF findings.
    #[serde(default, skip_serializing_if = "FindingFormat::is_asff")]
    pub format: FindingFormat,
    pub product_arn: String,
    /// `ProductName`, or the product part of the ARN when absent.
    pub product_name: String,
    pub generator_id: String,
    /// The Security Hub control (e.g. `S3.1`) of a control finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_id: Option<String>,
    pub account_id: AccountId,
    pub region: String,
    pub title: String,
    pub description: String,
    /// True when the description was cut to [`limits::DESCRIPTION_CHARS`].
    pub description_truncated: bool,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_normalized: Option<u8>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// How many resources the finding named (only the first few are kept).
    pub resource_count: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_status: Option<WorkflowStatus>,
    pub record_state: RecordState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance_status: Option<ComplianceStatus>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<Vulnerability>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Remediation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    #[serde(with = "crate::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::timestamp")]
    pub updated_at: DateTime<Utc>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::timestamp::option"
    )]
    pub first_observed_at: Option<DateTime<Utc>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::timestamp::option"
    )]
    pub last_observed_at: Option<DateTime<Utc>>,
}

impl Finding {
    /// Reads one finding in `format`; `path` is where it sits in the event (`detail.findings[0]`).
    pub fn read<'a>(
        raw: impl Into<JsonRef<'a>>,
        format: FindingFormat,
        path: &str,
    ) -> Result<Finding, FindingError> {
        match format {
            FindingFormat::Asff => Self::from_asff(raw, path),
            FindingFormat::Ocsf => Self::from_ocsf(raw, path),
        }
    }

    /// Reads one ASFF finding; `path` is where it sits in the event (`detail.findings[0]`), used
    /// to name the field in errors.
    pub fn from_asff<'a>(raw: impl Into<JsonRef<'a>>, path: &str) -> Result<Finding, FindingError> {
        let f = Node::root(raw.into(), path)?;
        let id = f.req("Id")?;
        let id = FindingId::new(id.string()?).map_err(|p| id.error(p))?;
        let account = f.req("AwsAccountId")?;
        let account_id = AccountId::new(account.string()?).map_err(|p| account.error(p))?;
        let product_arn = f.req("ProductArn")?.nonempty_string()?.to_owned();
        let severity_node = f.req("Severity")?;
        let (severity, severity_normalized) = read_severity(&severity_node)?;
        let description_node = f.req("Description")?;
        let description_full = description_node.string()?;
        if description_full.len() > limits::EVENT_BYTES {
            return Err(description_node.error(format!(
                "is {} KB, more than a whole EventBridge event may hold (256 KB)",
                description_full.len() / 1024
            )));
        }
        let description = clip(description_full, limits::DESCRIPTION_CHARS);
        let description_truncated = description.len() < description_full.len();
        let resources_node = f.req("Resources")?;
        let resources_list = resources_node.array()?;
        if resources_list.len() == 0 {
            return Err(resources_node.error("must name at least one resource"));
        }
        if resources_list.len() > limits::ASFF_MAX_RESOURCES {
            return Err(resources_node.error(format!(
                "names {} resources; ASFF allows at most {}",
                resources_list.len(),
                limits::ASFF_MAX_RESOURCES
            )));
        }
        let resources = resources_node.items(limits::RESOURCES, read_resource)?;
        let mut region = match f.opt("Region")? {
            Some(r) => r.nonempty_string()?.to_owned(),
            None => region_from_arn(&product_arn)
                .or_else(|| resources.iter().find_map(|r| r.region.clone()))
                .ok_or_else(|| f.error("Region is missing and cannot be read from ProductArn"))?,
        };
        // Cut like any other free text: the email shows the region several times and in a link.
        region.truncate(clip(&region, limits::SHORT_CHARS).len());
        let product_name = match f.opt("ProductName")? {
            Some(p) => clip(p.string()?, limits::SHORT_CHARS).to_owned(),
            None => product_from_arn(&product_arn),
        };
        let generator_id = clip(
            f.req("GeneratorId")?.nonempty_string()?,
            limits::SHORT_CHARS,
        );
        let compliance = f.opt("Compliance")?;
        let compliance_status = match &compliance {
            Some(c) => c
                .opt("Status")?
                .map(|s| s.enumerated(&COMPLIANCE))
                .transpose()?,
            None => None,
        };
        let control_id = match &compliance {
            Some(c) => c
                .opt("SecurityControlId")?
                .map(|s| s.string().map(|s| clip(s, limits::SHORT_CHARS).to_owned()))
                .transpose()?,
            None => None,
        }
        .or_else(|| {
            generator_id
                .strip_prefix("security-control/")
                .map(str::to_owned)
        });
        let workflow_status = match f.opt("Workflow")? {
            Some(w) => w
                .opt("Status")?
                .map(|s| s.enumerated(&WORKFLOW))
                .transpose()?,
            None => None,
        }
        .or(match f.opt("WorkflowState")? {
            // The deprecated WorkflowState only matters when Workflow.Status is absent.
            Some(s) => match s.string()? {
                "RESOLVED" => Some(WorkflowStatus::Resolved),
                "DEFERRED" => Some(WorkflowStatus::Suppressed),
                _ => None,
            },
            None => None,
        });
        let record_state = match f.opt("RecordState")? {
            Some(s) => s.enumerated(&RECORD_STATE)?,
            None => RecordState::Active,
        };
        let types = f.req("Types")?.items(limits::TYPES, |t| t.short_string())?;
        let vulnerabilities = f.opt_items(
            "Vulnerabilities",
            limits::VULNERABILITIES,
            read_vulnerability,
        )?;
        let remediation = match f.opt("Remediation")? {
            Some(r) => match r.opt("Recommendation")? {
                Some(rec) => {
                    let text = rec
                        .opt("Text")?
                        .map(|t| {
                            t.string()
                                .map(|s| clip(s, limits::REMEDIATION_CHARS).to_owned())
                        })
                        .transpose()?;
                    let url = rec
                        .opt("Url")?
                        .map(|u| u.string().map(str::to_owned))
                        .transpose()?;
                    let url = url.filter(|u| is_https_url(u));
                    (text.is_some() || url.is_some()).then_some(Remediation { text, url })
                }
                None => None,
            },
            None => None,
        };
        let network = match f.opt("Network")? {
            Some(n) => Some(Network {
                direction: n
                    .opt("Direction")?
                    .map(|d| d.string().map(str::to_owned))
                    .transpose()?,
                source_ip: n
                    .opt("SourceIpV4")?
                    .map(|d| d.string().map(str::to_owned))
                    .transpose()?,
            }),
            None => None,
        };
        Ok(Finding {
            id,
            format: FindingFormat::Asff,
            product_arn: clip(&product_arn, limits::SHORT_CHARS).to_owned(),
            product_name,
            generator_id: generator_id.to_owned(),
            control_id,
            account_id,
            region,
            title: clip(f.req("Title")?.string()?, limits::TITLE_CHARS).to_owned(),
            description: description.to_owned(),
            description_truncated,
            severity,
            severity_normalized,
            types,
            resource_count: resources_list.len(),
            resources,
            workflow_status,
            record_state,
            compliance_status,
            vulnerabilities,
            remediation,
            network,
            created_at: f.req("CreatedAt")?.timestamp()?,
            updated_at: f.req("UpdatedAt")?.timestamp()?,
            first_observed_at: f
                .opt("FirstObservedAt")?
                .map(|t| t.timestamp())
                .transpose()?,
            last_observed_at: f
                .opt("LastObservedAt")?
                .map(|t| t.timestamp())
                .transpose()?,
        })
    }

    /// The deep link to this finding in the Security Hub console of its region.
    pub fn console_url(&self) -> String {
        let filter = format!(
            "Id%3D%255Coperator%255C%253AEQUALS%255C%253A{}",
            url_encode(&url_encode(self.id.as_str()))
        );
        format!(
            "https://{region}.console.aws.amazon.com/securityhub/home?region={region}#/findings?search={filter}",
            region = url_encode(&self.region),
        )
    }

    /// The first ECR image named by the finding's resources, if any.
    pub fn ecr_image(&self) -> Option<&EcrImage> {
        self.resources.iter().find_map(|r| r.ecr_image.as_ref())
    }

    /// `Compliance.SecurityControlId`, or the first finding type: what kind of problem this is.
    pub fn control_or_type(&self) -> &str {
        self.control_id
            .as_deref()
            .or(self.types.first().map(String::as_str))
            .unwrap_or("")
    }
}

/// An imported event, its envelope checked, its findings still raw: each finding is validated
/// on its own so that one malformed finding fails only itself.
#[derive(Debug, Clone)]
pub struct ImportedEvent {
    envelope: Envelope,
    event: Value,
}

/// What hushhub reads of an event's envelope, read with `aws_lambda_events`' type.
#[derive(Debug, Clone)]
struct Envelope(EventBridgeEvent<SkippedDetail>);

impl Envelope {
    fn id(&self) -> &str {
        self.0.id.as_deref().unwrap_or("")
    }

    fn format(&self) -> FindingFormat {
        FindingFormat::from_detail_type(&self.0.detail_type).unwrap_or_default()
    }

    fn time(&self) -> Option<DateTime<Utc>> {
        self.0.time
    }
}

/// The envelope is read with `aws_lambda_events`' type, but its detail is skipped there: the
/// findings stay in the original value, so checking the envelope copies nothing large.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SkippedDetail;

impl Serialize for SkippedDetail {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl<'de> Deserialize<'de> for SkippedDetail {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer).map(|_| SkippedDetail)
    }
}

impl ImportedEvent {
    /// Reads an EventBridge event from text.
    pub fn parse(json: &str) -> Result<ImportedEvent, FindingError> {
        let value: Value = serde_json::from_str(json)
            .map_err(|e| FindingError::new("event", format!("not valid JSON: {e}")))?;
        Self::from_value(value)
    }

    /// Checks that `value` is an imported-findings event with a non-empty `detail.findings`.
    pub fn from_value(event: Value) -> Result<ImportedEvent, FindingError> {
        let envelope = EventBridgeEvent::<SkippedDetail>::deserialize(&event).map_err(|e| {
            let problem = e.to_string();
            // serde names the missing or wrong envelope field in its message: point the path at it.
            let path = ["detail-type", "source", "detail", "time", "id"]
                .into_iter()
                .find(|f| problem.contains(&format!("`{f}`")))
                .unwrap_or("event");
            FindingError::new(path, format!("not a valid EventBridge event: {problem}"))
        })?;
        if FindingFormat::from_detail_type(&envelope.detail_type).is_none() {
            return Err(FindingError::new(
                "detail-type",
                format!(
                    "expected {IMPORTED_DETAIL_TYPE:?}, {IMPORTED_V2_DETAIL_TYPE:?} or {CUSTOM_ACTION_DETAIL_TYPE:?}, got {:?}",
                    clip(&envelope.detail_type, 80)
                ),
            ));
        }
        let detail = &event["detail"];
        match detail.get("findings") {
            Some(Value::Array(findings)) if findings.is_empty() => {
                Err(FindingError::new("detail.findings", "is empty"))
            }
            Some(Value::Array(_)) => Ok(ImportedEvent {
                envelope: Envelope(envelope),
                event,
            }),
            Some(other) => Err(FindingError::new(
                "detail.findings",
                format!("expected a list, got {}", kind_of(other.into())),
            )),
            None if !detail.is_object() => Err(FindingError::new(
                "detail",
                format!("expected an object, got {}", kind_of(detail.into())),
            )),
            None => Err(FindingError::new("detail.findings", "is missing")),
        }
    }

    /// The EventBridge event id (empty if the event had none).
    pub fn id(&self) -> &str {
        self.envelope.id()
    }

    /// The schema of the event's findings, from its detail-type.
    pub fn format(&self) -> FindingFormat {
        self.envelope.format()
    }

    /// When EventBridge says the event happened.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        self.envelope.time()
    }

    /// The raw findings, in order.
    pub fn findings(&self) -> &[Value] {
        self.event["detail"]["findings"]
            .as_array()
            .map_or(&[], Vec::as_slice)
    }

    /// The event as the state machine receives it: the original, unchanged.
    pub fn into_value(self) -> Value {
        self.event
    }
}

/// An imported event checked on its [`JsonTape`](crate::json::JsonTape), whose findings stay
/// there: the local replay reads events this way, so that no `Value` tree is built of them.
#[derive(Debug, Clone)]
pub struct EventOnTape<'a> {
    envelope: Envelope,
    findings: TapeItems<'a>,
}

impl<'a> EventOnTape<'a> {
    /// The event at `root`, when it passes the checks of [`ImportedEvent::from_value`]. `None`
    /// otherwise, and also for a few events that `from_value` reads (one with a repeated
    /// envelope field): read the event as a `Value` then, for its error or its findings.
    pub fn check(root: TapeRef<'a>) -> Option<Self> {
        let envelope = EventBridgeEvent::<SkippedDetail>::deserialize(root).ok()?;
        FindingFormat::from_detail_type(&envelope.detail_type)?;
        let findings = root.get("detail")?.get("findings")?.items()?;
        (findings.len() > 0).then_some(EventOnTape {
            envelope: Envelope(envelope),
            findings,
        })
    }

    /// The EventBridge event id (empty if the event had none).
    pub fn id(&self) -> &str {
        self.envelope.id()
    }

    /// The schema of the event's findings, from its detail-type.
    pub fn format(&self) -> FindingFormat {
        self.envelope.format()
    }

    /// When EventBridge says the event happened.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        self.envelope.time()
    }

    /// The raw findings, in order.
    pub fn findings(&self) -> TapeItems<'a> {
        self.findings.clone()
    }
}

const WORKFLOW: [(&str, WorkflowStatus); 4] = [
    ("NEW", WorkflowStatus::New),
    ("NOTIFIED", WorkflowStatus::Notified),
    ("RESOLVED", WorkflowStatus::Resolved),
    ("SUPPRESSED", WorkflowStatus::Suppressed),
];
const RECORD_STATE: [(&str, RecordState); 2] = [
    ("ACTIVE", RecordState::Active),
    ("ARCHIVED", RecordState::Archived),
];
const COMPLIANCE: [(&str, ComplianceStatus); 4] = [
    ("PASSED", ComplianceStatus::Passed),
    ("WARNING", ComplianceStatus::Warning),
    ("FAILED", ComplianceStatus::Failed),
    ("NOT_AVAILABLE", ComplianceStatus::NotAvailable),
];
const AVAILABILITY: [(&str, Availability); 3] = [
    ("YES", Availability::Yes),
    ("NO", Availability::No),
    ("PARTIAL", Availability::Partial),
];

fn read_severity(node: &Node<'_>) -> Result<(Severity, Option<u8>), FindingError> {
    let normalized = match node.opt("Normalized")? {
        Some(n) => {
            let value = n
                .value
                .as_u64()
                .filter(|v| *v <= 100)
                .ok_or_else(|| n.error("expected a whole number from 0 to 100"))?;
            Some(value as u8)
        }
        None => None,
    };
    let label = match node.opt("Label")? {
        Some(l) => {
            let text = l.string()?;
            Severity::from_label(text)
                .ok_or_else(|| l.error(format!("unknown value {:?}", clip(text, 40))))?
        }
        None => match normalized {
            Some(n) => Severity::from_normalized(u64::from(n)),
            None => return Err(node.error("needs Label (or Normalized)")),
        },
    };
    Ok((label, normalized))
}

fn read_resource(r: &Node<'_>) -> Result<Resource, FindingError> {
    let kind = r.req("Type")?.nonempty_short_string()?;
    let id = r.req("Id")?.nonempty_short_string()?;
    let region = r.opt("Region")?.map(|n| n.short_string()).transpose()?;
    let mut tags = BTreeMap::new();
    if let Some(t) = r.opt("Tags")? {
        let Some(members) = t.value.sorted_members() else {
            return Err(t.error(format!("expected an object, got {}", kind_of(t.value))));
        };
        for (k, v) in members.into_iter().take(limits::TAGS) {
            let value = v
                .as_str()
                .ok_or_else(|| t.child(k, v).error("expected a string"))?;
            tags.insert(clip(k, 128).to_owned(), clip(value, 256).to_owned());
        }
    }
    let mut public_ips = Vec::new();
    let mut ecr_image = None;
    if let Some(details) = r.opt("Details")? {
        if let Some(ec2) = details.opt("AwsEc2Instance")?
            && let Some(ips) = ec2.opt("IpV4Addresses")?
        {
            for (i, ip) in ips.array()?.enumerate() {
                let ip = ips.index(i, ip)?.string()?;
                if is_public_ipv4(ip) {
                    public_ips.push(ip.to_owned());
                }
            }
        }
        if let Some(img) = details.opt("AwsEcrContainerImage")? {
            let tags = match img.opt("ImageTags")? {
                Some(t) => t
                    .array()?
                    .enumerate()
                    .map(|(i, v)| Ok(t.index(i, v)?.string()?.to_owned()))
                    .collect::<Result<Vec<_>, FindingError>>()?,
                None => Vec::new(),
            };
            ecr_image = Some(EcrImage {
                registry_id: img
                    .opt("RegistryId")?
                    .map(|v| v.string().map(str::to_owned))
                    .transpose()?,
                repository: img.req("RepositoryName")?.nonempty_string()?.to_owned(),
                digest: img.req("ImageDigest")?.nonempty_string()?.to_owned(),
                tags,
            });
        }
    }
    Ok(Resource {
        kind,
        id,
        region,
        tags,
        public_ips,
        ecr_image,
    })
}

fn read_vulnerability(v: &Node<'_>) -> Result<Vulnerability, FindingError> {
    let cvss_score = highest_cvss(v, "Cvss", "BaseScore")?;
    let packages = vulnerable_packages(v, "VulnerablePackages", "Name", "Version")?;
    Ok(Vulnerability {
        id: clip(v.req("Id")?.nonempty_string()?, 128).to_owned(),
        fix_available: v
            .opt("FixAvailable")?
            .map(|n| n.enumerated(&AVAILABILITY))
            .transpose()?,
        exploit_available: v
            .opt("ExploitAvailable")?
            .map(|n| n.enumerated(&AVAILABILITY))
            .transpose()?,
        cvss_score,
        packages,
    })
}

/// The highest base score of a vulnerability's CVSS list (`list_key[].score_key`): ASFF's
/// `Cvss[].BaseScore` and OCSF's `cve.cvss[].base_score` read the same way.
fn highest_cvss(
    parent: &Node<'_>,
    list_key: &str,
    score_key: &str,
) -> Result<Option<f64>, FindingError> {
    let mut highest: Option<f64> = None;
    if let Some(list) = parent.opt(list_key)? {
        for (i, item) in list.array()?.enumerate() {
            if let Some(score) = list.index(i, item)?.opt(score_key)? {
                let s = score
                    .value
                    .as_f64()
                    .ok_or_else(|| score.error("expected a number"))?;
                highest = Some(highest.map_or(s, |h| h.max(s)));
            }
        }
    }
    Ok(highest)
}

/// The first five affected packages of a vulnerability, each as "name version".
fn vulnerable_packages(
    parent: &Node<'_>,
    list_key: &str,
    name_key: &str,
    version_key: &str,
) -> Result<Vec<String>, FindingError> {
    let mut packages = Vec::new();
    if let Some(list) = parent.opt(list_key)? {
        for (i, item) in list.array()?.enumerate().take(5) {
            let p = list.index(i, item)?;
            let text = |key| -> Result<&str, FindingError> {
                Ok(p.opt(key)?.map(|n| n.string()).transpose()?.unwrap_or(""))
            };
            let (name, version) = (text(name_key)?, text(version_key)?);
            packages.push(clip(format!("{name} {version}").trim(), 128).to_owned());
        }
    }
    Ok(packages)
}

/// A JSON value with the path it was reached by, so every error can name the field. The path is
/// a chain of borrowed keys, turned into text only when there is an error to report.
struct Node<'a> {
    value: JsonRef<'a>,
    parent: Option<&'a Node<'a>>,
    key: Key<'a>,
}

#[derive(Clone, Copy)]
enum Key<'a> {
    Root(&'a str),
    Field(&'a str),
    Index(usize),
}

impl<'a> Node<'a> {
    fn root(value: JsonRef<'a>, path: &'a str) -> Result<Self, FindingError> {
        let node = Node {
            value,
            parent: None,
            key: Key::Root(path),
        };
        if value.is_object() {
            Ok(node)
        } else {
            Err(node.error(format!("expected an object, got {}", kind_of(value))))
        }
    }

    fn path(&self) -> String {
        let mut path = self.parent.map(Node::path).unwrap_or_default();
        match self.key {
            Key::Root(root) => path.push_str(root),
            Key::Field(name) => {
                path.push('.');
                path.push_str(name);
            }
            Key::Index(i) => path.push_str(&format!("[{i}]")),
        }
        path
    }

    fn error(&self, problem: impl Into<String>) -> FindingError {
        FindingError::new(self.path(), problem)
    }

    fn child<'b>(&'b self, key: &'b str, value: JsonRef<'b>) -> Node<'b> {
        Node {
            value,
            parent: Some(self),
            key: Key::Field(key),
        }
    }

    fn index<'b>(&'b self, i: usize, value: JsonRef<'b>) -> Result<Node<'b>, FindingError> {
        Ok(Node {
            value,
            parent: Some(self),
            key: Key::Index(i),
        })
    }

    /// A field that may be absent; JSON `null` counts as absent.
    fn opt<'b>(&'b self, key: &'b str) -> Result<Option<Node<'b>>, FindingError> {
        if !self.value.is_object() {
            return Err(self.error(format!("expected an object, got {}", kind_of(self.value))));
        }
        Ok(self
            .value
            .get(key)
            .filter(|v| !v.is_null())
            .map(|v| self.child(key, v)))
    }

    fn req<'b>(&'b self, key: &'b str) -> Result<Node<'b>, FindingError> {
        self.opt(key)?
            .ok_or_else(|| FindingError::new(format!("{}.{key}", self.path()), "is missing"))
    }

    fn string(&self) -> Result<&'a str, FindingError> {
        self.value
            .as_str()
            .ok_or_else(|| self.error(format!("expected a string, got {}", kind_of(self.value))))
    }

    fn nonempty_string(&self) -> Result<&'a str, FindingError> {
        let s = self.string()?;
        if s.trim().is_empty() {
            Err(self.error("must not be empty"))
        } else {
            Ok(s)
        }
    }

    fn array(&self) -> Result<JsonItems<'a>, FindingError> {
        self.value
            .items()
            .ok_or_else(|| self.error(format!("expected a list, got {}", kind_of(self.value))))
    }

    /// The first `limit` items of this list, each read by `read`, whose errors name the item.
    fn items<T>(
        &self,
        limit: usize,
        read: impl Fn(&Node<'_>) -> Result<T, FindingError>,
    ) -> Result<Vec<T>, FindingError> {
        self.array()?
            .take(limit)
            .enumerate()
            .map(|(i, item)| read(&self.index(i, item)?))
            .collect()
    }

    /// [`Node::items`] of the list at `key`; none when it is absent.
    fn opt_items<T>(
        &self,
        key: &str,
        limit: usize,
        read: impl Fn(&Node<'_>) -> Result<T, FindingError>,
    ) -> Result<Vec<T>, FindingError> {
        match self.opt(key)? {
            Some(list) => list.items(limit, read),
            None => Ok(Vec::new()),
        }
    }

    /// A short string, clipped to [`limits::SHORT_CHARS`].
    fn short_string(&self) -> Result<String, FindingError> {
        Ok(clip(self.string()?, limits::SHORT_CHARS).to_owned())
    }

    /// [`Node::short_string`] that must not be empty.
    fn nonempty_short_string(&self) -> Result<String, FindingError> {
        Ok(clip(self.nonempty_string()?, limits::SHORT_CHARS).to_owned())
    }

    fn enumerated<T: Copy>(&self, table: &[(&str, T)]) -> Result<T, FindingError> {
        let s = self.string()?;
        table
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, v)| *v)
            .ok_or_else(|| self.error(format!("unknown value {:?}", clip(s, 40))))
    }

    fn timestamp(&self) -> Result<DateTime<Utc>, FindingError> {
        let s = self.string()?;
        crate::timestamp::parse_rfc3339(s)
            .ok_or_else(|| self.error(format!("{:?} is not an ISO 8601 timestamp", clip(s, 40))))
    }
}

fn kind_of(v: JsonRef<'_>) -> &'static str {
    v.kind().described()
}

/// The first `max` characters of `s`, cut on a character boundary.
pub fn clip(s: &str, max: usize) -> &str {
    // A char is at least one byte: a short string needs no walk over its chars.
    if s.len() <= max {
        return s;
    }
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn region_from_arn(arn: &str) -> Option<String> {
    arn.split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
}

fn product_from_arn(arn: &str) -> String {
    // arn:aws:securityhub:us-east-1::product/aws/guardduty -> guardduty
    arn.rsplit('/').next().unwrap_or(arn).to_owned()
}

fn is_https_url(u: &str) -> bool {
    u.starts_with("https://")
        && u.len() <= 2048
        && !u
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
}

fn is_public_ipv4(ip: &str) -> bool {
    match ip.parse::<std::net::Ipv4Addr>() {
        Ok(a) => {
            !(a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_documentation()
                || a.octets()[0] == 100 && (64..128).contains(&a.octets()[1]))
        }
        Err(_) => false,
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
