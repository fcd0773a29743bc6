//! `hushhub replay`: events through the real definition on local adapters, one line per finding
//! and totals, so a change of `renotify_after` can be tried before it is applied in Terraform.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Datelike, Timelike, Utc};
use clap::{Args, ValueEnum};
use hushhub_aws::bedrock::BedrockSummariser;
use hushhub_aws::clients::AwsClients;
use hushhub_core::config::{self, AlertPolicy, env, parse_products, parse_severities};
use hushhub_core::ports::{Clock, FixedClock, Summariser, SummariserError};
use hushhub_core::routing::{self, Routes};
use hushhub_core::seen::RenotifyPolicy;
use hushhub_core::silence::Silences;
use hushhub_core::summary::Prompt;
use hushhub_local::{
    FindingResult, FolderMailer, Functions, JsonlImageRegistry, LocalPipeline, OfflineSummariser,
    PIPELINE_DEFINITION, SqliteSeenStore,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::inputs::{Events, Origin};

/// A replay shorter than this many events ends before a progress bar would help.
const PROGRESS_AFTER_EVENTS: u64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One aligned line per finding, then totals.
    Text,
    /// One JSON object per finding (JSON lines); totals go to stderr.
    Json,
}

/// Who writes the alerts' summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummariserChoice {
    /// No model: every summary is the deterministic fallback; nothing leaves this machine.
    Offline,
    /// Claude through Amazon Bedrock, with this machine's AWS credentials and Region (try them
    /// with `hushhub check-model`). Summaries are cached in the state file, so the re-alert of
    /// an unchanged finding asks the model nothing.
    Bedrock,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Event files (one JSON event, or JSON lines), folders of them, or `-` for stdin.
    #[arg(required = true)]
    events: Vec<PathBuf>,
    /// The SQLite state file (created if missing).
    #[arg(long, default_value = ".hushhub/state.sqlite")]
    state: PathBuf,
    /// Where emails are written (`.eml`, `.html`, `.txt`).
    #[arg(long, default_value = ".hushhub/outbox")]
    outbox: PathBuf,
    /// Start from an empty state and an empty outbox.
    #[arg(long)]
    fresh: bool,
    /// `renotify_after` per severity, e.g. `CRITICAL=1d,HIGH=5d,MEDIUM=15d,LOW=30d`.
    #[arg(long, default_value = config::DEFAULT_RENOTIFY_AFTER)]
    renotify_after: String,
    /// Severities that alert at all.
    #[arg(long, default_value = config::DEFAULT_ALERT_SEVERITIES)]
    alert_severities: String,
    /// `ProductName`s that alert (comma-separated); empty means all.
    #[arg(long, default_value = "")]
    alert_products: String,
    /// JSON lines of `{"repository","digest","tags":[..],"pushed_at"}`: the ECR images to judge
    /// "latest tagged image" against. Without it, ECR findings are never ignored as stale.
    #[arg(long)]
    ecr_images: Option<PathBuf>,
    /// Alert on ECR findings of any image, not only the latest tagged one.
    #[arg(long)]
    all_ecr_images: bool,
    /// Silences, as the JSON list the Terraform variable `silences` becomes, or `@FILE` holding
    /// it: `[{"control_id":"S3.1","until":"2026-12-31T00:00:00Z","reason":"accepted risk"}]`.
    /// Matchers: control_id, finding_type, account_id, resource_id (glob), tag (key=value).
    #[arg(long, env = env::SILENCES, default_value = "[]")]
    silences: String,
    /// Send one short "resolved" email, threaded under its alerts, when a finding that was
    /// alerted on is resolved, archived, suppressed or passed (the Terraform variable
    /// `resolved_notices`).
    #[arg(long, env = env::RESOLVED_NOTICES)]
    resolved_notices: bool,
    /// Routes, as the JSON list the Terraform variable `routes` becomes, or `@FILE` holding it:
    /// `[{"name":"payments","accounts":["111122223333"],"recipients":["payments-sec@example.com"]}]`.
    /// Matchers (all given must match, any value of each): accounts, severities, priorities
    /// (P0..P3), owners (values of the `--owner-tag-key` tag on any resource). Every matching
    /// route gets one email; `--recipients` (the default route) only when none matches.
    #[arg(long, env = env::ROUTES, default_value = "[]")]
    routes: String,
    /// The resource tag key a route's `owners` matches.
    #[arg(long, env = env::OWNER_TAG_KEY, default_value = routing::DEFAULT_OWNER_TAG_KEY)]
    owner_tag_key: String,
    /// Sender shown in the emails.
    #[arg(long, default_value = "hushhub@example.com")]
    sender: String,
    /// Recipients of the default route: every alert no `--routes` route matches
    /// (comma-separated).
    #[arg(long, default_value = "security-team@example.com")]
    recipients: String,
    /// Another state machine definition to run instead of the embedded one.
    #[arg(long)]
    definition: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Who writes the summaries.
    #[arg(long, value_enum, default_value_t = SummariserChoice::Offline)]
    summariser: SummariserChoice,
    /// The model or inference profile `--summariser bedrock` asks.
    #[arg(long, env = env::BEDROCK_MODEL_ID, default_value = config::DEFAULT_BEDROCK_MODEL_ID)]
    model_id: String,
}

