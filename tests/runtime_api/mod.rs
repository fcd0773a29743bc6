//! Boots a function binary the way Lambda does: against a Lambda Runtime API of our own (a
//! small HTTP/1.1 server on a free loopback port), with the environment Lambda and the Terraform
//! module set. Each function crate's `tests/boot.rs` includes this file with `#[path]`, so that
//! `env!("CARGO_BIN_EXE_<name>")` names a binary cargo has just built.
//!
//! Waits are bounded only to turn a hang into a failure; no assertion depends on how long
//! anything takes.

// Each boot test uses part of this file.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// Only against a hang: a function that neither answers nor exits fails the test after this.
const HANG_GUARD: Duration = Duration::from_secs(180);
/// How often a wait looks whether the function has exited.
const POLL: Duration = Duration::from_millis(100);
const PREFIX: &str = "/2018-06-01/runtime";

/// What the function posted for one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `POST /runtime/invocation/{id}/response`.
    Response(Value),
    /// `POST /runtime/invocation/{id}/error`: the body is `{errorType, errorMessage}`.
    Error(Value),
}

impl Reply {
    /// The response, or a failure showing the error.
    pub fn response(self) -> Value {
        match self {
            Reply::Response(v) => v,
            Reply::Error(e) => panic!("expected a response, got the error {e}"),
        }
    }

    /// The error's `errorType` and `errorMessage`, or a failure showing the response.
    pub fn error(self) -> (String, String) {
        match self {
            Reply::Error(e) => (
                e["errorType"].as_str().unwrap_or_default().to_owned(),
                e["errorMessage"].as_str().unwrap_or_default().to_owned(),
            ),
            Reply::Response(v) => panic!("expected an error, got the response {v}"),
        }
    }
}

/// A body posted to `/runtime/init/error`, with its error-type header.
#[derive(Debug, Clone, PartialEq)]
pub struct InitError {
    pub error_type_header: Option<String>,
    pub body: Value,
}

#[derive(Default)]
struct State {
    queue: VecDeque<(String, String)>,
    replies: HashMap<String, Reply>,
    init_error: Option<InitError>,
    /// Every request line served, for failure messages.
    requests: Vec<String>,
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The Runtime API: `/invocation/next` hands out queued events, one per call, and holds the
/// call open while the queue is empty, as Lambda does between invocations.
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    next_id: AtomicU64,
}

impl RuntimeApi {
    pub fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("bound address");
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        let accept_shared = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_shared.lock().closed {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let shared = accept_shared.clone();
                std::thread::spawn(move || serve_connection(stream, &shared));
            }
        });
        RuntimeApi {
            addr,
            shared,
            next_id: AtomicU64::new(1),
        }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    fn enqueue(&self, event: &Value) -> String {
        let id = format!(
            "8476a536-e9f4-11e8-9739-{:012}",
            self.next_id.fetch_add(1, Ordering::Relaxed)
        );
        self.shared
            .lock()
            .queue
            .push_back((id.clone(), event.to_string()));
        self.shared.changed.notify_all();
        id
    }

    fn close(&self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_all();
        // Wakes the accept loop so that it sees `closed`.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve_connection(stream: TcpStream, shared: &Shared) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    // HTTP/1.1 keep-alive: the runtime sends all its calls over one or two connections.
    while let Some(request) = read_request(&mut reader) {
        let (status, headers, body) = route(shared, &request);
        let mut head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        if writer.write_all(head.as_bytes()).is_err()
            || writer.write_all(body.as_bytes()).is_err()
            || writer.flush().is_err()
        {
            return;
        }
    }
}

struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
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
        let (name, value) = header.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        read_chunked(reader)?
    } else {
        let length: usize = headers
            .get("content-length")
            .map_or(Some(0), |l| l.parse().ok())?;
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        body
    };
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

fn read_chunked(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).ok()?;
        let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

type Answer = (&'static str, Vec<(&'static str, String)>, String);

