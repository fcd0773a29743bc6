//! Which routes an alert goes to, and which routing configurations are refused.

use hushhub_core::config::{Config, env};
use hushhub_core::finding::{Finding, ImportedEvent};
use hushhub_core::routing::{DEFAULT_ROUTE, Routes};
use hushhub_core::score::Priority;

/// Account 111122223333, CRITICAL, its instance tagged `owner=platform-team`.
fn finding() -> Finding {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/events/inspector-ec2-package-cve-critical.json"
    );
    let event = ImportedEvent::parse(&std::fs::read_to_string(path).expect("fixture")).expect("ok");
    Finding::from_asff(&event.findings()[0], "detail.findings[0]").expect("valid")
}

fn routes(json: &str) -> Routes {
    Routes::parse(json, "Owner", vec!["secops@example.com".into()]).expect(json)
}

/// One route named `team` with `matcher`, to `team@example.com`.
fn one(matcher: &str) -> Routes {
    routes(&format!(
        r#"[{{"name": "team", {matcher}, "recipients": ["team@example.com"]}}]"#
    ))
}

/// The names of the routes an alert on the finding at `priority` goes to.
fn names(routes: &Routes, priority: Priority) -> Vec<String> {
    routes
        .for_alert(&finding(), priority)
        .iter()
        .map(|t| t.name.to_owned())
        .collect()
}

