//! Cold start of the five Lambda binaries: the time from starting the process to the first
//! answered invocation, through the Runtime API the boot tests use (`tests/runtime_api`), with
//! AWS pointed at a fake endpoint on loopback that answers the two calls a first invocation
//! makes (SES `SendEmail` for render-html-email, DynamoDB `Scan` for daily-reaper); the other
//! three answer their first invocation without any AWS call.
//!
//! `scripts/bench-cold-start.sh` builds the binaries in release and runs this:
//!
//! ```sh
//! cargo run -p hushhub-tests --example cold_start -- [--runs 20] target/release
//! ```
//!
//! Prints one line per function: median, fastest and slowest of the runs, in milliseconds.
//! Exits 1 when a function answers with an error (the figure would mean nothing).

#[path = "../runtime_api/mod.rs"]
mod runtime_api;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use hushhub_core::finding::Finding;
use hushhub_core::score::score;
use hushhub_core::seen::{ClaimToken, SeenRecord};
use hushhub_core::steps::{
    AgeCheckInput, AssessInput, Assessment, DecisionKind, RenderInput, StepDecision,
};
use hushhub_core::summary::fallback;
use runtime_api::{Function, Reply, asff_finding, lambda_env};
use serde_json::{Value, json};

const FUNCTIONS: [&str; 5] = [
    "check-seen",
    "age-check",
    "score-and-summarise",
    "render-html-email",
    "daily-reaper",
];

fn main() -> ExitCode {
    let mut runs = 20_usize;
    let mut dir = PathBuf::from("target/release");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) if n > 0 => runs = n,
                _ => return usage("--runs takes a positive whole number"),
            },
            "-h" | "--help" => return usage(""),
            other => dir = PathBuf::from(other),
        }
    }
    let aws = FakeAws::start();
    println!(
        "{:<22} {:>10} {:>10} {:>10}   first invocation ({runs} runs)",
        "function", "median ms", "min ms", "max ms"
    );
    let mut failed = false;
    for name in FUNCTIONS {
        let binary = dir.join(name);
        if !binary.is_file() {
            eprintln!(
                "cold_start: {} is missing; build it first",
                binary.display()
            );
            return ExitCode::FAILURE;
        }
        match measure(&binary, name, &aws.url, runs) {
            Ok(mut samples) => {
                samples.sort_by(f64::total_cmp);
                let median = if samples.len() % 2 == 1 {
                    samples[samples.len() / 2]
                } else {
                    (samples[samples.len() / 2 - 1] + samples[samples.len() / 2]) / 2.0
                };
                println!(
                    "{name:<22} {median:>10.1} {:>10.1} {:>10.1}   {}",
                    samples.first().copied().unwrap_or_default(),
                    samples.last().copied().unwrap_or_default(),
                    first_event_says(name),
                );
            }
            Err(error) => {
                eprintln!("cold_start: {name}: {error}");
                failed = true;
            }
        }
    }
    let unexpected = aws.unexpected();
    if !unexpected.is_empty() {
        eprintln!("cold_start: unexpected AWS calls: {unexpected:?}");
        failed = true;
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn usage(problem: &str) -> ExitCode {
    if !problem.is_empty() {
        eprintln!("cold_start: {problem}");
    }
    eprintln!("usage: cold_start [--runs N] [BINARY_DIR (default target/release)]");
    ExitCode::from(2)
}

fn first_event_says(name: &str) -> &'static str {
    match name {
        "check-seen" => "an INFORMATIONAL finding: ignored, no AWS call",
        "age-check" => "a duplicate inside its window: suppressed, no AWS call",
        "score-and-summarise" => "a new alert, Bedrock off: the fallback summary, no AWS call",
        "render-html-email" => "a new alert: rendered and sent (SES SendEmail, faked)",
        _ => "the schedule's event: one Scan of an empty table (faked)",
    }
}

