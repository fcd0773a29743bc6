//! The deterministic priority score: points per observable signal, the breakdown that shows
//! them, a priority P0..P3 and its SLA.
//!
//! Deterministic on purpose: the same finding always gets the same priority, whatever the model
//! says, and the email shows exactly which facts gave which points.

use serde::{Deserialize, Serialize};

use crate::finding::{Availability, Finding, Severity};

/// One signal the score looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    Severity,
    ExploitAvailable,
    FixAvailable,
    InternetExposure,
    IamPrivilege,
    ProductionTag,
    SensitiveDataTag,
    EcrImageVulnerability,
}

impl Signal {
    /// How the signal reads in the email.
    pub fn label(self) -> &'static str {
        match self {
            Self::Severity => "Severity",
            Self::ExploitAvailable => "Exploit available",
            Self::FixAvailable => "Fix available",
            Self::InternetExposure => "Internet exposure",
            Self::IamPrivilege => "IAM / privilege",
            Self::ProductionTag => "Production resource",
            Self::SensitiveDataTag => "Sensitive data",
            Self::EcrImageVulnerability => "Container image vulnerability",
        }
    }
}

/// Points for the severity label: the base of every score.
pub fn severity_points(severity: Severity) -> u8 {
    match severity {
        Severity::Critical => 40,
        Severity::High => 30,
        Severity::Medium => 15,
        Severity::Low => 5,
        Severity::Informational => 0,
    }
}

/// A known public exploit makes exploitation likely soon.
pub const EXPLOIT_AVAILABLE_POINTS: u8 = 15;
/// A fix exists: the finding is actionable today, so it should not wait in a backlog.
pub const FIX_AVAILABLE_POINTS: u8 = 5;
/// Reachable from the internet: anyone can try.
pub const INTERNET_EXPOSURE_POINTS: u8 = 15;
/// Identities and privileges: a compromise spreads beyond one resource.
pub const IAM_PRIVILEGE_POINTS: u8 = 10;
/// A resource tagged as production serves customers.
pub const PRODUCTION_TAG_POINTS: u8 = 10;
/// A resource tagged (or found) to hold sensitive data.
pub const SENSITIVE_DATA_POINTS: u8 = 10;
/// A vulnerable image is deployed wherever it runs, often many times.
pub const ECR_IMAGE_POINTS: u8 = 5;

/// Tag keys and values that mark production.
const PRODUCTION_KEYS: [&str; 4] = ["environment", "env", "stage", "tier"];
const PRODUCTION_VALUES: [&str; 4] = ["prod", "production", "prd", "live"];
/// Tag keys and values that mark sensitive data.
const SENSITIVE_KEYS: [&str; 4] = [
    "data-classification",
    "dataclassification",
    "classification",
    "data_classification",
];
const SENSITIVE_VALUES: [&str; 6] = [
    "sensitive",
    "confidential",
    "restricted",
    "pii",
    "secret",
    "phi",
];
/// Security Hub controls that are about public access.
const EXPOSURE_CONTROLS: [&str; 9] = [
    "S3.1", "S3.2", "S3.3", "S3.8", "S3.19", "EC2.2", "EC2.18", "EC2.19", "RDS.2",
];
/// Finding type fragments that say "reachable from outside".
const EXPOSURE_TYPES: [&str; 3] = [
    "Effects/Data Exposure",
    "TTPs/Initial Access",
    "Unusual Behaviors/Network",
];
const IAM_RESOURCE_TYPES: [&str; 5] = [
    "AwsIamRole",
    "AwsIamUser",
    "AwsIamPolicy",
    "AwsIamAccessKey",
    "AwsIamGroup",
];

/// One line of the breakdown: a signal, its points, and the fact that triggered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    pub signal: Signal,
    pub points: u8,
    pub evidence: String,
}

/// P0 immediate .. P3 backlog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Priority {
    P0,
    P1,
    P2,
    P3,
}

impl Priority {
    /// From a score: P0 at 70 and above, P1 at 50, P2 at 30, else P3.
    pub fn from_points(points: u8) -> Self {
        match points {
            70.. => Self::P0,
            50..=69 => Self::P1,
            30..=49 => Self::P2,
            _ => Self::P3,
        }
    }

    /// `P0`..`P3`.
    pub fn label(self) -> &'static str {
        match self {
            Self::P0 => "P0",
            Self::P1 => "P1",
            Self::P2 => "P2",
            Self::P3 => "P3",
        }
    }

    /// What the priority asks of the team.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::P0 => "immediate",
            Self::P1 => "high",
            Self::P2 => "planned",
            Self::P3 => "backlog",
        }
    }

    /// Time to remediate, in hours.
    pub fn sla_hours(self) -> u32 {
        match self {
            Self::P0 => 4,
            Self::P1 => 72,
            Self::P2 => 14 * 24,
            Self::P3 => 90 * 24,
        }
    }

    /// The SLA as people say it.
    pub fn sla_text(self) -> &'static str {
        match self {
            Self::P0 => "act within 4 hours",
            Self::P1 => "fix within 3 days",
            Self::P2 => "fix within 14 days",
            Self::P3 => "fix within 90 days",
        }
    }
}

