//! OCSF findings (inside the new Security Hub's "Findings Imported V2" events) read into the same
//! compact [`Finding`] as ASFF ones, so both generations of Security Hub share one pipeline.
//!
//! The mapping keeps the ASFF meanings the rest of hushhub relies on: `metadata.uid` is the
//! finding's id (it is what Security Hub's V2 API addresses a finding by), `severity_id` gives
//! the label, `status_id` the workflow status and `compliance.status_id` the compliance status.
//! Errors name the OCSF field path, e.g. `detail.findings[0].severity_id: unknown value 7`.

use std::collections::BTreeMap;

use crate::json::{JsonKind, JsonRef};
use chrono::{DateTime, Utc};

use super::{
    AccountId, Availability, ComplianceStatus, Finding, FindingError, FindingFormat, FindingId,
    Node, RecordState, Remediation, Resource, Severity, Vulnerability, WorkflowStatus, clip,
    highest_cvss, is_https_url, kind_of, limits, product_from_arn, region_from_arn,
    vulnerable_packages,
};

/// OCSF `activity_id` of a finding that was closed: Security Hub keeps it only 14 days.
const ACTIVITY_CLOSE: u64 = 3;

impl Finding {
    /// Reads one OCSF finding; `path` is where it sits in the event (`detail.findings[0]`).
    pub fn from_ocsf<'a>(raw: impl Into<JsonRef<'a>>, path: &str) -> Result<Finding, FindingError> {
        let f = Node::root(raw.into(), path)?;
        let metadata = f.req("metadata")?;
        let uid = metadata.req("uid")?;
        let id = FindingId::new(uid.string()?).map_err(|p| uid.error(p))?;
        let product = metadata.req("product")?;
        let product_arn = clip(product.req("uid")?.nonempty_string()?, limits::SHORT_CHARS);
        let product_name = match product.opt("name")? {
            Some(p) => clip(p.string()?, limits::SHORT_CHARS).to_owned(),
            None => product_from_arn(product_arn),
        };
        let cloud = f.req("cloud")?;
        let account_node = cloud.req("account")?;
        let account = account_node.req("uid")?;
        let account_id = AccountId::new(account.string()?).map_err(|p| account.error(p))?;
        let info = f.req("finding_info")?;
        let severity = read_severity(&f)?;

        let resources_node = f.req("resources")?;
        let resources_list = resources_node.array()?;
        if resources_list.len() == 0 {
            return Err(resources_node.error("must name at least one resource"));
        }
        let resources = resources_node.items(limits::RESOURCES, read_resource)?;
        let mut region = match cloud.opt("region")? {
            Some(r) => r.nonempty_string()?.to_owned(),
            None => region_from_arn(product_arn)
                .or_else(|| resources.iter().find_map(|r| r.region.clone()))
                .ok_or_else(|| {
                    cloud.error("region is missing and cannot be read from metadata.product.uid")
                })?,
        };
        region.truncate(clip(&region, limits::SHORT_CHARS).len());

        let description_full = match info.opt("desc")? {
            Some(d) => {
                let text = d.string()?;
                if text.len() > limits::EVENT_BYTES {
                    return Err(d.error(format!(
                        "is {} KB, more than a whole EventBridge event may hold (256 KB)",
                        text.len() / 1024
                    )));
                }
                text
            }
            None => "",
        };
        let description = clip(description_full, limits::DESCRIPTION_CHARS);

        let compliance = f.opt("compliance")?;
        let (control_id, compliance_status) = match &compliance {
            Some(c) => (
                c.opt("control")?
                    .map(|s| s.string().map(|s| clip(s, limits::SHORT_CHARS).to_owned()))
                    .transpose()?,
                c.opt("status_id")?
                    .map(|s| s.number_in(&COMPLIANCE))
                    .transpose()?
                    .flatten(),
            ),
            None => (None, None),
        };
        let analytic = info.opt("analytic")?;
        let analytic_uid = match &analytic {
            Some(a) => a.opt("uid")?.map(|u| u.nonempty_string()).transpose()?,
            None => None,
        };
        let generator_id = match analytic_uid {
            Some(uid) => clip(uid, limits::SHORT_CHARS).to_owned(),
            // The ASFF GeneratorId of a control finding is exactly this.
            None => match &control_id {
                Some(control) => format!("security-control/{control}"),
                None => product_arn.to_owned(),
            },
        };

        let status = f
            .opt("status_id")?
            .map(|s| s.number_in(&STATUS))
            .transpose()?
            .flatten();
        let closed = f
            .opt("activity_id")?
            .map(|a| a.value.as_u64().ok_or_else(|| a.error("expected a number")))
            .transpose()?
            == Some(ACTIVITY_CLOSE);
        let (workflow_status, record_state) = match status {
            Some(Status::Workflow(w)) => (Some(w), RecordState::Active),
            Some(Status::Archived) => (None, RecordState::Archived),
            None => (None, RecordState::Active),
        };
        let record_state = if closed {
            RecordState::Archived
        } else {
            record_state
        };

        let types = info.opt_items("types", limits::TYPES, |t| t.short_string())?;
        let vulnerabilities = f.opt_items(
            "vulnerabilities",
            limits::VULNERABILITIES,
            read_vulnerability,
        )?;
        let remediation = match f.opt("remediation")? {
            Some(r) => {
                let text = r
                    .opt("desc")?
                    .map(|t| {
                        t.string()
                            .map(|s| clip(s, limits::REMEDIATION_CHARS).to_owned())
                    })
                    .transpose()?;
                let mut url = None;
                if let Some(refs) = r.opt("references")? {
                    for (i, item) in refs.array()?.enumerate() {
                        let link = refs.index(i, item)?.string()?;
                        if is_https_url(link) {
                            url = Some(link.to_owned());
                            break;
                        }
                    }
                }
                (text.is_some() || url.is_some()).then_some(Remediation { text, url })
            }
            None => None,
        };
        let created_at = time(&info, "created_time")?
            .ok_or_else(|| info.error("needs created_time_dt (or created_time)"))?;
        let updated_at = match time(&info, "modified_time")? {
            Some(t) => t,
            None => time(&f, "time")?.unwrap_or(created_at),
        };
        Ok(Finding {
            id,
            format: FindingFormat::Ocsf,
            product_arn: product_arn.to_owned(),
            product_name,
            generator_id,
            control_id,
            account_id,
            region,
            title: clip(info.req("title")?.string()?, limits::TITLE_CHARS).to_owned(),
            description: description.to_owned(),
            description_truncated: description.len() < description_full.len(),
            severity,
            severity_normalized: None,
            types,
            resource_count: resources_list.len(),
            resources,
            workflow_status,
            record_state,
            compliance_status,
            vulnerabilities,
            remediation,
            network: None,
            created_at,
            updated_at,
            first_observed_at: time(&info, "first_seen_time")?,
            last_observed_at: time(&info, "last_seen_time")?,
        })
    }
}

