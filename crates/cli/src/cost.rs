//! `hushhub cost`: what a month of findings costs on AWS, per service, as an EXPRESS and as a
//! STANDARD state machine, from the measured per-path counts (`cost/paths.rs`, held to the code
//! by the emulator and end-to-end tests) and the list prices in [`PRICES`].
//!
//! The arithmetic is pure ([`estimate`]); durations and memory are documented assumptions
//! ([`Assumptions`]), since no test here can measure them on AWS.

mod paths;

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use self::paths::{PATHS, Path, PathCost, Tasks, cost_of};

/// Every price the model uses: us-east-1 on-demand list prices, before free tiers, with where
/// each came from and when it was checked. Indexed by [`Item`], in its order.
pub const PRICES: [Price; 10] = [
    Price {
        item: Item::ExpressRequest,
        usd: 1.00 / 1e6,
        unit: "request (execution started)",
        source: "aws.amazon.com/step-functions/pricing (Express: $1.00 per million requests)",
        checked: "2026-11-30",
    },
    Price {
        item: Item::ExpressGbSecond,
        usd: 0.000_016_67,
        unit: "GB-second (first 1,000 GB-hours a month; 100 ms and 64 MB increments)",
        source: "aws.amazon.com/step-functions/pricing; rate as quoted by wring.co, 2026-03-14",
        checked: "2026-11-30",
    },
    Price {
        item: Item::StandardTransition,
        usd: 25.00 / 1e6,
        unit: "state transition (retries included)",
        source: "aws.amazon.com/step-functions/pricing ($0.025 per 1,000 state transitions)",
        checked: "2026-11-30",
    },
    Price {
        item: Item::LambdaRequest,
        usd: 0.20 / 1e6,
        unit: "Lambda request",
        source: "aws.amazon.com/lambda/pricing ($0.20 per million requests)",
        checked: "2026-11-30",
    },
    Price {
        item: Item::LambdaArmGbSecond,
        usd: 0.000_013_333_4,
        unit: "Lambda arm64 GB-second (first 7.5 billion a month; 1 ms increments)",
        source: "aws.amazon.com/lambda/pricing (Arm price); as quoted by cloudchipr.com, 2024",
        checked: "2026-11-30",
    },
    Price {
        item: Item::DynamoReadUnit,
        usd: 0.125 / 1e6,
        unit: "on-demand read request unit (one strongly consistent read of up to 4 KB)",
        source: "aws.amazon.com/dynamodb/pricing/on-demand (after the November 2024 cut); as quoted by airbyte.com, 2025-07-21",
        checked: "2026-11-30",
    },
    Price {
        item: Item::DynamoWriteUnit,
        usd: 0.625 / 1e6,
        unit: "on-demand write request unit (one write of up to 1 KB)",
        source: "aws.amazon.com/dynamodb/pricing/on-demand (after the November 2024 cut); as quoted by airbyte.com, 2025-07-21",
        checked: "2026-11-30",
    },
    Price {
        item: Item::SesEmail,
        usd: 0.10 / 1e3,
        unit: "email sent ($0.10 per 1,000; attachments and dedicated IPs extra)",
        source: "aws.amazon.com/ses/pricing; as quoted by acecloudinterviews.com and cloudcostkit.com, 2026-02-07",
        checked: "2026-11-30",
    },
    Price {
        item: Item::BedrockInputToken,
        usd: 3.00 / 1e6,
        unit: "Claude Sonnet 4.6 input token (global inference profile; regional +10%)",
        source: "aws.amazon.com/bedrock/pricing; as quoted by exploreagentic.ai and clauder-navi.com, 2026",
        checked: "2026-11-30",
    },
    Price {
        item: Item::BedrockOutputToken,
        usd: 15.00 / 1e6,
        unit: "Claude Sonnet 4.6 output token (global inference profile; regional +10%)",
        source: "aws.amazon.com/bedrock/pricing; as quoted by exploreagentic.ai and clauder-navi.com, 2026",
        checked: "2026-11-30",
    },
];

/// What is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    ExpressRequest,
    ExpressGbSecond,
    StandardTransition,
    LambdaRequest,
    LambdaArmGbSecond,
    DynamoReadUnit,
    DynamoWriteUnit,
    SesEmail,
    BedrockInputToken,
    BedrockOutputToken,
}

/// One list price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub item: Item,
    /// US dollars per unit.
    pub usd: f64,
    pub unit: &'static str,
    pub source: &'static str,
    /// When the figure was last checked against its source.
    pub checked: &'static str,
}

/// The list price of `item`.
pub const fn price(item: Item) -> f64 {
    PRICES[item as usize].usd
}