#[test]
fn routes_by_account() {
    assert_eq!(
        names(&one(r#""accounts": ["111122223333"]"#), Priority::P1),
        ["team"]
    );
    assert_eq!(
        names(
            &one(r#""accounts": ["444455556666", "111122223333"]"#),
            Priority::P1
        ),
        ["team"],
        "any account of the list"
    );
    assert_eq!(
        names(&one(r#""accounts": ["444455556666"]"#), Priority::P1),
        [DEFAULT_ROUTE]
    );
}

#[test]
fn routes_by_severity() {
    assert_eq!(
        names(&one(r#""severities": ["HIGH", "CRITICAL"]"#), Priority::P3),
        ["team"]
    );
    assert_eq!(
        names(&one(r#""severities": ["LOW"]"#), Priority::P3),
        [DEFAULT_ROUTE]
    );
}

#[test]
fn routes_by_priority() {
    let p0 = one(r#""priorities": ["P0"]"#);
    assert_eq!(names(&p0, Priority::P0), ["team"]);
    assert_eq!(names(&p0, Priority::P1), [DEFAULT_ROUTE]);
}

#[test]
fn routes_by_owner_tag_whatever_the_case_of_its_key() {
    // The fixture's tag key is `owner`; the configured key is `Owner`.
    assert_eq!(
        names(&one(r#""owners": ["platform-team"]"#), Priority::P2),
        ["team"]
    );
    assert_eq!(
        names(&one(r#""owners": ["Platform-Team"]"#), Priority::P2),
        [DEFAULT_ROUTE],
        "values compare exactly"
    );
    let by_team_tag = Routes::parse(
        r#"[{"name": "team", "owners": ["platform-team"], "recipients": ["team@example.com"]}]"#,
        "team",
        vec!["secops@example.com".into()],
    )
    .expect("valid");
    assert_eq!(
        names(&by_team_tag, Priority::P2),
        [DEFAULT_ROUTE],
        "the value sits under another key"
    );
}

#[test]
fn every_matcher_given_must_match() {
    let both = one(r#""accounts": ["111122223333"], "priorities": ["P0"]"#);
    assert_eq!(names(&both, Priority::P0), ["team"]);
    assert_eq!(names(&both, Priority::P1), [DEFAULT_ROUTE]);
    let severity_and_priority = one(r#""severities": ["CRITICAL"], "priorities": ["P3"]"#);
    assert_eq!(names(&severity_and_priority, Priority::P3), ["team"]);
    assert_eq!(names(&severity_and_priority, Priority::P0), [DEFAULT_ROUTE]);
}

#[test]
fn several_matching_routes_each_get_one_target_with_all_their_recipients() {
    let r = routes(
        r#"[{"name": "platform", "owners": ["platform-team"],
             "recipients": ["platform@example.com", "platform-lead@example.com"]},
            {"name": "payments", "accounts": ["444455556666"], "recipients": ["pay@example.com"]},
            {"name": "p0-oncall", "priorities": ["P0"], "recipients": ["oncall@example.com"]}]"#,
    );
    let f = finding();
    let targets = r.for_alert(&f, Priority::P0);
    let got: Vec<(&str, &[String])> = targets.iter().map(|t| (t.name, t.recipients)).collect();
    assert_eq!(
        got,
        [
            (
                "platform",
                &[
                    "platform@example.com".to_owned(),
                    "platform-lead@example.com".to_owned()
                ][..]
            ),
            ("p0-oncall", &["oncall@example.com".to_owned()][..]),
        ],
        "in configuration order, the default route not among them"
    );
}

#[test]
fn no_matching_route_goes_to_the_default_recipients() {
    let r = one(r#""accounts": ["444455556666"]"#);
    let f = finding();
    let targets = r.for_alert(&f, Priority::P0);
    assert_eq!(targets.len(), 1);
    assert!(targets[0].is_default());
    assert_eq!(targets[0].recipients, ["secops@example.com".to_owned()]);

    let none = Routes::only_default(vec!["secops@example.com".into()]);
    assert!(!none.is_configured());
    assert_eq!(names(&none, Priority::P0), [DEFAULT_ROUTE]);
}

#[test]
fn invalid_routes_are_refused_with_their_position() {
    let to = r#""recipients": ["team@example.com"]"#;
    let fifty_one: Vec<String> = (0..51).map(|i| format!("\"r{i}@example.com\"")).collect();
    let cases = [
        (format!(r#"[{{"name": "team", {to}}}]"#), "at least one of"),
        (
            format!(r#"[{{"name": "Team A", "accounts": ["111122223333"], {to}}}]"#),
            "a-z, 0-9 and -",
        ),
        (
            format!(r#"[{{"name": "default", "accounts": ["111122223333"], {to}}}]"#),
            "reserved",
        ),
        (
            format!(
                r#"[{{"name": "a", "accounts": ["111122223333"], {to}}},
                    {{"name": "a", "priorities": ["P0"], {to}}}]"#
            ),
            "[1]: name \"a\" is used twice",
        ),
        (
            r#"[{"name": "a", "priorities": ["P0"], "recipients": []}]"#.to_owned(),
            "at least one recipient",
        ),
        (
            format!(
                r#"[{{"name": "a", "priorities": ["P0"], "recipients": [{}]}}]"#,
                fifty_one.join(",")
            ),
            "at most 50",
        ),
        (
            r#"[{"name": "a", "priorities": ["P0"], "recipients": ["not an address"]}]"#.to_owned(),
            "is not an email address",
        ),
        (
            format!(r#"[{{"name": "a", "accounts": ["12345"], {to}}}]"#),
            "12",
        ),
        (
            format!(r#"[{{"name": "a", "severities": ["SUPER"], {to}}}]"#),
            "unknown variant",
        ),
        (
            format!(r#"[{{"name": "a", "priorities": ["P9"], {to}}}]"#),
            "unknown variant",
        ),
        (
            format!(r#"[{{"name": "a", "owners": [" "], {to}}}]"#),
            "owner is empty",
        ),
        (
            format!(r#"[{{"name": "a", "owner": ["x"], {to}}}]"#),
            "unknown field",
        ),
    ];
    for (json, expected) in cases {
        let err =
            Routes::parse(&json, "Owner", vec!["secops@example.com".into()]).expect_err(&json);
        assert!(err.contains(expected), "{json}: {err}");
    }
}

#[test]
fn config_errors_name_the_routes_variable() {
    let base = [
        (env::TABLE_NAME, "hushhub-seen"),
        (env::SENDER, "alerts@example.com"),
        (env::RECIPIENTS, "secops@example.com"),
    ];
    let read = |extra: &[(&'static str, &'static str)]| {
        Config::from_lookup(|name| {
            base.iter()
                .chain(extra)
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    };
    for (variable, value) in [
        (
            env::ROUTES,
            r#"[{"name": "a", "recipients": ["a@example.com"]}]"#,
        ),
        (env::ROUTES, r#"{"name": "a"}"#),
        (env::OWNER_TAG_KEY, "own\ner"),
    ] {
        let err = read(&[(variable, value)]).expect_err(value);
        assert_eq!(err.variable, variable, "{value}");
        assert!(err.to_string().starts_with(variable), "{err}");
    }

    let config = read(&[
        (
            env::ROUTES,
            r#"[{"name": "payments", "owners": ["payments"], "recipients": ["pay@example.com"]}]"#,
        ),
        (env::OWNER_TAG_KEY, "team"),
    ])
    .expect("valid");
    assert_eq!(config.routes.owner_tag_key(), "team");
    assert_eq!(config.routes.as_slice()[0].name, "payments");
    assert_eq!(config.routes.default_recipients(), ["secops@example.com"]);

    let defaults = read(&[]).expect("valid");
    assert!(!defaults.routes.is_configured());
    assert_eq!(defaults.routes.owner_tag_key(), "Owner");
}
