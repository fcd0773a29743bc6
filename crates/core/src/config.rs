//! Runtime configuration, read once from the environment the Terraform module sets.
//!
//! Every environment variable name is a constant in [`env`]; an invalid value fails at start with
//! a message that names the variable, so a bad `terraform apply` shows up at once, not at the
//! first finding.

use std::collections::{BTreeMap, BTreeSet};

use crate::finding::{AccountId, Finding, Severity};
use crate::routing::{self, Routes};
use crate::seen::RenotifyPolicy;
use crate::silence::Silences;

/// The names of the environment variables [`Config::from_env`] reads.
pub mod env {
    /// DynamoDB table of seen findings.
    pub const TABLE_NAME: &str = "HUSHHUB_TABLE_NAME";
    /// Verified SES identity the alerts come from.
    pub const SENDER: &str = "HUSHHUB_SENDER";
    /// Comma-separated recipients of the default route: every alert no route in [`ROUTES`]
    /// matches.
    pub const RECIPIENTS: &str = "HUSHHUB_RECIPIENTS";
    /// `renotify_after` per severity: `CRITICAL=1d,HIGH=5d,MEDIUM=15d,LOW=30d`.
    pub const RENOTIFY_AFTER: &str = "HUSHHUB_RENOTIFY_AFTER";
    /// Comma-separated severities that alert.
    pub const ALERT_SEVERITIES: &str = "HUSHHUB_ALERT_SEVERITIES";
    /// Comma-separated `ProductName`s that alert; empty means every product.
    pub const ALERT_PRODUCTS: &str = "HUSHHUB_ALERT_PRODUCTS";
    /// `true`: ECR image findings alert only on the latest tagged image of their repository.
    pub const ECR_LATEST_ONLY: &str = "HUSHHUB_ECR_LATEST_ONLY";
    /// `true`: summaries come from Claude through Bedrock.
    pub const BEDROCK_ENABLED: &str = "HUSHHUB_BEDROCK_ENABLED";
    /// The Bedrock model or inference profile id.
    pub const BEDROCK_MODEL_ID: &str = "HUSHHUB_BEDROCK_MODEL_ID";
    /// `true`: after an alert, add a note and set `Workflow.Status=NOTIFIED` in Security Hub.
    pub const SECURITYHUB_NOTES_ENABLED: &str = "HUSHHUB_SECURITYHUB_NOTES_ENABLED";
    /// Optional SES configuration set for sending.
    pub const SES_CONFIGURATION_SET: &str = "HUSHHUB_SES_CONFIGURATION_SET";
    /// Optional `111122223333=prod-payments,...` names shown beside account ids.
    pub const ACCOUNT_ALIASES: &str = "HUSHHUB_ACCOUNT_ALIASES";
    /// Silences as a JSON list of `{control_id|finding_type|account_id|resource_id|tag, until,
    /// reason}`; empty or `[]` means none.
    pub const SILENCES: &str = "HUSHHUB_SILENCES";
    /// `true` to send one short "resolved" email, threaded under its alerts, when a finding
    /// hushhub alerted on is resolved, archived, suppressed or passed. Off by default.
    pub const RESOLVED_NOTICES: &str = "HUSHHUB_RESOLVED_NOTICES";

    /// Routes as a JSON list of `{name, accounts, severities, priorities, owners, recipients}`;
    /// every matching route gets one email, the default route ([`RECIPIENTS`]) only when none
    /// matches. Empty or `[]` means every alert goes to [`RECIPIENTS`].
    pub const ROUTES: &str = "HUSHHUB_ROUTES";
    /// The resource tag key whose value a route's `owners` matches; default `Owner`.
    pub const OWNER_TAG_KEY: &str = "HUSHHUB_OWNER_TAG_KEY";

    /// Every variable read, for the test that the Terraform module sets exactly these.
    pub const ALL: [&str; 16] = [
        TABLE_NAME,
        SENDER,
        RECIPIENTS,
        RENOTIFY_AFTER,
        ALERT_SEVERITIES,
        ALERT_PRODUCTS,
        ECR_LATEST_ONLY,
        BEDROCK_ENABLED,
        BEDROCK_MODEL_ID,
        SECURITYHUB_NOTES_ENABLED,
        SES_CONFIGURATION_SET,
        ACCOUNT_ALIASES,
        SILENCES,
        RESOLVED_NOTICES,
        ROUTES,
        OWNER_TAG_KEY,
    ];
    /// The variables without a default.
    pub const REQUIRED: [&str; 3] = [TABLE_NAME, SENDER, RECIPIENTS];
}

