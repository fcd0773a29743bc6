//! `hushhub preview`: the email each finding of an event would get as a new alert, written to a
//! folder with no state at all, so the alert can be read (and its template changed) before
//! anything is deployed.
//!
//! Each finding is treated as seen for the first time at its own `UpdatedAt`: that is the clock
//! of the alert (first seen, last seen, the `Date` header), so the same event always gives the
//! same email. Scoring, the summary (the deterministic fallback: no model is called) and the
//! rendering are the very handlers the Lambdas and `hushhub replay` run.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use clap::Args;
use hushhub_core::config::{self, Config, ConfigError};
use hushhub_core::email::one_line;
use hushhub_core::finding::{Finding, ImportedEvent};
use hushhub_core::ports::{Clock, FixedClock};
use hushhub_core::ports::{Summariser, SummariserError};
use hushhub_core::seen::{SeenRecord, resolution};
use hushhub_core::steps::{AssessInput, DecisionKind, RenderInput, StepDecision};
use hushhub_core::summary::Prompt;
use hushhub_local::{FolderMailer, NoSummaryCache};

use crate::inputs::read_events;

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// Event files (one JSON event, or JSON lines), folders of them, or `-` for stdin.
    #[arg(required = true)]
    events: Vec<PathBuf>,
    /// Where the emails are written (`.eml`, `.html`, `.txt`); numbering continues after the
    /// emails already there.
    #[arg(long, default_value = ".hushhub/preview")]
    out: PathBuf,
    /// Remove the emails already in `--out` first.
    #[arg(long)]
    fresh: bool,
    /// Aliases shown next to account ids, e.g. `111122223333=prod-payments,444455556666=shared`.
    #[arg(long, env = config::env::ACCOUNT_ALIASES, default_value = "")]
    account_aliases: String,
    /// Severities that alert at all; findings of the others get no email.
    #[arg(long, default_value = config::DEFAULT_ALERT_SEVERITIES)]
    alert_severities: String,
    /// Sender shown in the emails.
    #[arg(long, default_value = "hushhub@example.com")]
    sender: String,
    /// Recipients shown in the emails (comma-separated).
    #[arg(long, default_value = "security-team@example.com")]
    recipients: String,
}

/// Asks no model, like the replay's offline summariser, but says so in the preview's words: every
/// summary is the deterministic fallback, and the email's footer tells why.
struct PreviewSummariser;

impl Summariser for PreviewSummariser {
    async fn complete(&self, _prompt: &Prompt) -> Result<String, SummariserError> {
        Err(SummariserError::Offline(
            "hushhub preview asks no model".to_owned(),
        ))
    }
}

/// One finding to preview and the event it came in.
struct Pending {
    event_id: String,
    finding: Finding,
}

pub fn run(args: PreviewArgs) -> Result<ExitCode> {
    let config = preview_config(&args)?;
    let events = read_events(&args.events)?;
    if events.is_empty() {
        bail!("no events found in {:?}", args.events);
    }
    // Every event is read before anything is written: a bad one names its field and leaves the
    // folder as it was.
    let mut pending = Vec::new();
    for event in &events {
        let parsed =
            ImportedEvent::parse(&event.text).map_err(|e| anyhow!("{}: {e}", event.origin))?;
        for (i, raw) in parsed.findings().iter().enumerate() {
            let finding = Finding::read(raw, parsed.format(), &format!("detail.findings[{i}]"))
                .map_err(|e| anyhow!("{}: {e}", event.origin))?;
            pending.push(Pending {
                event_id: parsed.id().to_owned(),
                finding,
            });
        }
    }

    if args.fresh {
        clear_emails(&args.out)?;
    }
    let clock = Arc::new(FixedClock::new(DateTime::<Utc>::UNIX_EPOCH));
    let shared_clock: Arc<dyn Clock> = clock.clone();
    let assess = score_and_summarise::Ports {
        summariser: PreviewSummariser,
        summary_cache: NoSummaryCache,
        model_id: String::new(),
    };
    let render = render_html_email::Ports {
        mailer: FolderMailer::new(&args.out, shared_clock)
            .with_context(|| format!("creating {}", args.out.display()))?,
        sender: config.sender.clone(),
        routes: config.routes.clone(),
        account_aliases: config.account_aliases.clone(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .context("starting the async runtime")?;

    let mut written = 0_usize;
    for Pending { event_id, finding } in pending {
        let skipped = match resolution(&finding) {
            Some(why) => Some(format!("{why}: hushhub never alerts on it")),
            None => config.policy.ignore_reason(&finding),
        };
        if let Some(why) = skipped {
            println!(
                "no email: {} ({}) — {why}",
                one_line(&finding.title),
                finding.severity
            );
            continue;
        }
        let at = finding.updated_at;
        clock.set(at);
        let record = SeenRecord::first_sighting(&finding, at);
        let decision = StepDecision::new(
            &event_id,
            &finding,
            DecisionKind::New,
            "first time seen".to_owned(),
            Some(record),
        );
        let assessment = runtime
            .block_on(score_and_summarise::handle(
                &assess,
                AssessInput {
                    event_id: event_id.clone(),
                    finding: finding.clone(),
                    decision: decision.clone(),
                },
            ))
            .with_context(|| format!("scoring finding {}", finding.id))?;
        let sent = runtime
            .block_on(render_html_email::handle(
                &render,
                RenderInput {
                    event_id,
                    finding,
                    decision,
                    assessment,
                },
            ))
            .context("writing the email")?;
        written += 1;
        println!(
            "{}  {}",
            render
                .mailer
                .dir()
                .join(format!("{}.html", sent.message_id))
                .display(),
            sent.subject
        );
    }
    eprintln!(
        "{written} email(s) in {} (.eml, .html and .txt each)",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The configuration the Lambdas would read, built from the flags; errors name the flag.
fn preview_config(args: &PreviewArgs) -> Result<Config> {
    let flag = |name: &'static str| match name {
        config::env::SENDER => "--sender",
        config::env::RECIPIENTS => "--recipients",
        config::env::ALERT_SEVERITIES => "--alert-severities",
        config::env::ACCOUNT_ALIASES => "--account-aliases",
        _ => name,
    };
    Config::from_lookup(|name| match name {
        // Required by `Config`, unused here: preview keeps no state.
        config::env::TABLE_NAME => Some("hushhub-preview".to_owned()),
        config::env::SENDER => Some(args.sender.clone()),
        config::env::RECIPIENTS => Some(args.recipients.clone()),
        config::env::ALERT_SEVERITIES => Some(args.alert_severities.clone()),
        config::env::ACCOUNT_ALIASES => Some(args.account_aliases.clone()),
        _ => None,
    })
    .map_err(|ConfigError { variable, problem }| anyhow!("{}: {problem}", flag(variable)))
}

/// Removes the `.eml`, `.html` and `.txt` files of a previous preview.
fn clear_emails(dir: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path
            .extension()
            .is_some_and(|x| x == "eml" || x == "html" || x == "txt")
        {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}
