//! `SesMailer` against the emulator, read back from its outbox (`GET /hushhub/ses/messages`),
//! which keeps both parts and the raw MIME text; stock moto keeps only the HTML part.
//!
//! Where the emulator differs from AWS: it keeps our `Message-ID` and `Date` in the stored raw
//! message, where SES replaces both; it accepts a configuration set that does not exist; it
//! delivers nothing.

use std::sync::Arc;

use hushhub_aws::ses::SesMailer;
use hushhub_core::email::{AlertFacts, render};
use hushhub_core::finding::Finding;
use hushhub_core::ports::{FixedClock, Mailer, SendError};
use hushhub_core::score::score;
use hushhub_core::seen::SeenRecord;
use hushhub_core::steps::{DecisionKind, StepDecision};
use hushhub_core::summary::fallback;
use serde_json::Value;

use crate::common::{TestAws, asff, at, http, unique};

async fn verified_sender(aws: &TestAws) -> String {
    let sender = format!("{}@hushhub.example.com", unique("alerts"));
    aws.clients
        .sesv2()
        .create_email_identity()
        .email_identity(&sender)
        .send()
        .await
        .expect("CreateEmailIdentity");
    aws.counter.reset();
    sender
}

fn outbox(recipient: &str) -> Vec<Value> {
    let (status, body) = http(
        "GET",
        &format!("/hushhub/ses/messages?to={recipient}"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    body.as_array().cloned().unwrap_or_default()
}

/// A second alert of a finding, rendered as render-html-email renders it, so it carries the
/// threading headers.
fn realert_email(sender: &str, recipient: &str) -> hushhub_core::email::Email {
    let raw = asff(
        &unique("finding/ses"),
        "CRITICAL",
        Some("NEW"),
        "ACTIVE",
        Some("FAILED"),
    );
    let finding = Finding::from_asff(&raw, "detail.findings[0]").expect("finding");
    let now = at("2026-11-30T10:00:00Z");
    let mut record = SeenRecord::first_sighting(&finding, at("2026-11-28T10:00:00Z"));
    record = SeenRecord {
        last_seen_at: now,
        last_alerted_at: now,
        alert_count: 2,
        ..record
    };
    let decision = StepDecision::new(
        "event-1",
        &finding,
        DecisionKind::Realert,
        "the 1d renotify_after window of CRITICAL has passed since the last alert".into(),
        Some(record.clone()),
    );
    let score = score(&finding);
    let summary = fallback(&finding, &score, "model not used in this test");
    render(&AlertFacts {
        finding: &finding,
        decision: &decision,
        record: &record,
        score: &score,
        summary: &summary,
        account_alias: Some("production"),
        from: sender,
        to: &[recipient.to_owned()],
    })
}

#[tokio::test]
async fn ses_email_is_read_back_with_both_parts() {
    let aws = TestAws::new("ses_read_back").await;
    let sender = verified_sender(&aws).await;
    let recipient = format!("{}@example.com", unique("oncall"));
    let email = realert_email(&sender, &recipient);
    let clock = Arc::new(FixedClock::new(at("2026-11-30T10:00:05Z")));
    let mailer = SesMailer::new(aws.clients.sesv2(), Some("hushhub-alerts".into()), clock);

    let sent = mailer.send(&email).await.expect("send");

    let messages = outbox(&recipient);
    let [message] = messages.as_slice() else {
        panic!("one message for {recipient}: {messages:?}");
    };
    assert_eq!(message["message_id"], sent.message_id.as_str());
    assert_eq!(message["from"], sender.as_str());
    assert_eq!(message["to"], serde_json::json!([recipient]));
    assert_eq!(message["configuration_set"], "hushhub-alerts");
    assert_eq!(
        message["subject"],
        email.subject.as_str(),
        "decoded back whole"
    );
    assert!(!email.subject.contains(['\r', '\n']), "subject on one line");
    assert_eq!(message["html"], email.html.as_str(), "the HTML part");
    assert_eq!(message["text"], email.text.as_str(), "the plain-text part");

    let raw = message["raw"].as_str().expect("sent as Content.Raw");
    let root = email.thread_root.clone();
    assert_ne!(
        root, email.message_id,
        "a re-alert names the first alert as its thread root"
    );
    for header in [
        format!("Message-ID: <{}>", email.message_id),
        format!("In-Reply-To: <{root}>"),
        format!("References: <{root}>"),
        "X-Hushhub-Priority: ".to_owned(),
        "MIME-Version: 1.0".to_owned(),
        "Content-Type: multipart/alternative;".to_owned(),
    ] {
        assert!(raw.contains(&header), "raw message lacks {header:?}");
    }
    assert_eq!(aws.counter.get("sesv2:SendEmail"), 1);
}

#[tokio::test]
async fn ses_throttling_is_transient_and_rejection_is_permanent() {
    let aws = TestAws::new("ses_errors").await;
    let sender = verified_sender(&aws).await;
    let recipient = format!("{}@example.com", unique("oncall"));
    let email = realert_email(&sender, &recipient);
    let clock = Arc::new(FixedClock::new(at("2026-11-30T10:00:05Z")));
    let mailer = SesMailer::new(aws.clients.sesv2(), None, clock.clone());

    // Throttled on every attempt the SDK makes (Timeouts::LAMBDA: 3).
    aws.arm_fault("sesv2", "SendEmail", "TooManyRequestsException", 429, 3);
    let err = mailer.send(&email).await.err();
    assert!(matches!(err, Some(SendError::Transient(_))), "{err:?}");
    assert_eq!(
        aws.counter.get("sesv2:SendEmail"),
        3,
        "retried by the SDK first"
    );

    // A paused account is not retried at all.
    aws.arm_fault("sesv2", "SendEmail", "SendingPausedException", 400, 1);
    let err = mailer.send(&email).await.err();
    assert!(matches!(err, Some(SendError::Rejected(_))), "{err:?}");
    assert_eq!(aws.counter.get("sesv2:SendEmail"), 4);

    // An unverified sender is rejected by the service itself (MessageRejected).
    let unverified = realert_email(
        &format!("{}@unverified.example.com", unique("nobody")),
        &recipient,
    );
    let err = mailer.send(&unverified).await.err();
    assert!(
        matches!(&err, Some(SendError::Rejected(m)) if m.contains("MessageRejected")),
        "{err:?}"
    );
    assert!(outbox(&recipient).is_empty(), "nothing was sent");

    // And once the service is fine again, the same email goes out.
    assert!(mailer.send(&email).await.is_ok());
    assert_eq!(outbox(&recipient).len(), 1);
}