/// Default `renotify_after` windows.
pub const DEFAULT_RENOTIFY_AFTER: &str = "CRITICAL=1d,HIGH=5d,MEDIUM=15d,LOW=30d";
/// Default alert severities: everything but INFORMATIONAL.
pub const DEFAULT_ALERT_SEVERITIES: &str = "CRITICAL,HIGH,MEDIUM,LOW";
/// Default model: the global cross-region inference profile of Claude Sonnet 4.6.
pub const DEFAULT_BEDROCK_MODEL_ID: &str = "global.anthropic.claude-sonnet-4-6";

/// An invalid or missing configuration value, naming the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

/// Which findings alert at all, and when a seen one alerts again.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertPolicy {
    pub renotify: RenotifyPolicy,
    pub alert_severities: BTreeSet<Severity>,
    /// Lower-case `ProductName`s; empty means every product.
    pub alert_products: BTreeSet<String>,
    pub ecr_latest_only: bool,
    /// Time-limited suppressions of alerts; a silenced finding is still recorded.
    pub silences: Silences,
    /// Send a resolved notice when a finding hushhub alerted on is resolved.
    pub resolved_notices: bool,
}

impl Default for AlertPolicy {
    fn default() -> Self {
        Self {
            renotify: RenotifyPolicy::default(),
            alert_severities: parse_severities(DEFAULT_ALERT_SEVERITIES).unwrap_or_default(),
            alert_products: BTreeSet::new(),
            ecr_latest_only: true,
            silences: Silences::default(),
            resolved_notices: false,
        }
    }
}

impl AlertPolicy {
    /// Why this finding is not alerted on at all, if it is not.
    pub fn ignore_reason(&self, finding: &Finding) -> Option<String> {
        if !self.alert_severities.contains(&finding.severity) {
            return Some(format!("severity {} is not alerted on", finding.severity));
        }
        if !self.alert_products.is_empty()
            && !self
                .alert_products
                .contains(&finding.product_name.to_lowercase())
        {
            return Some(format!(
                "product {:?} is not alerted on",
                finding.product_name
            ));
        }
        None
    }
}

/// Everything a function needs to know, read once at start.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub table_name: String,
    pub sender: String,
    /// Who gets each alert: the configured routes, and the default route of `HUSHHUB_RECIPIENTS`.
    pub routes: Routes,
    pub policy: AlertPolicy,
    pub bedrock_enabled: bool,
    pub bedrock_model_id: String,
    pub securityhub_notes_enabled: bool,
    pub ses_configuration_set: Option<String>,
    pub account_aliases: BTreeMap<AccountId, String>,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &'static str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required = |name: &'static str| {
            get(name).ok_or(ConfigError {
                variable: name,
                problem: "is not set".into(),
            })
        };
        let fail =
            |variable: &'static str| move |problem: String| ConfigError { variable, problem };

        let sender = required(env::SENDER)?;
        check_address(&sender).map_err(fail(env::SENDER))?;
        let recipients =
            parse_recipients(&required(env::RECIPIENTS)?).map_err(fail(env::RECIPIENTS))?;
        let owner_tag_key =
            get(env::OWNER_TAG_KEY).unwrap_or_else(|| routing::DEFAULT_OWNER_TAG_KEY.into());
        routing::check_owner_tag_key(&owner_tag_key).map_err(fail(env::OWNER_TAG_KEY))?;
        let routes = Routes::parse(
            &get(env::ROUTES).unwrap_or_default(),
            &owner_tag_key,
            recipients,
        )
        .map_err(fail(env::ROUTES))?;
        let renotify = get(env::RENOTIFY_AFTER)
            .unwrap_or_else(|| DEFAULT_RENOTIFY_AFTER.into())
            .parse::<RenotifyPolicy>()
            .map_err(fail(env::RENOTIFY_AFTER))?;
        let alert_severities = parse_severities(
            &get(env::ALERT_SEVERITIES).unwrap_or_else(|| DEFAULT_ALERT_SEVERITIES.into()),
        )
        .map_err(fail(env::ALERT_SEVERITIES))?;
        let alert_products = parse_products(&get(env::ALERT_PRODUCTS).unwrap_or_default());
        let flag = |name: &'static str, default: bool| match get(name) {
            None => Ok(default),
            Some(v) => parse_bool(&v).map_err(fail(name)),
        };
        Ok(Config {
            table_name: required(env::TABLE_NAME)?,
            sender,
            routes,
            policy: AlertPolicy {
                renotify,
                alert_severities,
                alert_products,
                ecr_latest_only: flag(env::ECR_LATEST_ONLY, true)?,
                silences: Silences::parse(&get(env::SILENCES).unwrap_or_default())
                    .map_err(fail(env::SILENCES))?,
                resolved_notices: flag(env::RESOLVED_NOTICES, false)?,
            },
            bedrock_enabled: flag(env::BEDROCK_ENABLED, false)?,
            bedrock_model_id: get(env::BEDROCK_MODEL_ID)
                .unwrap_or_else(|| DEFAULT_BEDROCK_MODEL_ID.into()),
            securityhub_notes_enabled: flag(env::SECURITYHUB_NOTES_ENABLED, false)?,
            ses_configuration_set: get(env::SES_CONFIGURATION_SET),
            account_aliases: parse_aliases(&get(env::ACCOUNT_ALIASES).unwrap_or_default())
                .map_err(fail(env::ACCOUNT_ALIASES))?,
        })
    }

    /// The alias configured for an account, if any.
    pub fn account_alias(&self, account: &AccountId) -> Option<&str> {
        self.account_aliases.get(account).map(String::as_str)
    }
}

