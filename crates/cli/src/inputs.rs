//! Reads events from files (one JSON event, or JSON lines), folders of such files, or stdin.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// One event's text and where it came from (`file:line`).
pub struct EventText {
    pub origin: String,
    pub text: String,
}

/// Expands the arguments into files (folders: their `.json`/`.jsonl` files, sorted by name),
/// then splits each file into events.
pub fn read_events(args: &[PathBuf]) -> Result<Vec<EventText>> {
    let mut events = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading events from stdin")?;
            split_lines("stdin", &text, &mut events);
        } else if arg.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(arg)
                .with_context(|| format!("reading folder {}", arg.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && p.extension()
                            .is_some_and(|x| x == "json" || x == "jsonl" || x == "ndjson")
                })
                .collect();
            files.sort();
            for file in files {
                read_file(&file, &mut events)?;
            }
        } else {
            read_file(arg, &mut events)?;
        }
    }
    Ok(events)
}

fn read_file(path: &Path, events: &mut Vec<EventText>) -> Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let origin = path.display().to_string();
    let lines = path
        .extension()
        .is_some_and(|x| x == "jsonl" || x == "ndjson");
    // A .json file is one event, pretty-printed or not; if it holds several values on their own
    // lines it is JSON lines after all. A file that is simply broken stays one (rejected) event.
    let several_values = !lines
        && matches!(serde_json::from_str::<serde_json::Value>(&text), Err(e) if e.to_string().contains("trailing characters"))
        && text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok());
    if lines || several_values {
        split_lines(&origin, &text, events);
    } else {
        events.push(EventText { origin, text });
    }
    Ok(())
}

fn split_lines(origin: &str, text: &str, events: &mut Vec<EventText>) {
    for (i, line) in text.lines().enumerate() {
        if !line.trim().is_empty() {
            events.push(EventText {
                origin: format!("{origin}:{}", i + 1),
                text: line.to_owned(),
            });
        }
    }
}
