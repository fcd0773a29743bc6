//! Routes: who receives an alert, chosen by account, severity, priority and resource owner tag.
//!
//! Every route whose matchers all match gets one email of its own, addressed to all of its
//! recipients (never one email per recipient). When no route matches, the default route, the
//! recipients of `HUSHHUB_RECIPIENTS`, gets it; the default route gets nothing when another
//! route matched, so a team's findings do not also land in the catch-all mailbox. To copy a
//! team's alerts to the central mailbox, list that mailbox among the route's recipients.

use serde::{Deserialize, Serialize};

use crate::config::check_address;
use crate::finding::{AccountId, Finding, Severity};
use crate::score::Priority;

/// The name of the route of `HUSHHUB_RECIPIENTS`: reserved, no configured route may take it.
pub const DEFAULT_ROUTE: &str = "default";
/// The resource tag whose value the `owners` matcher compares, unless configured otherwise.
pub const DEFAULT_OWNER_TAG_KEY: &str = "Owner";
/// The most routes one configuration may hold: each matching route costs one SES call inside
/// render-html-email's 10 s timeout.
pub const MAX_ROUTES: usize = 50;
/// SES accepts at most 50 recipients per message.
pub const MAX_RECIPIENTS: usize = 50;
/// Longest route name: it becomes part of a `Message-ID` and a mail header.
pub const MAX_NAME_CHARS: usize = 64;

/// One route: every matcher given must match (any of its values); its recipients get one email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// `[a-z0-9-]`, unique: shown in the replay and in the `X-Hushhub-Route` header.
    pub name: String,
    /// Account ids; empty means any account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountId>,
    /// `CRITICAL`..`INFORMATIONAL`; empty means any severity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severities: Vec<Severity>,
    /// `P0`..`P3`; empty means any priority.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priorities: Vec<Priority>,
    /// Values of the owner tag (`owner_tag_key`, its case ignored) on any of the finding's
    /// resources, compared exactly; empty means any owner.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// 1 to 50 addresses, all on the one email.
    pub recipients: Vec<String>,
}

impl Route {
    /// Whether every matcher given matches an alert on `finding` at `priority`.
    pub fn matches(&self, finding: &Finding, priority: Priority, owner_tag_key: &str) -> bool {
        any_of(&self.accounts, |a| *a == finding.account_id)
            && any_of(&self.severities, |s| *s == finding.severity)
            && any_of(&self.priorities, |p| *p == priority)
            && any_of(&self.owners, |owner| {
                finding.resources.iter().any(|r| {
                    // Teams spell the key `Owner`, `owner` or `OWNER`; a missed key would send a
                    // team's alert to the default route without a word, so case is ignored.
                    r.tags
                        .iter()
                        .any(|(k, v)| k.eq_ignore_ascii_case(owner_tag_key) && v == owner)
                })
            })
    }

    fn check(&self) -> Result<(), String> {
        if !is_route_name(&self.name) {
            return Err(format!(
                "name {:?} must be 1 to {MAX_NAME_CHARS} characters of a-z, 0-9 and -",
                self.name
            ));
        }
        if self.name == DEFAULT_ROUTE {
            return Err(format!(
                "name {DEFAULT_ROUTE:?} is reserved for the recipients of HUSHHUB_RECIPIENTS"
            ));
        }
        if self.accounts.is_empty()
            && self.severities.is_empty()
            && self.priorities.is_empty()
            && self.owners.is_empty()
        {
            // A route matching everything would leave the default route nothing: say so instead.
            return Err("needs at least one of accounts, severities, priorities, owners".into());
        }
        if self.owners.iter().any(|o| o.trim().is_empty()) {
            return Err("an owner is empty".into());
        }
        check_recipients(&self.recipients)
    }
}

/// An empty matcher matches anything; otherwise any one of its values must.
fn any_of<T>(values: &[T], wanted: impl Fn(&T) -> bool) -> bool {
    values.is_empty() || values.iter().any(wanted)
}

/// Whether `name` can name a route: it goes into a `Message-ID` and a header as it is.
fn is_route_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_CHARS
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// 1 to [`MAX_RECIPIENTS`] valid addresses.
pub fn check_recipients(recipients: &[String]) -> Result<(), String> {
    if recipients.is_empty() {
        return Err("needs at least one recipient".into());
    }
    if recipients.len() > MAX_RECIPIENTS {
        return Err(format!(
            "holds {} recipients; SES accepts at most {MAX_RECIPIENTS} per email",
            recipients.len()
        ));
    }
    recipients.iter().try_for_each(|r| check_address(r))
}