fn route(shared: &Shared, request: &Request) -> Answer {
    shared
        .lock()
        .requests
        .push(format!("{} {}", request.method, request.path));
    let accepted = || ("202 Accepted", Vec::new(), r#"{"status":"OK"}"#.to_owned());
    let body = || serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let path = request.path.strip_prefix(PREFIX).unwrap_or("");
    match (request.method.as_str(), path) {
        ("GET", "/invocation/next") => next_invocation(shared),
        ("POST", "/init/error") => {
            shared.lock().init_error = Some(InitError {
                error_type_header: request
                    .headers
                    .get("lambda-runtime-function-error-type")
                    .cloned(),
                body: body(),
            });
            shared.changed.notify_all();
            accepted()
        }
        ("POST", p) if p.starts_with("/invocation/") => {
            let rest = &p["/invocation/".len()..];
            let reply = match rest.rsplit_once('/') {
                Some((id, "response")) => Some((id, Reply::Response(body()))),
                Some((id, "error")) => Some((id, Reply::Error(body()))),
                _ => None,
            };
            match reply {
                Some((id, reply)) => {
                    shared.lock().replies.insert(id.to_owned(), reply);
                    shared.changed.notify_all();
                    accepted()
                }
                None => not_found(),
            }
        }
        _ => not_found(),
    }
}

fn not_found() -> Answer {
    (
        "404 Not Found",
        Vec::new(),
        r#"{"errorType":"NotFound","errorMessage":"unknown path"}"#.to_owned(),
    )
}

fn next_invocation(shared: &Shared) -> Answer {
    let mut state = shared.lock();
    loop {
        if let Some((id, event)) = state.queue.pop_front() {
            let deadline = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis())
                + 300_000;
            let headers = vec![
                ("lambda-runtime-aws-request-id", id),
                ("lambda-runtime-deadline-ms", deadline.to_string()),
                (
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:hushhub-boot-test".to_owned(),
                ),
                (
                    "lambda-runtime-trace-id",
                    "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
                        .to_owned(),
                ),
            ];
            return ("200 OK", headers, event);
        }
        if state.closed {
            return (
                "503 Service Unavailable",
                Vec::new(),
                r#"{"errorType":"ShuttingDown","errorMessage":"test over"}"#.to_owned(),
            );
        }
        state = shared
            .changed
            .wait(state)
            .unwrap_or_else(|p| p.into_inner());
    }
}

/// The environment a function gets: what Lambda sets, what the Terraform module sets, and AWS
/// pointed at the emulator when the test runs under `scripts/with-moto.sh` (else at a closed
/// loopback port, so that no test ever reaches real AWS).
pub fn lambda_env(function: &str, table: &str) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = [
        ("AWS_LAMBDA_FUNCTION_NAME", format!("hushhub-{function}")),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/11/30/[$LATEST]0123456789abcdef".to_owned(),
        ),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/hushhub-{function}"),
        ),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        (
            "AWS_ENDPOINT_URL",
            emulator().unwrap_or_else(unreachable_endpoint),
        ),
        ("HUSHHUB_TABLE_NAME", table.to_owned()),
        ("HUSHHUB_SENDER", "alerts@example.com".to_owned()),
        ("HUSHHUB_RECIPIENTS", "secops@example.com".to_owned()),
        ("HUSHHUB_BEDROCK_ENABLED", "false".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if let Ok(level) = std::env::var("RUST_LOG") {
        env.insert("RUST_LOG".into(), level);
    }
    env
}

/// A loopback address where nothing listens (a port just bound and released).
pub fn unreachable_endpoint() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_or(9, |a| a.port());
    format!("http://127.0.0.1:{port}")
}

