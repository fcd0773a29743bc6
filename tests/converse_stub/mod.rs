//! A Bedrock Converse stub on a free loopback port, for the tests of the Bedrock summariser
//! (`crates/aws/tests/bedrock.rs`, the emulator's pipeline tests) and of `hushhub check-model`
//! (`crates/cli/tests/check_model.rs`), which include this file with `#[path]`.
//!
//! It answers `POST /model/{id}/converse` as Bedrock does, speaking structured output: when the
//! request forces a tool (`toolConfig.toolChoice.tool`) and the scripted answer is a JSON
//! object, the reply is a `toolUse` block with that object as its input; otherwise a `text`
//! block. It records every request, so tests count the model calls where they are made.
//! Plain threads, no runtime: usable from async tests and from tests that run a binary.

// Each test binary uses part of this file.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// What the stub answers to every request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The model's output: through the forced tool when the request has one and this is a JSON
    /// object, else as text.
    Text(String),
    /// Always a text block, even when a tool was forced (a model that ignores it).
    TextOnly(String),
    /// An error: HTTP status, `x-amzn-ErrorType` and the message.
    Error {
        status: u16,
        error_type: &'static str,
        message: String,
    },
    /// [`Answer::Text`], sent only after `delay`.
    Slow { delay: Duration, text: String },
}

impl Answer {
    /// An error whose message only names its type.
    pub fn error(status: u16, error_type: &'static str) -> Answer {
        Answer::Error {
            status,
            error_type,
            message: format!("stub says {error_type}"),
        }
    }
}

/// One request the stub received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub body: String,
}

impl Received {
    /// The body as JSON (`Null` if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// A running stub; it lives as long as the test process.
pub struct ConverseStub {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl ConverseStub {
    pub fn start(answer: Answer) -> ConverseStub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        std::thread::spawn(move || {
            for socket in listener.incoming().flatten() {
                let (answer, log) = (answer.clone(), Arc::clone(&log));
                std::thread::spawn(move || serve(socket, &answer, &log));
            }
        });
        ConverseStub { url, received }
    }

    /// Every request so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// How many Converse calls reached the stub.
    pub fn calls(&self) -> usize {
        self.received().len()
    }
}

/// Answers one HTTP/1.1 request and closes the connection.
fn serve(socket: TcpStream, answer: &Answer, log: &Mutex<Vec<Received>>) {
    let Ok(read_half) = socket.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut content_length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 {
            return;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; content_length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let mut parts = request_line.split_whitespace();
    let received = Received {
        method: parts.next().unwrap_or_default().to_owned(),
        path: parts.next().unwrap_or_default().to_owned(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let forced_tool = received.json()["toolConfig"]["toolChoice"]["tool"]["name"]
        .as_str()
        .map(str::to_owned);
    log.lock().unwrap_or_else(|p| p.into_inner()).push(received);

    let (status, error_type, body) = match answer {
        Answer::Text(text) => (200, None, converse_reply(text, forced_tool.as_deref())),
        Answer::TextOnly(text) => (200, None, converse_reply(text, None)),
        Answer::Slow { delay, text } => {
            std::thread::sleep(*delay);
            (200, None, converse_reply(text, forced_tool.as_deref()))
        }
        Answer::Error {
            status,
            error_type,
            message,
        } => (
            *status,
            Some(*error_type),
            json!({ "message": message }).to_string(),
        ),
    };
    let mut response = format!(
        "HTTP/1.1 {status} Stub\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(error_type) = error_type {
        response.push_str(&format!("x-amzn-ErrorType: {error_type}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&body);
    let mut socket = socket;
    // The client may have given up (the slow mode): a failed write is expected then.
    let _ = socket.write_all(response.as_bytes());
    let _ = socket.shutdown(std::net::Shutdown::Both);
}

/// A Converse answer carrying `text`: as the input of a call to `tool` when one was forced and
/// the text is a JSON object, as a text block otherwise.
fn converse_reply(text: &str, tool: Option<&str>) -> String {
    let object = serde_json::from_str::<Value>(text)
        .ok()
        .filter(Value::is_object);
    let (content, stop_reason) = match (tool, object) {
        (Some(name), Some(input)) => (
            json!([{ "toolUse": { "toolUseId": "tooluse_stub", "name": name, "input": input } }]),
            "tool_use",
        ),
        _ => (json!([{ "text": text }]), "end_turn"),
    };
    json!({
        "output": { "message": { "role": "assistant", "content": content } },
        "stopReason": stop_reason,
        "usage": { "inputTokens": 1, "outputTokens": 1, "totalTokens": 2 },
        "metrics": { "latencyMs": 1 }
    })
    .to_string()
}
