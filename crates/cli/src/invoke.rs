//! `hushhub invoke`: one function's handler on local ports, as a Task state of the local runner
//! calls it, so another runner of the definition (the differential check in
//! `tools/differential`) can answer its Task states with exactly the same code.
//!
//! Once: `hushhub invoke check-seen --now 2026-10-01T02:12:00Z < input.json` prints the result,
//! or the Lambda-style `{"errorMessage","errorType"}` and exits 1.
//!
//! Serving: `hushhub invoke --serve` reads one request per line,
//! `{"id": any, "function": "check-seen", "input": {..}, "now": "<RFC 3339>"}`, and answers each
//! with one line, `{"id", "output"}` or `{"id", "error": "<errorType>", "cause": "<cause>"}`
//! where `cause` is the text Step Functions puts in a caught error's `Cause`. `now`, when
//! given, moves the clock first (the local runner moves it to each event's time).

use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::Args;
use hushhub_core::config::{self, AlertPolicy, parse_products, parse_severities};
use hushhub_core::ports::{Clock, FixedClock};
use hushhub_core::routing::Routes;
use hushhub_core::seen::RenotifyPolicy;
use hushhub_local::replay::{FUNCTIONS, invoke_function};
use hushhub_local::{
    FolderMailer, Functions, JsonlImageRegistry, OfflineSummariser, SqliteSeenStore,
};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Args)]
pub struct InvokeArgs {
    /// The function: check-seen, age-check, score-and-summarise or render-html-email.
    #[arg(required_unless_present = "serve", conflicts_with = "serve")]
    function: Option<String>,
    /// Answer JSON-line requests on stdin until it closes, one JSON line each on stdout.
    #[arg(long)]
    serve: bool,
    /// The clock, RFC 3339 (default: the Unix epoch, as the local runner before its first event).
    #[arg(long)]
    now: Option<String>,
    /// The SQLite state file (created if missing).
    #[arg(long, default_value = ".hushhub/state.sqlite")]
    state: PathBuf,
    /// Where emails are written (`.eml`, `.html`, `.txt`).
    #[arg(long, default_value = ".hushhub/outbox")]
    outbox: PathBuf,
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
    /// "latest tagged image" against.
    #[arg(long)]
    ecr_images: Option<PathBuf>,
    /// Alert on ECR findings of any image, not only the latest tagged one.
    #[arg(long)]
    all_ecr_images: bool,
    /// Sender shown in the emails.
    #[arg(long, default_value = "hushhub@example.com")]
    sender: String,
    /// Recipients shown in the emails (comma-separated).
    #[arg(long, default_value = "security-team@example.com")]
    recipients: String,
}

/// One `--serve` request.
#[derive(Debug, Deserialize)]
struct Request {
    #[serde(default)]
    id: Value,
    function: String,
    input: Value,
    #[serde(default)]
    now: Option<String>,
}

type LocalFunctions = Functions<JsonlImageRegistry, OfflineSummariser, FolderMailer>;

/// The functions on the local runner's ports, as `hushhub replay` builds them (offline
/// summariser), and the clock they read.
fn local_functions(args: &InvokeArgs) -> Result<(LocalFunctions, Arc<FixedClock>)> {
    let renotify: RenotifyPolicy = args
        .renotify_after
        .parse()
        .map_err(anyhow::Error::msg)
        .context("--renotify-after")?;
    let alert_severities = parse_severities(&args.alert_severities)
        .map_err(anyhow::Error::msg)
        .context("--alert-severities")?;
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
    if let Some(dir) = args.state.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let store = Arc::new(
        SqliteSeenStore::open(&args.state)
            .with_context(|| format!("opening {}", args.state.display()))?,
    );
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
        ..AlertPolicy::default()
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
            summariser: OfflineSummariser,
            summary_cache: store,
            model_id: String::new(),
        },
        render_html_email: render_html_email::Ports {
            mailer: FolderMailer::new(&args.outbox, shared_clock)
                .with_context(|| format!("creating outbox {}", args.outbox.display()))?,
            sender: args.sender.clone(),
            routes: Routes::only_default(recipients),
            account_aliases: BTreeMap::new(),
        },
    };
    Ok((functions, clock))
}

fn parse_now(now: &str) -> Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(now)
        .with_context(|| format!("now: not an RFC 3339 time: {now:?}"))?
        .with_timezone(&Utc))
}

fn check_function(name: &str) -> Result<()> {
    if FUNCTIONS.iter().any(|(_, f)| *f == name) {
        return Ok(());
    }
    let known: Vec<&str> = FUNCTIONS.iter().map(|(_, f)| *f).collect();
    bail!(
        "unknown function {name:?}; expected one of {}",
        known.join(", ")
    )
}

/// The `{"errorMessage","errorType"}` object of a failure's cause (which the handlers already
/// write that way; anything else is wrapped).
fn error_object(error: &str, cause: &str) -> Value {
    match serde_json::from_str::<Value>(cause) {
        Ok(object @ Value::Object(_)) => object,
        _ => json!({ "errorType": error, "errorMessage": cause }),
    }
}

pub fn run(args: InvokeArgs) -> Result<ExitCode> {
    let (functions, clock) = local_functions(&args)?;
    if let Some(now) = &args.now {
        clock.set(parse_now(now).context("--now")?);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    if args.serve {
        return serve(&functions, &clock, &runtime);
    }
    let function = args.function.as_deref().unwrap_or_default();
    check_function(function)?;
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("reading the payload on stdin")?;
    let input: Value = serde_json::from_str(&text).context("the payload is not JSON")?;
    match invoke_function(&functions, &runtime, function, &input) {
        Ok(output) => {
            writeln!(std::io::stdout(), "{output}")?;
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => {
            let error = error_object(&failure.error, &failure.cause);
            writeln!(std::io::stdout(), "{error}")?;
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Answers requests line by line; a malformed request gets an error line, not the end of the
/// stream, so the client can say which request it was.
fn serve(
    functions: &LocalFunctions,
    clock: &FixedClock,
    runtime: &tokio::runtime::Runtime,
) -> Result<ExitCode> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in stdin.lock().lines() {
        let line = line.context("reading a request on stdin")?;
        if line.trim().is_empty() {
            continue;
        }
        let response = match answer(functions, clock, runtime, &line) {
            Ok(response) => response,
            Err((id, e)) => json!({
                "id": id,
                "error": "Hushhub.InvalidRequest",
                "cause": format!("{e:#}"),
            }),
        };
        writeln!(out, "{response}")?;
        out.flush()?;
    }
    Ok(ExitCode::SUCCESS)
}

fn answer(
    functions: &LocalFunctions,
    clock: &FixedClock,
    runtime: &tokio::runtime::Runtime,
    line: &str,
) -> Result<Value, (Value, anyhow::Error)> {
    let request: Request = serde_json::from_str(line).map_err(|e| {
        let id = serde_json::from_str::<Value>(line)
            .ok()
            .and_then(|v| v.get("id").cloned())
            .unwrap_or(Value::Null);
        (id, anyhow::Error::new(e).context("not a request"))
    })?;
    let id = request.id;
    check_function(&request.function).map_err(|e| (id.clone(), e))?;
    if let Some(now) = &request.now {
        clock.set(parse_now(now).map_err(|e| (id.clone(), e))?);
    }
    Ok(
        match invoke_function(functions, runtime, &request.function, &request.input) {
            Ok(output) => json!({ "id": id, "output": output }),
            Err(failure) => json!({ "id": id, "error": failure.error, "cause": failure.cause }),
        },
    )
}