/// Starts `binary` `runs` times, each time with its first event queued, and times each from
/// the start to the answer, in milliseconds.
fn measure(binary: &Path, name: &str, endpoint: &str, runs: usize) -> Result<Vec<f64>, String> {
    let program = binary.to_string_lossy().into_owned();
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let mut env = lambda_env(name, "hushhub-cold-start");
        env.insert("AWS_ENDPOINT_URL".into(), endpoint.to_owned());
        // What Lambda logs is not what is measured; keep the pipes quiet.
        env.insert("RUST_LOG".into(), "warn".into());
        let event = first_event(name)?;
        let started = Instant::now();
        let mut function = Function::start(&program, env);
        let reply = function.invoke(event);
        let elapsed = started.elapsed();
        if let Reply::Error(error) = reply {
            return Err(format!(
                "answered with an error: {error}\n{}",
                function.logs()
            ));
        }
        samples.push(elapsed.as_secs_f64() * 1000.0);
    }
    Ok(samples)
}

/// The first event of each function: one that takes its ordinary path.
fn first_event(name: &str) -> Result<Value, String> {
    let to_json = |v: Result<Value, serde_json::Error>| v.map_err(|e| e.to_string());
    let now = Utc::now();
    let raw = asff_finding("cold-start/finding", "HIGH");
    let finding = Finding::from_asff(&raw, "detail.findings[0]").map_err(|e| e.to_string())?;
    let record = SeenRecord::first_sighting(&finding, now - chrono::Duration::hours(1));
    let mut new = StepDecision::new(
        "cold-start",
        &finding,
        DecisionKind::New,
        "first time seen".into(),
        Some(record.clone()),
    );
    new.claim = Some(record.claim(None));
    match name {
        "check-seen" => Ok(json!({
            "action": "check_seen",
            "event_id": "cold-start",
            "execution_id": "arn:aws:states:local:000000000000:execution:hushhub:cold-start",
            "index": 0,
            "finding": asff_finding("cold-start/informational", "INFORMATIONAL"),
        })),
        "age-check" => to_json(serde_json::to_value(AgeCheckInput {
            event_id: "cold-start".into(),
            claim_token: ClaimToken::for_delivery("cold-start", 0),
            finding: (&finding).into(),
            record,
            silenced: None,
            escalate_now: false,
        })),
        "score-and-summarise" => to_json(serde_json::to_value(AssessInput {
            event_id: "cold-start".into(),
            finding,
            decision: new,
        })),
        "render-html-email" => {
            let score = score(&finding);
            let summary = fallback(&finding, &score, "Bedrock is off");
            to_json(serde_json::to_value(RenderInput {
                event_id: "cold-start".into(),
                finding,
                decision: new,
                assessment: Assessment { score, summary },
            }))
        }
        _ => Ok(json!({
            "version": "0",
            "id": "cold-start",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "time": now.to_rfc3339(),
            "resources": [],
            "detail": {},
        })),
    }
}

/// An AWS endpoint on loopback that answers SES v2 `SendEmail` and DynamoDB `Scan` (an empty
/// table), and records anything else it is asked.
struct FakeAws {
    url: String,
    unexpected: Arc<Mutex<Vec<String>>>,
}

impl FakeAws {
    fn start() -> FakeAws {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!(
            "http://{}",
            listener.local_addr().expect("the bound address")
        );
        let unexpected = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&unexpected);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                std::thread::spawn(move || serve(stream, &log));
            }
        });
        FakeAws { url, unexpected }
    }

    fn unexpected(&self) -> Vec<String> {
        self.unexpected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Serves one keep-alive connection.
fn serve(stream: TcpStream, unexpected: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    while let Some((line, headers)) = read_request(&mut reader) {
        let target = headers.get("x-amz-target").map(String::as_str);
        let (status, content_type, body) = if line.contains("/v2/email/outbound-emails") {
            (
                "200 OK",
                "application/json",
                r#"{"MessageId":"cold-start-0001"}"#,
            )
        } else if target == Some("DynamoDB_20120810.Scan") {
            (
                "200 OK",
                "application/x-amz-json-1.0",
                r#"{"Count":0,"Items":[],"ScannedCount":0}"#,
            )
        } else {
            unexpected
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(format!("{line} {target:?}"));
            (
                "400 Bad Request",
                "application/x-amz-json-1.0",
                r#"{"__type":"UnknownOperationException","message":"not faked"}"#,
            )
        };
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
             x-amzn-requestid: cold-start\r\n\r\n{body}",
            body.len()
        );
        if writer.write_all(response.as_bytes()).is_err() || writer.flush().is_err() {
            return;
        }
    }
}

/// The request line and headers of one request; its body is read and dropped.
fn read_request(reader: &mut impl BufRead) -> Option<(String, HashMap<String, String>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((line.trim_end().to_owned(), headers))
}
