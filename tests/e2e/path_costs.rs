//! The state transitions and Lambda invocations of every path of one finding, counted by the
//! local runner over the real definition, are those of the cost table that `hushhub cost`
//! prices (`crates/cli/src/cost/paths.rs`). Its request counts are held to the same table
//! against the emulator, in `crates/aws/tests/emulator/path_costs.rs`.

#[path = "../../crates/cli/src/cost/paths.rs"]
mod paths;

use hushhub_core::config::AlertPolicy;
use hushhub_tests::{Harness, finding_id, redelivered, sample, with_findings};
use paths::{PATHS, Path, Tasks, cost_of};
use serde_json::{Value, json};

/// What the local runner saw of one delivery.
#[derive(Debug, PartialEq, Eq)]
struct Measured {
    decision: String,
    state_transitions: u32,
    tasks: Tasks,
}

/// Delivers `event` (one finding) with the trace on and counts what the execution did.
fn measure(h: &mut Harness, event: &Value) -> (Measured, String) {
    h.pipeline.trace = true;
    let result = h.pipeline.run_event(event.clone());
    let execution = result.execution.expect("the event ran");
    let entered = |state: &str| {
        let n = execution.trace.iter().filter(|s| s.state == state).count();
        u32::try_from(n).expect("a small count")
    };
    let tasks = Tasks {
        check_seen: entered("CheckSeen") + entered("ReleaseClaim"),
        age_check: entered("AgeCheck"),
        score_and_summarise: entered("ScoreAndSummarise"),
        render_html_email: entered("RenderAndSendEmail"),
    };
    assert_eq!(
        u64::from(tasks.total()),
        execution.stats.task_invocations,
        "every Task state invokes one of the four functions"
    );
    let [finding] = result.findings.as_slice() else {
        panic!("one finding per event: {:?}", result.findings);
    };
    (
        Measured {
            decision: finding.decision.clone(),
            state_transitions: u32::try_from(result.state_transitions).expect("a small count"),
            tasks,
        },
        finding.reason.clone(),
    )
}

fn expected(path: Path) -> Measured {
    let cost = cost_of(path);
    Measured {
        decision: cost.decision.to_owned(),
        state_transitions: cost.state_transitions,
        tasks: cost.tasks,
    }
}

/// `sample("guardduty-ec2-crypto-mining")`, a HIGH finding first imported at this time.
const FIRST_SEEN: &str = "2026-10-02T03:15:23Z";

fn guardduty() -> Value {
    sample("guardduty-ec2-crypto-mining")
}

fn with_severity(event: &Value, label: &str) -> Value {
    with_findings(event, |f| {
        f["Severity"] = json!({ "Label": label });
    })
}

#[test]
fn the_cost_table_lists_every_path_once_in_order() {
    for (i, cost) in PATHS.iter().enumerate() {
        assert_eq!(cost.path as usize, i, "{:?}", cost.path);
    }
}

#[test]
fn new_finding_takes_six_transitions_and_three_invocations() {
    let mut h = Harness::new();
    let (measured, _) = measure(&mut h, &guardduty());
    assert_eq!(measured, expected(Path::New));
}

#[test]
fn duplicate_within_its_window_takes_six_transitions_and_two_invocations() {
    let mut h = Harness::new();
    let event = guardduty();
    h.deliver(&event);
    let (measured, reason) = measure(
        &mut h,
        &redelivered(&event, "dup-1", "2026-10-02T04:15:23Z"),
    );
    assert_eq!(measured, expected(Path::Duplicate), "{reason}");
    let record = h.record(&finding_id(&event)).expect("recorded");
    assert_eq!(
        record.last_seen_at.to_rfc3339(),
        "2026-10-02T03:15:23+00:00",
        "no refresh within the day"
    );
}

#[test]
fn daily_refresh_of_a_duplicate_costs_no_extra_transition() {
    let mut h = Harness::new();
    let event = guardduty();
    h.deliver(&event);
    let (measured, reason) = measure(
        &mut h,
        &redelivered(&event, "dup-2", "2026-10-03T04:15:23Z"),
    );
    assert_eq!(measured, expected(Path::DuplicateRefresh), "{reason}");
    let record = h.record(&finding_id(&event)).expect("recorded");
    assert_eq!(
        record.last_seen_at.to_rfc3339(),
        "2026-10-03T04:15:23+00:00",
        "refreshed"
    );
}

#[test]
fn realert_after_the_window_takes_eight_transitions_and_four_invocations() {
    let mut h = Harness::new();
    let event = guardduty();
    h.deliver(&event);
    let (measured, reason) = measure(
        &mut h,
        &redelivered(&event, "due-1", "2026-10-07T03:15:23Z"),
    );
    assert_eq!(measured, expected(Path::Realert), "{reason}");
    assert!(reason.contains("window"), "{reason}");
}

#[test]
fn escalation_takes_eight_transitions_and_four_invocations() {
    let mut h = Harness::new();
    let medium = with_severity(&guardduty(), "MEDIUM");
    h.deliver(&medium);
    let critical = with_severity(
        &redelivered(&medium, "esc-1", "2026-10-02T05:15:23Z"),
        "CRITICAL",
    );
    let (measured, reason) = measure(&mut h, &critical);
    assert_eq!(measured, expected(Path::Escalation), "{reason}");
    assert!(reason.contains("escalated"), "{reason}");
}

#[test]
fn resolved_finding_with_a_record_takes_four_transitions_and_one_invocation() {
    let mut h = Harness::new();
    let event = guardduty();
    h.deliver(&event);
    let resolved = with_findings(&redelivered(&event, "res-1", "2026-10-02T06:15:23Z"), |f| {
        f["Workflow"] = json!({ "Status": "RESOLVED" })
    });
    let (measured, reason) = measure(&mut h, &resolved);
    assert_eq!(measured, expected(Path::ResolvedWithRecord), "{reason}");
    assert!(reason.contains("record deleted"), "{reason}");
}

#[test]
fn resolved_finding_never_recorded_takes_four_transitions_and_one_invocation() {
    let mut h = Harness::new();
    let (measured, reason) = measure(&mut h, &sample("inspector-archived"));
    assert_eq!(measured, expected(Path::ResolvedWithoutRecord), "{reason}");
    assert!(reason.contains("nothing recorded"), "{reason}");
}

#[test]
fn ignored_finding_takes_four_transitions_and_one_invocation() {
    let mut h = Harness::new();
    let (measured, reason) = measure(&mut h, &with_severity(&guardduty(), "INFORMATIONAL"));
    assert_eq!(measured, expected(Path::Ignored), "{reason}");
    assert!(reason.contains("not alerted on"), "{reason}");
}

#[test]
fn ecr_finding_on_a_stale_image_takes_four_transitions_and_one_invocation() {
    let images = std::fs::read_to_string(hushhub_tests::root().join("examples/ecr-images.jsonl"))
        .expect("images file");
    let mut h = Harness::with(AlertPolicy::default(), Some(&images));
    let (measured, reason) = measure(&mut h, &sample("inspector-ecr-image-superseded-digest"));
    assert_eq!(measured, expected(Path::StaleEcrImage), "{reason}");
    assert!(reason.contains("not the latest tagged image"), "{reason}");
}

#[test]
fn the_first_sighting_time_of_the_sample_is_what_the_paths_assume() {
    let event = guardduty();
    assert_eq!(event["time"], FIRST_SEEN);
}
