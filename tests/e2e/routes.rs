//! Routes through the real definition: an alert is one email per matching route, addressed to
//! that route's recipients, and goes to the default recipients when no route matches. Then the
//! handler alone: what a route that cannot be sent to does to the others.

use std::path::Path;
use std::sync::Mutex;

use hushhub_core::email::{Email, message_id};
use hushhub_core::error_names::{self, LambdaError};
use hushhub_core::ports::{Mailer, SendError, SentEmail};
use hushhub_core::routing::Routes;
use hushhub_tests::{
    DEFAULT_RECIPIENT, Harness, default_recipients, finding_id, first_alert_render_input,
    redelivered, sample,
};

/// Account 111122223333, CRITICAL (1-day window), instance tagged `owner=platform-team`; first
/// arrives 2026-10-01T02:12:23Z.
const CVE: &str = "inspector-ec2-package-cve-critical";

/// Three routes: by owner tag, by account, and one for another account.
const ROUTES: &str = r#"[
    {"name": "platform", "owners": ["platform-team"],
     "recipients": ["platform@example.com", "platform-lead@example.com"]},
    {"name": "prod-account", "accounts": ["111122223333"], "severities": ["CRITICAL", "HIGH"],
     "recipients": ["prod-security@example.com"]},
    {"name": "payments", "accounts": ["444455556666"], "recipients": ["payments@example.com"]}
]"#;

fn routed() -> Harness {
    Harness::with_routes(Routes::parse(ROUTES, "Owner", default_recipients()).expect("valid"))
}

fn header(eml: &Path, name: &str) -> String {
    Harness::header(eml, name).unwrap_or_else(|| panic!("{} has no {name}", eml.display()))
}

#[test]
fn finding_gets_one_email_per_matching_route_addressed_to_its_recipients() {
    let mut h = routed();
    let results = h.deliver(&sample(CVE));
    assert_eq!(results[0].decision, "new");
    assert_eq!(results[0].routes, ["platform", "prod-account"]);

    let emails = h.emails();
    assert_eq!(emails.len(), 2, "one email per route, not per recipient");
    assert_eq!(
        header(&emails[0], "To"),
        "platform@example.com, platform-lead@example.com"
    );
    assert_eq!(header(&emails[0], "X-Hushhub-Route"), "platform");
    assert_eq!(header(&emails[1], "To"), "prod-security@example.com");
    assert_eq!(header(&emails[1], "X-Hushhub-Route"), "prod-account");
    assert_ne!(
        header(&emails[0], "Message-ID"),
        header(&emails[1], "Message-ID"),
        "each route's email is a message of its own"
    );
    assert!(
        emails
            .iter()
            .all(|e| !header(e, "To").contains(DEFAULT_RECIPIENT)),
        "the default route gets nothing when a route matched"
    );
    assert_eq!(
        results[0].email.as_deref(),
        emails[0].file_stem().and_then(|s| s.to_str())
    );
}

#[test]
fn a_realert_threads_under_each_routes_own_first_email() {
    let mut h = routed();
    let event = sample(CVE);
    h.deliver(&event);
    let results = h.deliver(&redelivered(&event, "r1", "2026-10-02T03:00:00Z"));
    assert_eq!(results[0].decision, "realert");
    assert_eq!(results[0].routes, ["platform", "prod-account"]);
    let emails = h.emails();
    assert_eq!(emails.len(), 4);
    for (first, again) in [(&emails[0], &emails[2]), (&emails[1], &emails[3])] {
        assert_eq!(header(again, "To"), header(first, "To"));
        assert_eq!(
            header(again, "In-Reply-To"),
            header(first, "Message-ID"),
            "{}",
            again.display()
        );
    }
}

#[test]
fn finding_matching_no_route_goes_to_the_default_recipients() {
    let mut h = routed();
    // Account 111122223333 but MEDIUM, and no owner tag: neither route matches.
    let event = sample("cspm-s3-1-failed");
    let results = h.deliver(&event);
    assert_eq!(results[0].decision, "new");
    assert_eq!(results[0].routes, ["default"]);
    let emails = h.emails();
    assert_eq!(emails.len(), 1);
    assert_eq!(header(&emails[0], "To"), DEFAULT_RECIPIENT);
    assert_eq!(Harness::header(&emails[0], "X-Hushhub-Route"), None);
    assert_eq!(
        header(&emails[0], "Message-ID"),
        format!("<{}>", message_id(&finding_id(&event), 1)),
        "the default route's ids are the ones hushhub always used"
    );
}

#[test]
fn without_routes_every_alert_goes_to_the_recipients_and_names_no_route() {
    let mut h = Harness::new();
    let results = h.deliver(&sample(CVE));
    assert!(results[0].routes.is_empty());
    let emails = h.emails();
    assert_eq!(emails.len(), 1);
    assert_eq!(header(&emails[0], "To"), DEFAULT_RECIPIENT);
}

/// Sends to anyone but the recipients it is told to fail, and remembers whom it sent to.
struct PickyMailer {
    fail: &'static str,
    error: fn(String) -> SendError,
    sent_to: Mutex<Vec<String>>,
}

impl Mailer for PickyMailer {
    async fn send(&self, email: &Email) -> Result<SentEmail, SendError> {
        let to = email.to.join(", ");
        if to == self.fail {
            return Err((self.error)(format!("{to}: no")));
        }
        self.sent_to.lock().expect("lock").push(to);
        Ok(SentEmail {
            message_id: email.message_id.clone(),
        })
    }
}

/// Renders and sends the CVE finding's first alert with [`ROUTES`] on a mailer that fails
/// `fail` with `error`; the recipients it was sent to, and the handler's result.
fn send_failing(
    fail: &'static str,
    error: fn(String) -> SendError,
) -> (
    Vec<String>,
    Result<hushhub_core::steps::RenderOutput, render_html_email::RenderError>,
) {
    let ports = render_html_email::Ports {
        mailer: PickyMailer {
            fail,
            error,
            sent_to: Mutex::new(Vec::new()),
        },
        sender: "hushhub@example.com".into(),
        routes: Routes::parse(ROUTES, "Owner", default_recipients()).expect("valid"),
        account_aliases: Default::default(),
    };
    let input = first_alert_render_input(&sample(CVE));
    let result = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(render_html_email::handle(&ports, input));
    let sent_to = ports.mailer.sent_to.into_inner().expect("lock");
    (sent_to, result)
}

#[test]
fn a_rejected_route_does_not_keep_the_alert_from_the_others() {
    // Rejected first: the second route is still tried, and the alert counts as sent, because
    // releasing the claim would re-send to the second route at every delivery.
    let (sent_to, result) = send_failing(
        "platform@example.com, platform-lead@example.com",
        SendError::Rejected,
    );
    assert_eq!(sent_to, ["prod-security@example.com"]);
    let output = result.expect("sent to one route");
    assert_eq!(output.outcome.routes, ["prod-account"]);
    assert_eq!(output.sent.len(), 1);
}

#[test]
fn a_throttled_route_fails_the_task_so_the_definition_retries_it() {
    let (sent_to, result) = send_failing("prod-security@example.com", SendError::Transient);
    assert_eq!(
        sent_to,
        ["platform@example.com, platform-lead@example.com"],
        "sent to the first route; the retry sends it again"
    );
    let error = result.expect_err("retried");
    assert_eq!(error.error_name(), error_names::TRANSIENT);
}