/// The summariser a replay runs with.
enum ReplaySummariser {
    Offline(OfflineSummariser),
    Bedrock(BedrockSummariser),
}

impl ReplaySummariser {
    /// The summariser asked for, and the model id score-and-summarise names (none offline).
    fn new(choice: SummariserChoice, model_id: &str) -> Result<(Self, String)> {
        Ok(match choice {
            SummariserChoice::Offline => (Self::Offline(OfflineSummariser), String::new()),
            SummariserChoice::Bedrock => {
                // Only reads the configuration (environment, profile files); every request is
                // made later, on the pipeline's runtime.
                let clients = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("starting the async runtime")?
                    .block_on(AwsClients::from_env());
                if clients.sdk_config().region().is_none() {
                    bail!("--summariser bedrock: no AWS Region is configured (set AWS_REGION)");
                }
                (
                    Self::Bedrock(BedrockSummariser::from_clients(&clients, model_id)),
                    model_id.to_owned(),
                )
            }
        })
    }
}

impl Summariser for ReplaySummariser {
    async fn complete(&self, prompt: &Prompt) -> Result<String, SummariserError> {
        match self {
            Self::Offline(offline) => offline.complete(prompt).await,
            Self::Bedrock(bedrock) => bedrock.complete(prompt).await,
        }
    }
}

pub fn run(args: ReplayArgs) -> Result<ExitCode> {
    let renotify: RenotifyPolicy = args
        .renotify_after
        .parse()
        .map_err(anyhow::Error::msg)
        .context("--renotify-after")?;
    let alert_severities = parse_severities(&args.alert_severities)
        .map_err(anyhow::Error::msg)
        .context("--alert-severities")?;
    let silences = Silences::parse(&json_or_file(&args.silences, "--silences")?)
        .map_err(anyhow::Error::msg)
        .context("--silences")?;
    let recipients: Vec<String> = args
        .recipients
        .split(',')
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .collect();
    for address in recipients.iter().chain([&args.sender]) {
        config::check_address(address)
            .map_err(anyhow::Error::msg)
            .context("--sender/--recipients")?;
    }
    routing::check_owner_tag_key(&args.owner_tag_key)
        .map_err(anyhow::Error::msg)
        .context("--owner-tag-key")?;
    let routes = Routes::parse(
        &json_or_file(&args.routes, "--routes")?,
        &args.owner_tag_key,
        recipients,
    )
    .map_err(anyhow::Error::msg)
    .context("--routes")?;
    let (summariser, model_id) = ReplaySummariser::new(args.summariser, &args.model_id)?;
    let definition = match &args.definition {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
        }
        None => PIPELINE_DEFINITION.to_owned(),
    };
    // Events are read as they run, not all first: a long stream would otherwise be held whole
    // in memory. The first is read before anything is cleared, so that arguments without
    // events leave the state and the outbox as they were.
    let mut events = Events::open(&args.events)?;
    let Some(first) = events.next().transpose()? else {
        bail!("no events found in {:?}", args.events);
    };

    if let Some(dir) = args.state.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let store = Arc::new(
        SqliteSeenStore::open(&args.state)
            .with_context(|| format!("opening {}", args.state.display()))?,
    );
    if args.fresh {
        store.clear()?;
        clear_outbox(&args.outbox)?;
    }
    let clock = Arc::new(FixedClock::new(DateTime::<Utc>::UNIX_EPOCH));
    let shared_clock: Arc<dyn Clock> = clock.clone();
    let registry = match &args.ecr_images {
        Some(path) => JsonlImageRegistry::load(path, shared_clock.clone())?,
        None => JsonlImageRegistry::empty(shared_clock.clone()),
    };
    let policy = AlertPolicy {
        renotify: renotify.clone(),
        alert_severities,
        alert_products: parse_products(&args.alert_products),
        ecr_latest_only: !args.all_ecr_images,
        silences,
        resolved_notices: args.resolved_notices,
    };
    let functions = Functions {
        check_seen: check_seen::Ports {
            store: store.clone(),
            registry,
            clock: clock.clone(),
            policy,
        },
        age_check: age_check::Ports {
            store: store.clone(),
            clock: clock.clone(),
            renotify,
        },
        score_and_summarise: score_and_summarise::Ports {
            summariser,
            summary_cache: store.clone(),
            model_id,
        },
        render_html_email: render_html_email::Ports {
            mailer: FolderMailer::in_background(&args.outbox, shared_clock)
                .with_context(|| format!("creating outbox {}", args.outbox.display()))?,
            sender: args.sender.clone(),
            routes,
            account_aliases: BTreeMap::new(),
        },
    };
    let mut pipeline = LocalPipeline::new(&definition, functions, clock)?;

    // Events are read as they run, so the bar counts bytes of input (none for stdin), and is
    // drawn once the replay is long enough to need it.
    let progress = ProgressBar::with_draw_target(events.bytes_total, ProgressDrawTarget::hidden());
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} events")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let show_progress = std::io::stderr().is_terminal();

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut totals = Totals::default();
    let started = Instant::now();
    let mut next = Some(Ok(first));
    while let Some(event) = next {
        let event = event?;
        let result = pipeline.run_text(&event.text);
        totals.events += 1;
        totals.state_transitions += result.state_transitions;
        for finding in &result.findings {
            totals.count(finding);
            match args.format {
                Format::Text => write_text_line(&mut out, result.time, finding, &event.origin)?,
                Format::Json => writeln!(out, "{}", serde_json::to_string(finding)?)?,
            }
        }
        next = events.next();
        if show_progress && totals.events == PROGRESS_AFTER_EVENTS {
            progress.set_draw_target(ProgressDrawTarget::stderr());
        }
        if totals.events % 64 == 0 {
            progress.set_position(events.bytes_read);
            progress.set_message(totals.events.to_string());
        }
    }
    // The last emails may still be on their way to the outbox; they count in the time.
    pipeline
        .functions()
        .render_html_email
        .mailer
        .finish()
        .with_context(|| format!("writing the outbox {}", args.outbox.display()))?;
    let elapsed = started.elapsed();
    progress.finish_and_clear();
    out.flush()?;
    drop(out);
    let summary = totals.render(elapsed.as_secs_f64(), &args.outbox, store.count()?);
    match args.format {
        Format::Text => println!("{summary}"),
        Format::Json => eprintln!("{summary}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The text of a JSON flag: the flag's value, or the file named after an `@`.
fn json_or_file(value: &str, flag: &str) -> Result<String> {
    match value.strip_prefix('@') {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("{flag}: reading {path}"))
        }
        None => Ok(value.to_owned()),
    }
}

