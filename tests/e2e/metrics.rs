//! Metrics: each decision the pipeline makes prints one CloudWatch EMF line, with the severity
//! and account dimensions, and every line parses as EMF.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use hushhub_core::email::Email;
use hushhub_core::finding::{AccountId, Severity};
use hushhub_core::metrics::{self, Metric, emf_line};
use hushhub_core::ports::{Mailer, SendError, SentEmail};
use hushhub_core::routing::Routes;
use hushhub_tests::emf::parse_emf;
use hushhub_tests::{Harness, first_alert_render_input, redelivered, sample, with_findings};

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn collect(line: &str) {
    if let Ok(mut lines) = LINES.lock() {
        lines.push(line.to_owned());
    }
}

#[test]
fn every_metric_line_parses_as_emf() {
    let account = AccountId::new("111122223333").expect("account");
    let at: DateTime<Utc> = "2026-10-01T02:12:23Z".parse().expect("time");
    for metric in Metric::ALL {
        for (severity, account) in [(Some(Severity::High), Some(&account)), (None, None)] {
            let line = emf_line(metric, severity, account, at);
            let parsed = parse_emf(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(parsed.len(), 1, "{line}");
            let m = &parsed[0];
            assert_eq!(m.namespace, metrics::NAMESPACE);
            assert_eq!(m.name, metric.name());
            assert_eq!(m.unit.as_deref(), Some("Count"));
            assert!((m.value - 1.0).abs() < f64::EPSILON);
            let expected_severity = severity.map_or("unknown", Severity::label);
            let expected_account = account.map_or("unknown", AccountId::as_str);
            assert_eq!(
                m.dimensions,
                vec![vec![
                    ("severity".to_owned(), expected_severity.to_owned()),
                    ("account".to_owned(), expected_account.to_owned()),
                ]],
                "{line}"
            );
            let json: serde_json::Value = serde_json::from_str(&line).expect("json");
            assert_eq!(json["_aws"]["Timestamp"], at.timestamp_millis());
        }
    }
}

#[test]
fn the_emf_checker_refuses_what_cloudwatch_would_not_extract() {
    for bad in [
        r#"{"_aws":{"CloudWatchMetrics":[]}}"#,
        r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[["d"]],"Metrics":[{"Name":"m"}]}],"m":1}"#,
        r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[],"Metrics":[{"Name":"m","Unit":"Things"}]}],"m":1}"#,
        r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[],"Metrics":[{"Name":"m"}]}],"m":"1"}"#,
    ] {
        assert!(parse_emf(bad).is_err(), "{bad}");
    }
}

#[test]
fn each_decision_prints_one_emf_line_with_its_dimensions() {
    metrics::set_sink(collect);
    let mut h = Harness::new();
    let event = sample("guardduty-ec2-crypto-mining"); // HIGH, 2026-10-02T03:15:23Z
    let mut expected = vec![];
    h.deliver(&event);
    expected.push("new");
    h.deliver(&redelivered(&event, "r1", "2026-10-03T03:15:23Z"));
    expected.push("suppressed");
    h.deliver(&redelivered(&event, "r2", "2026-10-07T03:15:23Z"));
    expected.push("realert");
    h.deliver(&with_findings(&event, |f| {
        f["Id"] = "another-finding".into();
        f["Severity"] = serde_json::json!({"Label": "INFORMATIONAL"});
    }));
    expected.push("ignored");
    h.deliver(&sample("guardduty-resolved"));
    expected.push("resolved");
    h.deliver(&with_findings(&event, |f| {
        f["Severity"]["Label"] = "SUPER".into()
    }));
    expected.push("rejected");

    let lines = LINES.lock().expect("lines").clone();
    let names: Vec<String> = lines
        .iter()
        .map(|l| {
            let parsed = parse_emf(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            parsed[0].name.clone()
        })
        // Counted by other functions, and by the send_failed test sharing this process.
        .filter(|n| n != "summary_fallback" && n != "send_failed")
        .collect();
    assert_eq!(names, expected, "{lines:#?}");
    let new = parse_emf(&lines[0]).expect("emf");
    assert_eq!(
        new[0].dimensions[0],
        vec![
            ("severity".to_owned(), "HIGH".to_owned()),
            ("account".to_owned(), "111122223333".to_owned())
        ]
    );
    // The offline replay writes the fallback summary on every alert: two alerts, two lines.
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("\"summary_fallback\":1"))
            .count(),
        2
    );
}

#[test]
fn the_terraform_dashboard_charts_every_metric_in_its_namespace() {
    let path = hushhub_tests::root().join("terraform/dashboard.tf");
    let text = std::fs::read_to_string(&path).expect("terraform/dashboard.tf");
    assert!(
        text.contains(&format!("dashboard_namespace = \"{}\"", metrics::NAMESPACE)),
        "the dashboard reads the namespace the functions write"
    );
    for metric in Metric::ALL {
        let charted = text.contains(&format!("\n    {} ", metric.name()))
            || text.contains(&format!("SUM(\\\"{}\\\")", metric.name()));
        assert!(charted, "{} is not on the dashboard", metric.name());
    }
}

struct RejectingMailer;

impl Mailer for RejectingMailer {
    async fn send(&self, _: &Email) -> Result<SentEmail, SendError> {
        Err(SendError::Rejected(
            "MessageRejected: address is not verified".into(),
        ))
    }
}

#[test]
fn a_failed_send_prints_a_send_failed_line() {
    metrics::set_sink(collect);
    let ports = render_html_email::Ports {
        mailer: RejectingMailer,
        sender: "hushhub@example.com".into(),
        routes: Routes::only_default(vec!["security-team@example.com".into()]),
        account_aliases: Default::default(),
    };
    let input = first_alert_render_input(&sample("guardduty-ec2-crypto-mining"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    assert!(
        runtime
            .block_on(render_html_email::handle(&ports, input))
            .is_err()
    );
    let lines = LINES.lock().expect("lines").clone();
    let failed: Vec<_> = lines
        .iter()
        .map(|l| parse_emf(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .filter(|m| m[0].name == "send_failed")
        .collect();
    assert_eq!(failed.len(), 1, "{lines:#?}");
    assert_eq!(
        failed[0][0].dimensions[0],
        vec![
            ("severity".to_owned(), "HIGH".to_owned()),
            ("account".to_owned(), "111122223333".to_owned())
        ]
    );
}