/// What an OCSF finding `status_id` means in ASFF terms.
#[derive(Debug, Clone, Copy)]
enum Status {
    Workflow(WorkflowStatus),
    Archived,
}

/// `status_id`: 0 Unknown and 99 Other say nothing, like an absent `Workflow.Status`.
const STATUS: [(u64, Option<Status>); 7] = [
    (0, None),
    (1, Some(Status::Workflow(WorkflowStatus::New))),
    (2, Some(Status::Workflow(WorkflowStatus::Notified))),
    (3, Some(Status::Workflow(WorkflowStatus::Suppressed))),
    (4, Some(Status::Workflow(WorkflowStatus::Resolved))),
    (5, Some(Status::Archived)),
    (99, None),
];

/// `compliance.status_id`.
const COMPLIANCE: [(u64, Option<ComplianceStatus>); 5] = [
    (0, None),
    (1, Some(ComplianceStatus::Passed)),
    (2, Some(ComplianceStatus::Warning)),
    (3, Some(ComplianceStatus::Failed)),
    (99, Some(ComplianceStatus::NotAvailable)),
];

/// `severity_id` 1..=6; Fatal (6) alerts as CRITICAL. Unknown (0) and Other (99) fall back to the
/// `severity` caption when it is an ASFF label, since the id alone says nothing.
fn read_severity(f: &Node<'_>) -> Result<Severity, FindingError> {
    let id_node = f.req("severity_id")?;
    let id = id_node.value.as_u64().ok_or_else(|| {
        id_node.error(format!("expected a number, got {}", kind_of(id_node.value)))
    })?;
    match id {
        1 => Ok(Severity::Informational),
        2 => Ok(Severity::Low),
        3 => Ok(Severity::Medium),
        4 => Ok(Severity::High),
        5 | 6 => Ok(Severity::Critical),
        0 | 99 => {
            let caption = f.opt("severity")?.ok_or_else(|| {
                id_node.error(format!("is {id} (not mapped) and severity is missing"))
            })?;
            let text = caption.string()?;
            Severity::from_label(text)
                .ok_or_else(|| caption.error(format!("unknown value {:?}", clip(text, 40))))
        }
        other => Err(id_node.error(format!("unknown value {other}"))),
    }
}

