//! What one finding costs on each path through `statemachine/pipeline.asl.json`, in requests and
//! state transitions: the one table that `hushhub cost` multiplies by prices, and that the tests
//! hold the code to.
//!
//! - `crates/aws/tests/emulator/path_costs.rs` runs each path through the real handlers on the
//!   AWS adapters against the emulator and asserts the DynamoDB, SES, Security Hub, ECR and
//!   Bedrock requests counted by `RequestCounter` equal these.
//! - `tests/e2e/path_costs.rs` runs each path through the real definition with the local runner
//!   and asserts the state transitions and Lambda invocations equal these.
//!
//! Both include this file with `#[path]`, so it is plain data with no dependencies. A change of
//! the definition or of a handler that changes a count fails a test until this table (and so the
//! cost model) says the same.

// Each includer uses part of this file.
#![allow(dead_code)]

/// One path of one finding delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Path {
    /// First sighting: recorded, claimed and alerted.
    New,
    /// Seen, inside its `renotify_after` window, `last_seen_at` refreshed less than a day ago.
    Duplicate,
    /// As [`Path::Duplicate`], on the (at most daily) delivery that refreshes `last_seen_at`.
    DuplicateRefresh,
    /// Seen, its window elapsed: the re-alert is claimed and sent.
    Realert,
    /// Seen, its severity rose above the one last alerted: alerted at once.
    Escalation,
    /// Resolved, archived, suppressed or passed, with a record to delete.
    ResolvedWithRecord,
    /// Resolved and never recorded (or already forgotten).
    ResolvedWithoutRecord,
    /// Outside the alerted severities or products.
    Ignored,
    /// An ECR image finding on an image that is not the latest tagged one of its repository.
    StaleEcrImage,
}

/// Lambda invocations, per function (they have different memory sizes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tasks {
    pub check_seen: u32,
    pub age_check: u32,
    pub score_and_summarise: u32,
    pub render_html_email: u32,
}

impl Tasks {
    pub const fn total(&self) -> u32 {
        self.check_seen + self.age_check + self.score_and_summarise + self.render_html_email
    }
}

/// What one delivery on a path costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathCost {
    pub path: Path,
    /// The decision the replay prints for it.
    pub decision: &'static str,
    pub tasks: Tasks,
    /// State transitions of a one-finding execution, the Map state included (what Standard
    /// workflows bill, retries aside).
    pub state_transitions: u32,
    /// Strongly consistent `GetItem`s.
    pub dynamodb_reads: u32,
    /// `PutItem`, `UpdateItem` and `DeleteItem` requests, with Bedrock off.
    pub dynamodb_writes: u32,
    /// `SendEmail` requests.
    pub ses_emails: u32,
    /// `DescribeImages` requests, when the per-instance answer cache (5 minutes per repository)
    /// misses; only ECR image findings make them.
    pub ecr_requests: u32,
    /// With Bedrock on: `Converse` requests when no cached summary matches, each followed by one
    /// `UpdateItem` that caches the summary on the record.
    pub bedrock_calls: u32,
    /// Whether an unchanged finding's cached summary can stand in for the model (a re-alert of
    /// the same severity); an escalation changes the prompt, a new finding has no cache.
    pub summary_reusable: bool,
    /// With `HUSHHUB_SECURITYHUB_NOTES_ENABLED`: `BatchUpdateFindings` requests. Each re-emits
    /// an Imported event, which arrives as one more delivery (a duplicate).
    pub securityhub_notes: u32,
}

impl PathCost {
    /// DynamoDB writes with Bedrock on and no cached summary reused.
    pub const fn dynamodb_writes_with_bedrock(&self) -> u32 {
        self.dynamodb_writes + self.bedrock_calls
    }
}

const NONE: Tasks = Tasks {
    check_seen: 0,
    age_check: 0,
    score_and_summarise: 0,
    render_html_email: 0,
};
const DECIDED_AT_ONCE: Tasks = Tasks {
    check_seen: 1,
    ..NONE
};
const SEEN_QUIET: Tasks = Tasks {
    check_seen: 1,
    age_check: 1,
    ..NONE
};
const NEW_ALERT: Tasks = Tasks {
    check_seen: 1,
    score_and_summarise: 1,
    render_html_email: 1,
    ..NONE
};
const SEEN_ALERT: Tasks = Tasks {
    check_seen: 1,
    age_check: 1,
    score_and_summarise: 1,
    render_html_email: 1,
};