impl std::fmt::Display for Priority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// The score of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    /// 0..=100.
    pub points: u8,
    pub priority: Priority,
    pub breakdown: Vec<Contribution>,
}

/// Scores a finding from what it says, nothing else.
pub fn score(finding: &Finding) -> Score {
    let mut breakdown = vec![Contribution {
        signal: Signal::Severity,
        points: severity_points(finding.severity),
        evidence: format!("severity {}", finding.severity),
    }];
    let mut add = |signal, points, evidence: Option<String>| {
        if let Some(evidence) = evidence {
            breakdown.push(Contribution {
                signal,
                points,
                evidence,
            });
        }
    };
    add(
        Signal::ExploitAvailable,
        EXPLOIT_AVAILABLE_POINTS,
        finding
            .vulnerabilities
            .iter()
            .find(|v| v.exploit_available == Some(Availability::Yes))
            .map(|v| format!("{}: exploit available", v.id)),
    );
    add(
        Signal::FixAvailable,
        FIX_AVAILABLE_POINTS,
        finding
            .vulnerabilities
            .iter()
            .find(|v| v.fix_available == Some(Availability::Yes))
            .map(|v| format!("{}: fix available", v.id)),
    );
    add(
        Signal::InternetExposure,
        INTERNET_EXPOSURE_POINTS,
        exposure_evidence(finding),
    );
    add(
        Signal::IamPrivilege,
        IAM_PRIVILEGE_POINTS,
        iam_evidence(finding),
    );
    add(
        Signal::ProductionTag,
        PRODUCTION_TAG_POINTS,
        tag_evidence(finding, &PRODUCTION_KEYS, &PRODUCTION_VALUES),
    );
    add(
        Signal::SensitiveDataTag,
        SENSITIVE_DATA_POINTS,
        tag_evidence(finding, &SENSITIVE_KEYS, &SENSITIVE_VALUES).or_else(|| {
            finding
                .types
                .iter()
                .find(|t| t.contains("Sensitive Data Identifications"))
                .map(|t| format!("type {t}"))
        }),
    );
    add(
        Signal::EcrImageVulnerability,
        ECR_IMAGE_POINTS,
        finding
            .ecr_image()
            .filter(|_| !finding.vulnerabilities.is_empty())
            .map(|img| format!("image in repository {}", img.repository)),
    );
    let total: u32 = breakdown.iter().map(|c| u32::from(c.points)).sum();
    let points = total.min(100) as u8;
    Score {
        points,
        priority: Priority::from_points(points),
        breakdown,
    }
}

fn exposure_evidence(finding: &Finding) -> Option<String> {
    if let Some(ip) = finding
        .resources
        .iter()
        .flat_map(|r| r.public_ips.iter())
        .next()
    {
        return Some(format!("public IP {ip}"));
    }
    if let Some(control) = finding
        .control_id
        .as_deref()
        .filter(|c| EXPOSURE_CONTROLS.contains(c))
    {
        return Some(format!("control {control} is about public access"));
    }
    if let Some(t) = finding
        .types
        .iter()
        .find(|t| EXPOSURE_TYPES.iter().any(|e| t.contains(e)))
    {
        return Some(format!("type {t}"));
    }
    match &finding.network {
        Some(n) if n.direction.as_deref() == Some("IN") => Some(format!(
            "inbound traffic from {}",
            n.source_ip.as_deref().unwrap_or("outside")
        )),
        _ => None,
    }
}

fn iam_evidence(finding: &Finding) -> Option<String> {
    if let Some(r) = finding
        .resources
        .iter()
        .find(|r| IAM_RESOURCE_TYPES.contains(&r.kind.as_str()))
    {
        return Some(format!("{} {}", r.kind, r.id));
    }
    if let Some(t) = finding
        .types
        .iter()
        .find(|t| t.contains("Privilege Escalation"))
    {
        return Some(format!("type {t}"));
    }
    finding
        .control_id
        .as_deref()
        .filter(|c| c.starts_with("IAM."))
        .map(|c| format!("control {c} is about IAM"))
}

fn tag_evidence(finding: &Finding, keys: &[&str], values: &[&str]) -> Option<String> {
    finding.resources.iter().find_map(|r| {
        r.tags.iter().find_map(|(k, v)| {
            let hit = keys.iter().any(|key| k.eq_ignore_ascii_case(key))
                && values
                    .iter()
                    .any(|value| v.trim().eq_ignore_ascii_case(value));
            hit.then(|| format!("tag {k}={v}"))
        })
    })
}