fn read_resource(r: &Node<'_>) -> Result<Resource, FindingError> {
    let kind = r.req("type")?.nonempty_short_string()?;
    let id = r.req("uid")?.nonempty_short_string()?;
    let region = r.opt("region")?.map(|n| n.short_string()).transpose()?;
    let mut tags = BTreeMap::new();
    if let Some(t) = r.opt("tags")? {
        // OCSF tags are a list of `{name, value}`; some producers send an object map instead.
        match t.value.kind() {
            JsonKind::Array => {
                for (i, item) in t.array()?.enumerate().take(limits::TAGS) {
                    let tag = t.index(i, item)?;
                    let name = tag.req("name")?.string()?;
                    let value = match tag.opt("value")? {
                        Some(v) => v.string()?,
                        None => "",
                    };
                    tags.insert(clip(name, 128).to_owned(), clip(value, 256).to_owned());
                }
            }
            JsonKind::Object => {
                for (k, v) in t
                    .value
                    .sorted_members()
                    .into_iter()
                    .flatten()
                    .take(limits::TAGS)
                {
                    let value = v
                        .as_str()
                        .ok_or_else(|| t.child(k, v).error("expected a string"))?;
                    tags.insert(clip(k, 128).to_owned(), clip(value, 256).to_owned());
                }
            }
            _ => {
                return Err(t.error(format!("expected a list, got {}", kind_of(t.value))));
            }
        }
    }
    // OCSF resource details carry no network addresses or image digests in a documented
    // place: exposure then comes from the control or the types, and the ECR latest-image check
    // does not apply to OCSF findings.
    Ok(Resource {
        kind,
        id,
        region,
        tags,
        public_ips: Vec::new(),
        ecr_image: None,
    })
}

fn read_vulnerability(v: &Node<'_>) -> Result<Vulnerability, FindingError> {
    let cve = v.req("cve")?;
    let cvss_score = highest_cvss(&cve, "cvss", "base_score")?;
    let packages = vulnerable_packages(v, "affected_packages", "name", "version")?;
    let yes_no = |key: &'static str| -> Result<Option<Availability>, FindingError> {
        v.opt(key)?
            .map(|b| match b.value.as_bool() {
                Some(true) => Ok(Availability::Yes),
                Some(false) => Ok(Availability::No),
                None => Err(b.error(format!("expected a boolean, got {}", kind_of(b.value)))),
            })
            .transpose()
    };
    Ok(Vulnerability {
        id: clip(cve.req("uid")?.nonempty_string()?, 128).to_owned(),
        fix_available: yes_no("fix_available")?,
        exploit_available: yes_no("is_exploit_available")?,
        cvss_score,
        packages,
    })
}

/// An OCSF time: `<name>_dt` (RFC 3339 text) when present, else `<name>` (epoch milliseconds).
fn time(node: &Node<'_>, name: &'static str) -> Result<Option<DateTime<Utc>>, FindingError> {
    let dt_key = match name {
        "created_time" => "created_time_dt",
        "modified_time" => "modified_time_dt",
        "first_seen_time" => "first_seen_time_dt",
        "last_seen_time" => "last_seen_time_dt",
        _ => "time_dt",
    };
    if let Some(dt) = node.opt(dt_key)? {
        return dt.timestamp().map(Some);
    }
    match node.opt(name)? {
        Some(ms) => ms
            .value
            .as_i64()
            .and_then(DateTime::<Utc>::from_timestamp_millis)
            .map(Some)
            .ok_or_else(|| ms.error("expected a time in milliseconds since the epoch")),
        None => Ok(None),
    }
}

impl Node<'_> {
    /// A whole number looked up in `table`, e.g. an OCSF `*_id` enum.
    fn number_in<T: Copy>(&self, table: &[(u64, T)]) -> Result<T, FindingError> {
        let n = self
            .value
            .as_u64()
            .ok_or_else(|| match self.value.as_number() {
                Some(n) => self.error(format!("unknown value {n}")),
                None => self.error(format!("expected a number, got {}", kind_of(self.value))),
            })?;
        table
            .iter()
            .find(|(id, _)| *id == n)
            .map(|(_, v)| *v)
            .ok_or_else(|| self.error(format!("unknown value {n}")))
    }
}