/// Durations and sizes no test here can measure on AWS: the model's documented assumptions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assumptions {
    /// Memory per function, MB (`terraform/main.tf`).
    pub check_seen_mb: f64,
    pub age_check_mb: f64,
    pub score_and_summarise_mb: f64,
    pub render_html_email_mb: f64,
    /// Billed duration of a warm invocation, ms: check-seen (one `GetItem` of a few ms, and the
    /// conditional write when it claims), age-check (mostly no I/O), score-and-summarise without
    /// a model call, render-html-email (one `SendEmail`).
    pub check_seen_ms: f64,
    pub age_check_ms: f64,
    pub score_and_summarise_ms: f64,
    pub render_html_email_ms: f64,
    /// What one Converse call adds to score-and-summarise's duration, ms.
    pub bedrock_call_ms: f64,
    /// What Step Functions adds per Task state (the Lambda invoke round trip), ms.
    pub task_overhead_ms: f64,
    /// Memory an Express execution is billed for, MB (payloads here are far below one 64 MB
    /// increment).
    pub express_memory_mb: f64,
    /// Express duration is billed in increments of this many ms.
    pub express_increment_ms: f64,
    /// A record's item size, KB, and what a cached summary adds to it (writes are billed per
    /// started KB, an `UpdateItem` or `DeleteItem` on the larger of the item before and after).
    pub record_kb: f64,
    pub cached_summary_kb: f64,
    /// Tokens of one Converse call: the prompt with the reply schema (the largest sample prompt,
    /// the 200 KB finding's, is about 1,700 at 3 characters a token; the others 1,000 to 1,250:
    /// a test holds this above all of them), and the reply (at most 700 by
    /// `summary::MAX_OUTPUT_TOKENS`; a summary within its caps is about 300).
    pub bedrock_input_tokens: f64,
    pub bedrock_output_tokens: f64,
}

impl Default for Assumptions {
    fn default() -> Self {
        Self {
            check_seen_mb: 256.0,
            age_check_mb: 128.0,
            score_and_summarise_mb: 256.0,
            render_html_email_mb: 256.0,
            check_seen_ms: 10.0,
            age_check_ms: 5.0,
            score_and_summarise_ms: 3.0,
            render_html_email_ms: 50.0,
            bedrock_call_ms: 4_000.0,
            task_overhead_ms: 20.0,
            express_memory_mb: 64.0,
            express_increment_ms: 100.0,
            record_kb: 0.6,
            cached_summary_kb: 1.0,
            bedrock_input_tokens: 1_700.0,
            bedrock_output_tokens: 400.0,
        }
    }
}

/// A month of finding deliveries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Workload {
    /// Finding deliveries a month (one Express execution each).
    pub findings: f64,
    pub shares: Shares,
    /// Share of quiet duplicates that refresh `last_seen_at` (at most once a day per finding).
    pub refresh_share: f64,
    /// Share of re-alerts that are escalations (the cached summary never fits them).
    pub escalated_share: f64,
    /// Share of resolutions that find a record to delete.
    pub resolved_recorded_share: f64,
    /// Summaries by Claude through Bedrock (the Terraform default), else the fallback.
    pub bedrock: bool,
    /// Share of window re-alerts whose cached summary is sent again without asking the model.
    pub summary_reuse_share: f64,
    /// Security Hub notes on: one `BatchUpdateFindings` per alert, which re-emits the finding
    /// as one more (quiet duplicate) delivery.
    pub securityhub_notes: bool,
}

/// How deliveries split over the decisions; new findings are what is left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shares {
    pub duplicates: f64,
    pub realerts: f64,
    pub resolutions: f64,
    pub ignored: f64,
}

/// Shares that are not fractions, or that add up to more than the whole.
#[derive(Debug, Clone, PartialEq)]
pub struct SharesError(String);

impl std::fmt::Display for SharesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SharesError {}

impl Shares {
    /// Checks that each share is within 0..=1 and that together they leave a share of new ones.
    pub fn new(
        duplicates: f64,
        realerts: f64,
        resolutions: f64,
        ignored: f64,
    ) -> Result<Shares, SharesError> {
        for (name, share) in [
            ("duplicates", duplicates),
            ("realerts", realerts),
            ("resolutions", resolutions),
            ("ignored", ignored),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return Err(SharesError(format!(
                    "--{name} {share} is not a share between 0 and 1"
                )));
            }
        }
        let sum = duplicates + realerts + resolutions + ignored;
        if sum > 1.0 + 1e-9 {
            return Err(SharesError(format!(
                "duplicates, realerts, resolutions and ignored add up to {sum}, more than 1"
            )));
        }
        Ok(Shares {
            duplicates,
            realerts,
            resolutions,
            ignored,
        })
    }

    /// First sightings: what the other decisions leave.
    pub fn new_findings(&self) -> f64 {
        (1.0 - self.duplicates - self.realerts - self.resolutions - self.ignored).max(0.0)
    }
}