/// The emulator's endpoint when the test runs under `scripts/with-moto.sh`.
pub fn emulator() -> Option<String> {
    std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// The emulator's endpoint, or a failure saying how to run the test.
pub fn require_emulator() -> String {
    emulator().unwrap_or_else(|| {
        panic!(
            "AWS_ENDPOINT_URL is not set: this test runs against the local AWS emulator. \
             Run it with `scripts/with-moto.sh cargo test -p <function> --test boot`."
        )
    })
}

/// `GET path` on the emulator's test-support endpoints (`/hushhub/ses/messages?to=...`). It
/// serves one request at a time and closes each connection, so plain HTTP/1.0 does.
pub fn emulator_get(path: &str) -> Value {
    let base = std::env::var("HUSHHUB_MOTO_URL")
        .ok()
        .or_else(emulator)
        .unwrap_or_else(require_emulator);
    let authority = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(authority).expect("connect to the emulator");
    stream
        .set_read_timeout(Some(HANG_GUARD))
        .expect("a read timeout");
    let request = format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    assert!(head.contains(" 200 "), "GET {path}: {head}");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

/// A name no other test (or earlier run against the same emulator) uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() % 1_000_000_000_000);
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs a future to completion (AWS setup from a plain `#[test]`).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

/// A real-shaped, active ASFF finding.
pub fn asff_finding(id: &str, severity: &str) -> Value {
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": id,
        "ProductArn": "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
        "ProductName": "Default",
        "GeneratorId": "hushhub-boot-test",
        "AwsAccountId": "123456789012",
        "Region": "us-east-1",
        "Types": ["Software and Configuration Checks/Vulnerabilities/CVE"],
        "CreatedAt": "2026-11-01T10:00:00.000Z",
        "UpdatedAt": "2026-11-30T10:00:00.000Z",
        "Severity": { "Label": severity },
        "Title": "S3 bucket allows public read",
        "Description": "The bucket policy grants s3:GetObject to everyone.",
        "Resources": [{
            "Type": "AwsS3Bucket",
            "Id": "arn:aws:s3:::hushhub-boot-test",
            "Partition": "aws",
            "Region": "us-east-1"
        }],
        "Workflow": { "Status": "NEW" },
        "RecordState": "ACTIVE"
    })
}

/// A function binary running against its own Runtime API. Dropping it kills the process, also
/// when the test fails.
pub struct Function {
    child: Child,
    api: RuntimeApi,
    output: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    exit: Option<ExitStatus>,
}

impl Function {
    /// Starts `binary` with exactly `env` (nothing inherited) plus `AWS_LAMBDA_RUNTIME_API`.
    pub fn start(binary: &str, env: BTreeMap<String, String>) -> Function {
        let api = RuntimeApi::start();
        let mut child = Command::new(binary)
            .env_clear()
            .envs(env)
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
        let output = Arc::new(Mutex::new(String::new()));
        let mut readers = Vec::new();
        if let Some(out) = child.stdout.take() {
            readers.push(collect(out, "stdout", output.clone()));
        }
        if let Some(err) = child.stderr.take() {
            readers.push(collect(err, "stderr", output.clone()));
        }
        Function {
            child,
            api,
            output,
            readers,
            exit: None,
        }
    }

    /// Hands the function one event and waits for what it posts back.
    pub fn invoke(&mut self, event: Value) -> Reply {
        let id = self.api.enqueue(&event);
        let started = Instant::now();
        loop {
            if let Some(reply) = self.api.shared.lock().replies.remove(&id) {
                return reply;
            }
            if let Some(status) = self.exited() {
                panic!(
                    "the function exited ({status}) before answering {event}\n{}",
                    self.logs()
                );
            }
            if started.elapsed() > HANG_GUARD {
                panic!("no answer to {event} (hang guard)\n{}", self.logs());
            }
            let state = self.api.shared.lock();
            drop(
                self.api
                    .shared
                    .changed
                    .wait_timeout(state, POLL)
                    .unwrap_or_else(|p| p.into_inner()),
            );
        }
    }

    /// Waits for the process to exit, and returns how, with what it posted to `/init/error`.
    pub fn wait_for_exit(&mut self) -> (ExitStatus, Option<InitError>) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.exited() {
                for reader in self.readers.drain(..) {
                    let _ = reader.join();
                }
                return (status, self.api.shared.lock().init_error.clone());
            }
            if started.elapsed() > HANG_GUARD {
                panic!("the function did not exit (hang guard)\n{}", self.logs());
            }
            std::thread::sleep(POLL);
        }
    }

    /// Everything the function wrote so far (stdout and stderr, line by line), and the Runtime
    /// API calls it made.
    pub fn logs(&self) -> String {
        let output = self
            .output
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let requests = self.api.shared.lock().requests.join("\n  ");
        format!("--- function output:\n{output}--- runtime API calls:\n  {requests}")
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            self.exit = self.child.try_wait().ok().flatten();
        }
        self.exit
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        self.api.close();
    }
}

fn collect(
    stream: impl Read + Send + 'static,
    name: &'static str,
    into: Arc<Mutex<String>>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            let mut all = into.lock().unwrap_or_else(|p| p.into_inner());
            all.push_str(&format!("[{name}] {line}\n"));
        }
    })
}