/// Parses `CRITICAL,HIGH` (case-insensitive).
pub fn parse_severities(s: &str) -> Result<BTreeSet<Severity>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| Severity::from_label(p).ok_or_else(|| format!("unknown severity {p:?}")))
        .collect()
}

/// Parses comma-separated product names into their lower-case form.
pub fn parse_products(s: &str) -> BTreeSet<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn parse_recipients(s: &str) -> Result<Vec<String>, String> {
    let list: Vec<String> = s
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    if list.is_empty() {
        return Err("needs at least one address".into());
    }
    routing::check_recipients(&list)?;
    Ok(list)
}

/// A plain `local@domain` check: enough to catch a typo or a header-injection attempt.
pub fn check_address(address: &str) -> Result<(), String> {
    let ok = address.len() <= 254
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | '"'))
        && matches!(address.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.contains('@'));
    if ok {
        Ok(())
    } else {
        Err(format!("{address:?} is not an email address"))
    }
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        other => Err(format!("{other:?} is not true or false")),
    }
}

fn parse_aliases(s: &str) -> Result<BTreeMap<AccountId, String>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (account, alias) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not account=alias"))?;
            let account = AccountId::new(account.trim())?;
            Ok((account, alias.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const MINIMAL: [(&str, &str); 3] = [
        (env::TABLE_NAME, "hushhub-seen"),
        (env::SENDER, "alerts@example.com"),
        (env::RECIPIENTS, "secops@example.com"),
    ];

    #[test]
    fn minimal_environment_gives_documented_defaults() {
        let config = Config::from_lookup(lookup(&MINIMAL)).expect("valid");
        assert_eq!(
            config.policy.renotify,
            DEFAULT_RENOTIFY_AFTER.parse().expect("default parses")
        );
        assert!(
            !config
                .policy
                .alert_severities
                .contains(&Severity::Informational)
        );
        assert!(config.policy.ecr_latest_only);
        assert!(!config.bedrock_enabled);
        assert!(!config.securityhub_notes_enabled);
        assert_eq!(config.bedrock_model_id, DEFAULT_BEDROCK_MODEL_ID);
    }

    #[test]
    fn missing_required_variable_is_named() {
        for name in env::REQUIRED {
            let pairs: Vec<_> = MINIMAL
                .iter()
                .copied()
                .filter(|(k, _)| *k != name)
                .collect();
            let err = Config::from_lookup(lookup(&pairs)).expect_err("must fail");
            assert_eq!(err.variable, name);
        }
    }

    #[test]
    fn invalid_values_name_their_variable() {
        let cases = [
            (env::RENOTIFY_AFTER, "CRITICAL=soon"),
            (env::ALERT_SEVERITIES, "CRITICAL,SUPER"),
            (env::ECR_LATEST_ONLY, "maybe"),
            (env::RECIPIENTS, "secops@example.com, not an address"),
            (env::SENDER, "alerts@example.com\r\nBcc: x@evil.test"),
            (env::ACCOUNT_ALIASES, "12345=short"),
            (
                env::SILENCES,
                r#"[{"until":"2026-12-31T00:00:00Z","reason":"no matcher"}]"#,
            ),
            (
                env::SILENCES,
                r#"[{"control_id":"S3.1","until":"soon","reason":"x"}]"#,
            ),
            (env::SILENCES, r#"{"control_id":"S3.1"}"#),
        ];
        for (name, value) in cases {
            let mut pairs = MINIMAL.to_vec();
            pairs.retain(|(k, _)| *k != name);
            pairs.push((name, value));
            let err = Config::from_lookup(lookup(&pairs)).expect_err(value);
            assert_eq!(err.variable, name, "{value}");
            assert!(err.to_string().starts_with(name));
        }
    }

    #[test]
    fn product_filter_is_case_insensitive() {
        let mut pairs = MINIMAL.to_vec();
        pairs.push((env::ALERT_PRODUCTS, "GuardDuty, Inspector"));
        let config = Config::from_lookup(lookup(&pairs)).expect("valid");
        assert!(config.policy.alert_products.contains("guardduty"));
        assert!(config.policy.alert_products.contains("inspector"));
    }
}