/// Deliveries a month on each path.
pub fn deliveries(w: &Workload) -> Vec<(Path, f64)> {
    let n = w.findings;
    let s = &w.shares;
    let new = n * s.new_findings();
    let realerts = n * s.realerts;
    let alerts = new + realerts;
    // A note re-emits the finding seconds after its alert: one more quiet duplicate, well
    // inside the day since `last_seen_at` was set.
    let echoes = if w.securityhub_notes { alerts } else { 0.0 };
    let duplicates = n * s.duplicates;
    vec![
        (Path::New, new),
        (
            Path::Duplicate,
            duplicates * (1.0 - w.refresh_share) + echoes,
        ),
        (Path::DuplicateRefresh, duplicates * w.refresh_share),
        (Path::Realert, realerts * (1.0 - w.escalated_share)),
        (Path::Escalation, realerts * w.escalated_share),
        (
            Path::ResolvedWithRecord,
            n * s.resolutions * w.resolved_recorded_share,
        ),
        (
            Path::ResolvedWithoutRecord,
            n * s.resolutions * (1.0 - w.resolved_recorded_share),
        ),
        (Path::Ignored, n * s.ignored),
        (Path::StaleEcrImage, 0.0),
    ]
}

/// Usage a month, summed over the paths.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub executions: f64,
    pub state_transitions: f64,
    pub express_gb_seconds: f64,
    pub lambda_requests: f64,
    pub lambda_gb_seconds: f64,
    pub dynamodb_reads: f64,
    pub dynamodb_writes: f64,
    pub dynamodb_write_units: f64,
    pub emails: f64,
    pub bedrock_calls: f64,
    pub securityhub_requests: f64,
}

/// Converse calls per delivery on a path.
fn bedrock_calls(w: &Workload, cost: &PathCost) -> f64 {
    if !w.bedrock {
        return 0.0;
    }
    let calls = f64::from(cost.bedrock_calls);
    if cost.summary_reusable {
        calls * (1.0 - w.summary_reuse_share)
    } else {
        calls
    }
}

fn write_units(kb: f64) -> f64 {
    kb.ceil().max(1.0)
}

/// What one delivery on `cost`'s path uses.
fn path_usage(w: &Workload, a: &Assumptions, cost: &PathCost) -> Usage {
    let Tasks {
        check_seen,
        age_check,
        score_and_summarise,
        render_html_email,
    } = cost.tasks;
    let calls = bedrock_calls(w, cost);
    let score_ms = a.score_and_summarise_ms + calls * a.bedrock_call_ms;
    let invocations = [
        (check_seen, a.check_seen_mb, a.check_seen_ms),
        (age_check, a.age_check_mb, a.age_check_ms),
        (score_and_summarise, a.score_and_summarise_mb, score_ms),
        (
            render_html_email,
            a.render_html_email_mb,
            a.render_html_email_ms,
        ),
    ];
    let mut lambda_gb_seconds = 0.0;
    let mut busy_ms = 0.0;
    for (count, mb, ms) in invocations {
        let count = f64::from(count);
        lambda_gb_seconds += count * mb / 1024.0 * ms / 1000.0;
        busy_ms += count * (ms + a.task_overhead_ms);
    }
    let billed_ms = (busy_ms / a.express_increment_ms).ceil().max(1.0) * a.express_increment_ms;
    // With Bedrock on, a record carries its cached summary from its first alert on; only the
    // claim of a new finding writes a record without one.
    let table_writes = f64::from(cost.dynamodb_writes);
    let full_item = if w.bedrock {
        a.record_kb + a.cached_summary_kb
    } else {
        a.record_kb
    };
    let write_units_each = if cost.path == Path::New {
        write_units(a.record_kb)
    } else {
        write_units(full_item)
    };
    let cache_writes = calls;
    Usage {
        executions: 1.0,
        state_transitions: f64::from(cost.state_transitions),
        express_gb_seconds: billed_ms / 1000.0 * a.express_memory_mb / 1024.0,
        lambda_requests: f64::from(cost.tasks.total()),
        lambda_gb_seconds,
        dynamodb_reads: f64::from(cost.dynamodb_reads),
        dynamodb_writes: table_writes + cache_writes,
        dynamodb_write_units: table_writes * write_units_each
            + cache_writes * write_units(full_item),
        emails: f64::from(cost.ses_emails),
        bedrock_calls: calls,
        securityhub_requests: if w.securityhub_notes {
            f64::from(cost.securityhub_notes)
        } else {
            0.0
        },
    }
}

