//! Silences: operator-set, time-limited suppressions of the alerts of matching findings.
//!
//! A silence only stops emails. A silenced finding is still recorded and its record is not
//! marked alerted, so once the silence ends the next delivery alerts if the finding is due then.
//! Which silence applies is decided at the time of each delivery, from the [`Clock`], so an
//! expired silence is simply ignored.
//!
//! [`Clock`]: crate::ports::Clock

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::finding::{AccountId, Finding};

/// The most silences one configuration may hold: each one is tried on every finding.
pub const MAX_SILENCES: usize = 200;

/// One silence: every matcher given must match, until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Silence {
    /// The Security Hub control, e.g. `S3.1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_id: Option<String>,
    /// A finding type, e.g. `TTPs/Discovery` (matches that type and every type under it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<AccountId>,
    /// A glob on any resource id (`*` any run of characters, `?` one character).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// `key=value`: a tag any resource carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// When the silence ends (RFC 3339).
    #[serde(with = "crate::timestamp")]
    pub until: DateTime<Utc>,
    /// Why: shown as the decision's reason, `silenced: <reason>`.
    pub reason: String,
}

impl Silence {
    /// Whether this silence holds at `now` and matches `finding`.
    pub fn silences(&self, finding: &Finding, now: DateTime<Utc>) -> bool {
        now < self.until && self.matches(finding)
    }

    /// Whether every matcher given matches `finding`, whatever the time.
    pub fn matches(&self, finding: &Finding) -> bool {
        let control = self
            .control_id
            .as_deref()
            .is_none_or(|c| finding.control_id.as_deref() == Some(c));
        let finding_type = self.finding_type.as_deref().is_none_or(|wanted| {
            finding.types.iter().any(|t| {
                t == wanted
                    || t.strip_prefix(wanted)
                        .is_some_and(|rest| rest.starts_with('/'))
            })
        });
        let account = self
            .account_id
            .as_ref()
            .is_none_or(|a| *a == finding.account_id);
        let resource = self
            .resource_id
            .as_deref()
            .is_none_or(|pattern| finding.resources.iter().any(|r| glob(pattern, &r.id)));
        let tag = self.tag.as_deref().is_none_or(|tag| {
            let (key, value) = tag.split_once('=').unwrap_or((tag, ""));
            finding
                .resources
                .iter()
                .any(|r| r.tags.get(key).is_some_and(|v| v == value))
        });
        control && finding_type && account && resource && tag
    }

    fn check(&self) -> Result<(), String> {
        let matchers = [
            &self.control_id,
            &self.finding_type,
            &self.resource_id,
            &self.tag,
        ];
        if matchers.iter().all(|m| m.is_none()) && self.account_id.is_none() {
            return Err(
                "needs at least one of control_id, finding_type, account_id, resource_id, tag"
                    .into(),
            );
        }
        if matchers
            .iter()
            .any(|m| m.as_deref().is_some_and(|s| s.trim().is_empty()))
        {
            return Err("a matcher is empty".into());
        }
        if self.tag.as_deref().is_some_and(|t| !t.contains('=')) {
            return Err(format!("tag {:?} is not key=value", self.tag));
        }
        if self.reason.trim().is_empty() {
            return Err("reason must not be empty".into());
        }
        if self.reason.chars().any(char::is_control) {
            return Err("reason must be one line".into());
        }
        Ok(())
    }
}

/// The configured silences (`HUSHHUB_SILENCES`, Terraform variable `silences`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Silences(Vec<Silence>);

impl Silences {
    /// Checks and keeps `silences`; an error names the silence by its position.
    pub fn new(silences: Vec<Silence>) -> Result<Self, String> {
        if silences.len() > MAX_SILENCES {
            return Err(format!(
                "holds {} silences; at most {MAX_SILENCES}",
                silences.len()
            ));
        }
        for (i, s) in silences.iter().enumerate() {
            s.check().map_err(|problem| format!("[{i}]: {problem}"))?;
        }
        Ok(Self(silences))
    }

    /// Parses the JSON list the Terraform module writes; empty text means no silences.
    pub fn parse(json: &str) -> Result<Self, String> {
        if json.trim().is_empty() {
            return Ok(Self::default());
        }
        let list: Vec<Silence> = serde_json::from_str(json).map_err(|e| e.to_string())?;
        Self::new(list)
    }

    /// The first silence that holds at `now` for `finding`.
    pub fn find(&self, finding: &Finding, now: DateTime<Utc>) -> Option<&Silence> {
        self.0.iter().find(|s| s.silences(finding, now))
    }

    /// The decision reason of a silenced alert: `silenced: <reason>`.
    pub fn reason(&self, finding: &Finding, now: DateTime<Utc>) -> Option<String> {
        self.find(finding, now)
            .map(|s| format!("silenced: {}", s.reason))
    }

    /// All silences, in configuration order.
    pub fn as_slice(&self) -> &[Silence] {
        &self.0
    }
}

/// `*` matches any run of characters (also none), `?` exactly one; everything else itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Greedy with one backtrack point: linear in practice, no recursion on hostile input.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn glob_matches_like_a_shell() {
        assert!(glob("arn:aws:s3:::logs-*", "arn:aws:s3:::logs-2026"));
        assert!(glob("*", ""));
        assert!(glob("a?c", "abc"));
        assert!(glob(
            "*i-0a1b*",
            "arn:aws:ec2:us-east-1:1:instance/i-0a1b2c"
        ));
        assert!(!glob("arn:aws:s3:::logs-*", "arn:aws:s3:::data"));
        assert!(!glob("a?c", "ac"));
        assert!(!glob("abc", "abcd"));
    }
}