/// Where one email of an alert goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteTarget<'a> {
    /// The route's name; [`DEFAULT_ROUTE`] for the recipients of `HUSHHUB_RECIPIENTS`.
    pub name: &'a str,
    pub recipients: &'a [String],
}

impl RouteTarget<'_> {
    /// Whether this is the default route, whose emails look exactly as before routes existed.
    pub fn is_default(&self) -> bool {
        self.name == DEFAULT_ROUTE
    }
}

/// The configured routes (`HUSHHUB_ROUTES`, Terraform variable `routes`), the owner tag key
/// they match on (`HUSHHUB_OWNER_TAG_KEY`) and the default route (`HUSHHUB_RECIPIENTS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routes {
    routes: Vec<Route>,
    owner_tag_key: String,
    default_recipients: Vec<String>,
}

impl Routes {
    /// Only the default route: every alert goes to `recipients` (which are not checked here;
    /// the configuration checks them where it reads them).
    pub fn only_default(recipients: Vec<String>) -> Self {
        Self {
            routes: Vec::new(),
            owner_tag_key: DEFAULT_OWNER_TAG_KEY.to_owned(),
            default_recipients: recipients,
        }
    }

    /// Checks and keeps `routes`; an error names the route by its position.
    pub fn new(
        routes: Vec<Route>,
        owner_tag_key: &str,
        default_recipients: Vec<String>,
    ) -> Result<Self, String> {
        if routes.len() > MAX_ROUTES {
            return Err(format!(
                "holds {} routes; at most {MAX_ROUTES}",
                routes.len()
            ));
        }
        for (i, route) in routes.iter().enumerate() {
            route
                .check()
                .map_err(|problem| format!("[{i}]: {problem}"))?;
            if routes[..i].iter().any(|r| r.name == route.name) {
                return Err(format!("[{i}]: name {:?} is used twice", route.name));
            }
        }
        Ok(Self {
            routes,
            owner_tag_key: check_owner_tag_key(owner_tag_key)
                .map_err(|problem| format!("owner tag key {problem}"))?
                .to_owned(),
            default_recipients,
        })
    }

    /// Parses the JSON list the Terraform module writes; empty text means no routes.
    pub fn parse(
        json: &str,
        owner_tag_key: &str,
        default_recipients: Vec<String>,
    ) -> Result<Self, String> {
        let list: Vec<Route> = if json.trim().is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(json).map_err(|e| e.to_string())?
        };
        Self::new(list, owner_tag_key, default_recipients)
    }

    /// Every route that gets an email of this alert, in configuration order; the default route
    /// alone when none matches.
    pub fn for_alert(&self, finding: &Finding, priority: Priority) -> Vec<RouteTarget<'_>> {
        let matched: Vec<RouteTarget<'_>> = self
            .routes
            .iter()
            .filter(|r| r.matches(finding, priority, &self.owner_tag_key))
            .map(|r| RouteTarget {
                name: &r.name,
                recipients: &r.recipients,
            })
            .collect();
        if matched.is_empty() {
            vec![RouteTarget {
                name: DEFAULT_ROUTE,
                recipients: &self.default_recipients,
            }]
        } else {
            matched
        }
    }

    /// Whether any route besides the default one is configured: only then do the replay and
    /// the outcome name the routes, so a configuration without routes reads as it always did.
    pub fn is_configured(&self) -> bool {
        !self.routes.is_empty()
    }

    /// The configured routes, in configuration order (the default route not among them).
    pub fn as_slice(&self) -> &[Route] {
        &self.routes
    }

    /// The recipients of the default route (`HUSHHUB_RECIPIENTS`).
    pub fn default_recipients(&self) -> &[String] {
        &self.default_recipients
    }

    /// The tag key the `owners` matcher reads.
    pub fn owner_tag_key(&self) -> &str {
        &self.owner_tag_key
    }
}

/// A tag key as AWS allows it: 1 to 128 characters, none of them control characters.
pub fn check_owner_tag_key(key: &str) -> Result<&str, String> {
    let key = key.trim();
    if key.is_empty() || key.chars().count() > 128 || key.chars().any(char::is_control) {
        return Err(format!("{key:?} must be 1 to 128 characters on one line"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_names_are_lowercase_words() {
        assert!(is_route_name("team-a"));
        assert!(is_route_name("p0-oncall2"));
        assert!(!is_route_name(""));
        assert!(!is_route_name("Team-A"));
        assert!(!is_route_name("team a"));
        assert!(!is_route_name("team.a"));
        assert!(!is_route_name(&"a".repeat(MAX_NAME_CHARS + 1)));
    }
}