/// Usage of the whole workload.
pub fn usage(w: &Workload, a: &Assumptions) -> Usage {
    let mut total = Usage::default();
    for (path, count) in deliveries(w) {
        let one = path_usage(w, a, &cost_of(path));
        total.executions += count * one.executions;
        total.state_transitions += count * one.state_transitions;
        total.express_gb_seconds += count * one.express_gb_seconds;
        total.lambda_requests += count * one.lambda_requests;
        total.lambda_gb_seconds += count * one.lambda_gb_seconds;
        total.dynamodb_reads += count * one.dynamodb_reads;
        total.dynamodb_writes += count * one.dynamodb_writes;
        total.dynamodb_write_units += count * one.dynamodb_write_units;
        total.emails += count * one.emails;
        total.bedrock_calls += count * one.bedrock_calls;
        total.securityhub_requests += count * one.securityhub_requests;
    }
    total
}

/// A month's bill, per service, in US dollars.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Bill {
    pub step_functions: f64,
    pub lambda_requests: f64,
    pub lambda_compute: f64,
    pub dynamodb_reads: f64,
    pub dynamodb_writes: f64,
    pub ses: f64,
    pub bedrock: f64,
}

impl Bill {
    pub fn total(&self) -> f64 {
        self.without_bedrock_and_email() + self.ses + self.bedrock
    }

    /// The pipeline itself: what the email and the model cost is left out.
    pub fn without_bedrock_and_email(&self) -> f64 {
        self.step_functions
            + self.lambda_requests
            + self.lambda_compute
            + self.dynamodb_reads
            + self.dynamodb_writes
    }
}

/// The estimate of one workload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub usage: Usage,
    pub express: Bill,
    pub standard: Bill,
    /// What one Express execution per finding costs at the least: its request and one 100 ms,
    /// 64 MB duration increment, one Lambda request of 1 ms at 128 MB, and one read.
    pub floor: f64,
}

impl Estimate {
    /// The EXPRESS pipeline without Bedrock and email, over the floor.
    pub fn floor_ratio(&self) -> f64 {
        if self.floor > 0.0 {
            self.express.without_bedrock_and_email() / self.floor
        } else {
            0.0
        }
    }
}

/// Prices `w` under `a`.
pub fn estimate(w: &Workload, a: &Assumptions) -> Estimate {
    let u = usage(w, a);
    let common = Bill {
        step_functions: 0.0,
        lambda_requests: u.lambda_requests * price(Item::LambdaRequest),
        lambda_compute: u.lambda_gb_seconds * price(Item::LambdaArmGbSecond),
        dynamodb_reads: u.dynamodb_reads * price(Item::DynamoReadUnit),
        dynamodb_writes: u.dynamodb_write_units * price(Item::DynamoWriteUnit),
        ses: u.emails * price(Item::SesEmail),
        bedrock: u.bedrock_calls
            * (a.bedrock_input_tokens * price(Item::BedrockInputToken)
                + a.bedrock_output_tokens * price(Item::BedrockOutputToken)),
    };
    let express = Bill {
        step_functions: u.executions * price(Item::ExpressRequest)
            + u.express_gb_seconds * price(Item::ExpressGbSecond),
        ..common
    };
    let standard = Bill {
        step_functions: u.state_transitions * price(Item::StandardTransition),
        ..common
    };
    let per_finding_floor = price(Item::ExpressRequest)
        + a.express_increment_ms / 1000.0 * a.express_memory_mb / 1024.0
            * price(Item::ExpressGbSecond)
        + price(Item::LambdaRequest)
        + 128.0 / 1024.0 * 0.001 * price(Item::LambdaArmGbSecond)
        + price(Item::DynamoReadUnit);
    Estimate {
        usage: u,
        express,
        standard,
        floor: w.findings * per_finding_floor,
    }
}

/// The highest ratio to the floor the pipeline should cost.
pub const FLOOR_TARGET: f64 = 1.5;