/// Every path, in the order the docs list them.
pub const PATHS: [PathCost; 9] = [
    PathCost {
        path: Path::New,
        decision: "new",
        tasks: NEW_ALERT,
        // Findings, CheckSeen, RouteBySeen, ScoreAndSummarise, RenderAndSendEmail, Sent.
        state_transitions: 6,
        dynamodb_reads: 1,
        dynamodb_writes: 1,
        ses_emails: 1,
        ecr_requests: 0,
        bedrock_calls: 1,
        summary_reusable: false,
        securityhub_notes: 1,
    },
    PathCost {
        path: Path::Duplicate,
        decision: "suppressed",
        tasks: SEEN_QUIET,
        // Findings, CheckSeen, RouteBySeen, AgeCheck, RouteByAge, Suppressed.
        state_transitions: 6,
        dynamodb_reads: 1,
        dynamodb_writes: 0,
        ses_emails: 0,
        ecr_requests: 0,
        bedrock_calls: 0,
        summary_reusable: false,
        securityhub_notes: 0,
    },
    PathCost {
        path: Path::DuplicateRefresh,
        decision: "suppressed",
        tasks: SEEN_QUIET,
        state_transitions: 6,
        dynamodb_reads: 1,
        dynamodb_writes: 1,
        ses_emails: 0,
        ecr_requests: 0,
        bedrock_calls: 0,
        summary_reusable: false,
        securityhub_notes: 0,
    },
    PathCost {
        path: Path::Realert,
        decision: "realert",
        tasks: SEEN_ALERT,
        // Findings, CheckSeen, RouteBySeen, AgeCheck, RouteByAge, ScoreAndSummarise,
        // RenderAndSendEmail, Sent.
        state_transitions: 8,
        dynamodb_reads: 1,
        dynamodb_writes: 1,
        ses_emails: 1,
        ecr_requests: 0,
        bedrock_calls: 1,
        summary_reusable: true,
        securityhub_notes: 1,
    },
    PathCost {
        path: Path::Escalation,
        decision: "realert",
        tasks: SEEN_ALERT,
        state_transitions: 8,
        dynamodb_reads: 1,
        dynamodb_writes: 1,
        ses_emails: 1,
        ecr_requests: 0,
        bedrock_calls: 1,
        summary_reusable: false,
        securityhub_notes: 1,
    },
    PathCost {
        path: Path::ResolvedWithRecord,
        decision: "resolved",
        tasks: DECIDED_AT_ONCE,
        // Findings, CheckSeen, RouteBySeen, Done.
        state_transitions: 4,
        dynamodb_reads: 1,
        dynamodb_writes: 1,
        ses_emails: 0,
        ecr_requests: 0,
        bedrock_calls: 0,
        summary_reusable: false,
        securityhub_notes: 0,
    },
    PathCost {
        path: Path::ResolvedWithoutRecord,
        decision: "resolved",
        tasks: DECIDED_AT_ONCE,
        state_transitions: 4,
        dynamodb_reads: 1,
        dynamodb_writes: 0,
        ses_emails: 0,
        ecr_requests: 0,
        bedrock_calls: 0,
        summary_reusable: false,
        securityhub_notes: 0,
    },
    PathCost {
        path: Path::Ignored,
        decision: "ignored",
        tasks: DECIDED_AT_ONCE,
        state_transitions: 4,
        dynamodb_reads: 0,
        dynamodb_writes: 0,
        ses_emails: 0,
        ecr_requests: 0,
        bedrock_calls: 0,
        summary_reusable: false,
        securityhub_notes: 0,
    },
    PathCost {
        path: Path::StaleEcrImage,
        decision: "ignored",
        tasks: DECIDED_AT_ONCE,
        state_transitions: 4,
        dynamodb_reads: 0,
        dynamodb_writes: 0,
        ses_emails: 0,
        ecr_requests: 1,
        bedrock_calls: 0,
        summary_reusable: false,
        securityhub_notes: 0,
    },
];

/// The cost of one path ([`PATHS`] is in the order of [`Path`], which a test checks).
pub const fn cost_of(path: Path) -> PathCost {
    PATHS[path as usize]
}