fn clear_outbox(outbox: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(outbox) else {
        return Ok(());
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path
            .extension()
            .is_some_and(|x| x == "eml" || x == "html" || x == "txt")
        {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

/// Writes one finding's line of the replay's text output. Written straight to `out`, and the
/// time without a strftime pattern: most of the month's lines are duplicates, and building
/// their text cost more than deciding them.
fn write_text_line(
    out: &mut impl Write,
    time: Option<DateTime<Utc>>,
    f: &FindingResult,
    origin: &Origin,
) -> std::io::Result<()> {
    match time {
        Some(t) => write!(
            out,
            "{:04}-{:02}-{:02} {:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute()
        )?,
        None => out.write_all("-".repeat(16).as_bytes())?,
    }
    write!(
        out,
        "  {:<10}  {:<2}  {:<13}  ",
        f.decision,
        f.priority.as_deref().unwrap_or("-"),
        f.severity.as_deref().unwrap_or("-"),
    )?;
    match (&f.error, &f.title) {
        (Some(error), _) => write!(out, "{error}  ({origin})")?,
        (None, Some(title)) => write!(
            out,
            "{}  — {}",
            hushhub_core::email::one_line(title),
            f.reason
        )?,
        (None, None) => out.write_all(f.reason.as_bytes())?,
    }
    if !f.routes.is_empty() {
        write!(out, "  → routes: {}", f.routes.join(", "))?;
    }
    out.write_all(b"\n")
}

#[derive(Default)]
struct Totals {
    events: u64,
    findings: u64,
    emails: u64,
    state_transitions: u64,
    decisions: BTreeMap<String, u64>,
}

impl Totals {
    fn count(&mut self, f: &FindingResult) {
        self.findings += 1;
        if f.email.is_some() {
            // One email per route when routes are configured; routes are empty otherwise.
            self.emails += f.routes.len().max(1) as u64;
        }
        *self.decisions.entry(f.decision.clone()).or_default() += 1;
    }

    fn render(&self, seconds: f64, outbox: &Path, recorded: u64) -> String {
        let rate = if seconds > 0.0 {
            self.findings as f64 / seconds
        } else {
            0.0
        };
        let order = [
            "new",
            "realert",
            "suppressed",
            "resolved",
            "ignored",
            "rejected",
            "failed",
        ];
        let decisions: Vec<String> = order
            .iter()
            .filter_map(|d| self.decisions.get(*d).map(|n| format!("{d} {n}")))
            .collect();
        format!(
            "\n{} events, {} findings, {} emails ({})\n{}\n{:.0} findings/s ({:.2} s), {:.1} state transitions per finding, {} findings recorded",
            self.events,
            self.findings,
            self.emails,
            outbox.display(),
            decisions.join(", "),
            rate,
            seconds,
            if self.findings > 0 {
                self.state_transitions as f64 / self.findings as f64
            } else {
                0.0
            },
            recorded,
        )
    }
}