#[derive(Debug, Args)]
pub struct CostArgs {
    /// Finding deliveries a month.
    #[arg(long, default_value_t = 1_000_000.0)]
    findings: f64,
    /// Share of deliveries that are quiet duplicates (seen, inside their window).
    #[arg(long, default_value_t = 0.90)]
    duplicates: f64,
    /// Share that alert again (window elapsed or severity escalated).
    #[arg(long, default_value_t = 0.02)]
    realerts: f64,
    /// Share that Security Hub reports resolved, archived, suppressed or passed.
    #[arg(long, default_value_t = 0.04)]
    resolutions: f64,
    /// Share not alerted on (severity, product, stale ECR image). New findings are the rest.
    #[arg(long, default_value_t = 0.02)]
    ignored: f64,
    /// Share of quiet duplicates due their daily `last_seen_at` refresh: about 1 for findings
    /// re-imported daily, 1/2 every 12 h, 1/4 every 6 h.
    #[arg(long, default_value_t = 0.5)]
    refresh_share: f64,
    /// Share of re-alerts that are severity escalations.
    #[arg(long, default_value_t = 0.1)]
    escalated_share: f64,
    /// Share of resolutions that find a record to delete.
    #[arg(long, default_value_t = 0.5)]
    resolved_recorded_share: f64,
    /// Summaries by Claude through Bedrock (`false`: the deterministic fallback).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    bedrock: bool,
    /// Share of window re-alerts that send the cached summary again.
    #[arg(long, default_value_t = 0.8)]
    summary_reuse_share: f64,
    /// Security Hub notes on each alerted finding (each re-emits one more delivery).
    #[arg(long)]
    securityhub_notes: bool,
    /// Also print every price with its source and the date it was checked.
    #[arg(long)]
    prices: bool,
}

impl CostArgs {
    fn workload(&self) -> Result<Workload> {
        for (name, share) in [
            ("refresh-share", self.refresh_share),
            ("escalated-share", self.escalated_share),
            ("resolved-recorded-share", self.resolved_recorded_share),
            ("summary-reuse-share", self.summary_reuse_share),
        ] {
            if !(0.0..=1.0).contains(&share) {
                anyhow::bail!("--{name} {share} is not a share between 0 and 1");
            }
        }
        if !(self.findings.is_finite() && self.findings >= 0.0) {
            anyhow::bail!("--findings {} is not a number of findings", self.findings);
        }
        Ok(Workload {
            findings: self.findings,
            shares: Shares::new(
                self.duplicates,
                self.realerts,
                self.resolutions,
                self.ignored,
            )?,
            refresh_share: self.refresh_share,
            escalated_share: self.escalated_share,
            resolved_recorded_share: self.resolved_recorded_share,
            bedrock: self.bedrock,
            summary_reuse_share: self.summary_reuse_share,
            securityhub_notes: self.securityhub_notes,
        })
    }
}

pub fn run(args: CostArgs) -> Result<ExitCode> {
    let workload = args.workload()?;
    let assumptions = Assumptions::default();
    let estimate = estimate(&workload, &assumptions);
    print!("{}", render(&workload, &assumptions, &estimate));
    if args.prices {
        print!("{}", render_prices());
    }
    Ok(ExitCode::SUCCESS)
}

fn usd(x: f64) -> String {
    if x != 0.0 && x.abs() < 0.01 {
        format!("${x:.4}")
    } else {
        format!("${x:.2}")
    }
}

fn count(x: f64) -> String {
    let whole = format!("{:.0}", x.round());
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percent(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

/// One line of a [`Bill`].
type BillLine = fn(&Bill) -> f64;

/// The report `hushhub cost` prints.
pub fn render(w: &Workload, a: &Assumptions, e: &Estimate) -> String {
    let mut out = String::new();
    let s = &w.shares;
    let _ = writeln!(
        out,
        "{} findings a month: {} duplicates ({} of them due the daily refresh), {} re-alerts, \
         {} resolutions, {} ignored, {} new; Bedrock {}, Security Hub notes {}",
        count(w.findings),
        percent(s.duplicates),
        percent(w.refresh_share),
        percent(s.realerts),
        percent(s.resolutions),
        percent(s.ignored),
        percent(s.new_findings()),
        if w.bedrock { "on" } else { "off" },
        if w.securityhub_notes { "on" } else { "off" },
    );
    let _ = writeln!(
        out,
        "us-east-1 list prices checked {}, before free tiers (--prices lists them with sources)\n",
        PRICES[0].checked
    );
    let u = &e.usage;
    let _ = writeln!(
        out,
        "{:<44} {:>14} {:>14}",
        "monthly cost", "EXPRESS", "STANDARD"
    );
    let rows: [(&str, BillLine); 7] = [
        ("Step Functions", |b| b.step_functions),
        ("Lambda requests", |b| b.lambda_requests),
        ("Lambda compute (arm64 GB-s)", |b| b.lambda_compute),
        ("DynamoDB reads (on-demand)", |b| b.dynamodb_reads),
        ("DynamoDB writes (on-demand)", |b| b.dynamodb_writes),
        ("SES", |b| b.ses),
        ("Bedrock (Claude Sonnet 4.6)", |b| b.bedrock),
    ];
    for (name, line) in rows {
        let _ = writeln!(
            out,
            "  {name:<42} {:>14} {:>14}",
            usd(line(&e.express)),
            usd(line(&e.standard))
        );
    }
    let _ = writeln!(
        out,
        "  {:<42} {:>14} {:>14}",
        "total",
        usd(e.express.total()),
        usd(e.standard.total())
    );
    let _ = writeln!(
        out,
        "  {:<42} {:>14} {:>14}",
        "total without Bedrock and email",
        usd(e.express.without_bedrock_and_email()),
        usd(e.standard.without_bedrock_and_email())
    );
    let ratio = e.floor_ratio();
    let _ = writeln!(
        out,
        "\nfloor (one Express execution, one Lambda request and one read per finding): {}\n\
         EXPRESS without Bedrock and email: {:.2}x the floor (target <= {FLOOR_TARGET}x: {})",
        usd(e.floor),
        ratio,
        if ratio <= FLOOR_TARGET {
            "met"
        } else {
            "missed"
        }
    );
    let _ = writeln!(
        out,
        "STANDARD costs {:.1}x EXPRESS without Bedrock and email",
        if e.express.without_bedrock_and_email() > 0.0 {
            e.standard.without_bedrock_and_email() / e.express.without_bedrock_and_email()
        } else {
            0.0
        }
    );
    let _ = writeln!(
        out,
        "\nusage: {} executions, {} state transitions, {} Express GB-s, {} Lambda requests, \
         {} Lambda GB-s, {} DynamoDB reads, {} writes ({} write units), {} emails, {} Converse \
         calls, {} Security Hub requests (not priced per request)",
        count(u.executions),
        count(u.state_transitions),
        count(u.express_gb_seconds),
        count(u.lambda_requests),
        count(u.lambda_gb_seconds),
        count(u.dynamodb_reads),
        count(u.dynamodb_writes),
        count(u.dynamodb_write_units),
        count(u.emails),
        count(u.bedrock_calls),
        count(u.securityhub_requests),
    );
    let _ = writeln!(
        out,
        "\nper delivery, measured (crates/cli/src/cost/paths.rs; held to the code by the tests):"
    );
    let _ = writeln!(
        out,
        "  {:<26} {:>11} {:>7} {:>6} {:>7} {:>4} {:>4} {:>8}",
        "path", "transitions", "Lambda", "reads", "writes", "SES", "ECR", "Bedrock"
    );
    for cost in PATHS {
        let _ = writeln!(
            out,
            "  {:<26} {:>11} {:>7} {:>6} {:>7} {:>4} {:>4} {:>8}",
            format!("{:?}", cost.path),
            cost.state_transitions,
            cost.tasks.total(),
            cost.dynamodb_reads,
            if cost.bedrock_calls > 0 {
                format!("{}+{}", cost.dynamodb_writes, cost.bedrock_calls)
            } else {
                cost.dynamodb_writes.to_string()
            },
            cost.ses_emails,
            cost.ecr_requests,
            cost.bedrock_calls,
        );
    }
    let _ = writeln!(
        out,
        "  (writes n+1: the +1 caches the model's summary, with Bedrock on; ECR: per repository \
         and 5 minutes)"
    );
    let _ = writeln!(
        out,
        "\nassumptions: warm billed durations check-seen {} ms, age-check {} ms, \
         score-and-summarise {} ms (+{} ms per Converse call), render-html-email {} ms; \
         memory {}/{}/{}/{} MB; {} ms per Task in Step Functions; Express billed per {} ms at \
         {} MB; record {} KB (+{} KB with a cached summary); {} input and {} output tokens per \
         Converse call; one finding per event",
        a.check_seen_ms,
        a.age_check_ms,
        a.score_and_summarise_ms,
        a.bedrock_call_ms,
        a.render_html_email_ms,
        a.check_seen_mb,
        a.age_check_mb,
        a.score_and_summarise_mb,
        a.render_html_email_mb,
        a.task_overhead_ms,
        a.express_increment_ms,
        a.express_memory_mb,
        a.record_kb,
        a.cached_summary_kb,
        a.bedrock_input_tokens,
        a.bedrock_output_tokens,
    );
    out
}

/// A small price as plain decimals (`0.0000002`, not `2e-7` or float noise).
fn decimal(x: f64) -> String {
    let text = format!("{x:.12}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The price table with sources.
pub fn render_prices() -> String {
    let mut out = String::from("\nprices (us-east-1, on-demand list prices):\n");
    for p in PRICES {
        let _ = writeln!(
            out,
            "  {:<20} ${:<14} per {}\n  {:<20} source: {} (checked {})",
            format!("{:?}", p.item),
            decimal(p.usd),
            p.unit,
            "",
            p.source,
            p.checked
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(shares: Shares) -> Workload {
        Workload {
            findings: 1_000_000.0,
            shares,
            refresh_share: 0.0,
            escalated_share: 0.0,
            resolved_recorded_share: 0.5,
            bedrock: false,
            summary_reuse_share: 0.8,
            securityhub_notes: false,
        }
    }

    fn only_duplicates() -> Workload {
        workload(Shares::new(1.0, 0.0, 0.0, 0.0).expect("shares"))
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn the_price_table_lists_every_item_once_in_order_with_its_source_and_date() {
        for (i, p) in PRICES.iter().enumerate() {
            assert_eq!(p.item as usize, i, "{:?}", p.item);
            assert!(p.usd > 0.0 && p.source.contains("aws.amazon.com"), "{p:?}");
            assert_eq!(p.checked.len(), "2026-11-30".len(), "{p:?}");
        }
    }

    #[test]
    fn the_path_table_lists_every_path_once_in_order() {
        for (i, cost) in PATHS.iter().enumerate() {
            assert_eq!(cost.path as usize, i, "{:?}", cost.path);
        }
    }

    #[test]
    fn a_million_quiet_duplicates_cost_a_million_reads_and_two_million_lambda_requests() {
        let u = usage(&only_duplicates(), &Assumptions::default());
        assert!(close(u.executions, 1e6));
        assert!(close(u.dynamodb_reads, 1e6));
        assert!(close(u.dynamodb_writes, 0.0));
        assert!(close(u.lambda_requests, 2e6));
        assert!(close(u.state_transitions, 6e6));
        assert!(close(u.emails, 0.0));
    }

    #[test]
    fn standard_bills_every_state_transition_and_express_every_execution_with_its_duration() {
        let a = Assumptions::default();
        let e = estimate(&only_duplicates(), &a);
        assert!(close(e.standard.step_functions, 6e6 * 25.0 / 1e6));
        // check-seen 10 ms + age-check 5 ms + 2 x 20 ms overhead: one 100 ms increment.
        let duration = 1e6 * 0.1 * (64.0 / 1024.0) * 0.000_016_67;
        assert!(close(e.express.step_functions, 1.0 + duration), "{e:?}");
        assert!(close(e.express.dynamodb_reads, 0.125));
    }

    #[test]
    fn the_daily_refresh_adds_one_write_unit_per_refreshing_duplicate() {
        let mut w = only_duplicates();
        w.refresh_share = 0.25;
        let u = usage(&w, &Assumptions::default());
        assert!(close(u.dynamodb_writes, 250_000.0));
        assert!(close(u.dynamodb_write_units, 250_000.0));
        assert!(close(u.dynamodb_reads, 1e6));
    }

    #[test]
    fn new_findings_cost_a_read_a_write_and_an_email_each() {
        let w = workload(Shares::new(0.0, 0.0, 0.0, 0.0).expect("shares"));
        let e = estimate(&w, &Assumptions::default());
        assert!(close(e.usage.dynamodb_reads, 1e6));
        assert!(close(e.usage.dynamodb_writes, 1e6));
        assert!(close(e.usage.emails, 1e6));
        assert!(close(e.express.ses, 100.0));
        assert!(close(e.usage.lambda_requests, 3e6));
        assert!(close(e.express.bedrock, 0.0), "Bedrock off");
    }

    #[test]
    fn bedrock_asks_the_model_for_new_findings_and_escalations_and_caches_each_summary() {
        let mut w = workload(Shares::new(0.0, 0.5, 0.0, 0.0).expect("shares"));
        w.bedrock = true;
        w.escalated_share = 0.2;
        w.summary_reuse_share = 0.75;
        let a = Assumptions::default();
        let u = usage(&w, &a);
        // 500,000 new, 100,000 escalations, 400,000 window re-alerts of which a quarter miss.
        let calls = 500_000.0 + 100_000.0 + 400_000.0 * 0.25;
        assert!(close(u.bedrock_calls, calls), "{u:?}");
        assert!(close(u.dynamodb_writes, 1e6 + calls), "{u:?}");
        let e = estimate(&w, &a);
        let per_call = a.bedrock_input_tokens * 3.0 / 1e6 + a.bedrock_output_tokens * 15.0 / 1e6;
        assert!(close(e.express.bedrock, calls * per_call));
        // A record with its cached summary is over 1 KB: two write units per write but the
        // new finding's first.
        assert!(close(
            u.dynamodb_write_units,
            500_000.0 + 2.0 * (500_000.0 + calls)
        ));
    }

    #[test]
    fn security_hub_notes_add_one_request_and_one_quiet_delivery_per_alert() {
        let mut w = workload(Shares::new(0.5, 0.0, 0.0, 0.0).expect("shares"));
        w.securityhub_notes = true;
        let u = usage(&w, &Assumptions::default());
        assert!(close(u.securityhub_requests, 500_000.0));
        assert!(close(u.executions, 1.5e6));
    }

    #[test]
    fn shares_beyond_the_whole_are_refused() {
        assert!(Shares::new(0.9, 0.2, 0.0, 0.0).is_err());
        assert!(Shares::new(-0.1, 0.0, 0.0, 0.0).is_err());
        let s = Shares::new(0.9, 0.02, 0.04, 0.02).expect("shares");
        assert!(close(s.new_findings(), 0.02));
    }

    #[test]
    fn the_floor_is_one_express_execution_one_lambda_request_and_one_read_per_finding() {
        let e = estimate(&only_duplicates(), &Assumptions::default());
        let floor = 1.0
            + 0.1 * (64.0 / 1024.0) * 0.000_016_67 * 1e6
            + 0.20
            + 128.0 / 1024.0 * 0.001 * 0.000_013_333_4 * 1e6
            + 0.125;
        assert!(close(e.floor, floor), "{} != {floor}", e.floor);
    }

    #[test]
    fn ninety_percent_duplicates_stay_within_one_and_a_half_times_the_floor_without_bedrock() {
        let args = CostArgs {
            findings: 1e6,
            duplicates: 0.9,
            realerts: 0.02,
            resolutions: 0.04,
            ignored: 0.02,
            refresh_share: 0.5,
            escalated_share: 0.1,
            resolved_recorded_share: 0.5,
            bedrock: false,
            summary_reuse_share: 0.8,
            securityhub_notes: false,
            prices: false,
        };
        let e = estimate(&args.workload().expect("workload"), &Assumptions::default());
        assert!(e.floor_ratio() <= FLOOR_TARGET, "{:.3}", e.floor_ratio());
        assert!(e.standard.step_functions > 20.0 * e.express.step_functions);
    }

    #[test]
    fn the_report_names_both_workflow_types_and_the_target() {
        let w = only_duplicates();
        let a = Assumptions::default();
        let text = render(&w, &a, &estimate(&w, &a));
        for expected in ["EXPRESS", "STANDARD", "the floor", "target", "Duplicate "] {
            assert!(text.contains(expected), "{expected:?} in {text}");
        }
        assert!(render_prices().contains("checked 2026-11-30"));
    }
}

#[cfg(test)]
mod prompt_size {
    use hushhub_core::finding::{Finding, ImportedEvent};
    use hushhub_core::score::score;
    use hushhub_core::summary::build_prompt;

    use super::Assumptions;

    /// Characters per token assumed for the check below: fewer than English prose has (about
    /// four), since JSON and ids tokenise worse.
    const CHARS_PER_TOKEN: f64 = 3.0;
    /// What forcing a tool adds to the system prompt (Anthropic documents a few hundred tokens).
    const TOOL_USE_TOKENS: f64 = 350.0;

    #[test]
    fn the_input_token_assumption_covers_the_prompt_of_every_sample_finding() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files: Vec<_> = std::fs::read_dir(root.join("examples/events"))
            .expect("examples/events")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.push(root.join("tests/fixtures/asff/huge-description.json"));
        let assumed = Assumptions::default().bedrock_input_tokens;
        let mut measured = 0;
        for path in files {
            let text = std::fs::read_to_string(&path).expect("readable");
            let event = ImportedEvent::parse(&text).expect("an event");
            for raw in event.findings() {
                let finding = Finding::from_asff(raw, "detail.findings[0]").expect("a finding");
                let prompt = build_prompt(&finding, &score(&finding));
                let schema = prompt.reply_schema.map_or(0, |s| {
                    s.name.len() + s.description.len() + s.json_schema.to_string().len()
                });
                let chars = prompt.system.len() + prompt.user.len() + schema;
                let tokens = chars as f64 / CHARS_PER_TOKEN + TOOL_USE_TOKENS;
                assert!(
                    tokens <= assumed,
                    "{}: about {tokens:.0} tokens",
                    path.display()
                );
                measured += 1;
            }
        }
        assert!(measured >= 10, "{measured} prompts");
    }
}
