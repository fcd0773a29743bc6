//! Reads events from files (one JSON event, or JSON lines), folders of such files, or stdin.
//!
//! JSON lines are read one line at a time: a replay of a million deliveries would otherwise hold
//! every event's text in memory before running the first.

use std::collections::VecDeque;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};

/// One event's text and where it came from.
pub struct EventText {
    pub origin: Origin,
    pub text: String,
}

/// `file:line` of an event (just `file` for a file holding one event). Kept apart and only
/// formatted when shown: most events are never reported by where they came from.
#[derive(Clone)]
pub struct Origin {
    file: Arc<str>,
    line: Option<usize>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.file),
            None => f.write_str(&self.file),
        }
    }
}

/// Expands the arguments into files (folders: their `.json`/`.jsonl` files, sorted by name),
/// then splits each file into events, all of them read before returning.
pub fn read_events(args: &[PathBuf]) -> Result<Vec<EventText>> {
    Events::open(args)?.collect()
}

enum Source {
    Stdin,
    File(PathBuf),
}

/// What is being read now.
enum Current {
    /// JSON lines, read as they are needed. `line` is the number of the last line read.
    Lines {
        file: Arc<str>,
        reader: Box<dyn BufRead>,
        line: usize,
    },
    /// The events of a whole file, already split.
    Split(std::vec::IntoIter<EventText>),
}

/// The events of the arguments, in order: files in the order given, a folder's files sorted by
/// name, lines in file order. Nothing is reordered.
pub struct Events {
    sources: VecDeque<Source>,
    current: Option<Current>,
    buf: Vec<u8>,
    /// Bytes of input read so far, and of all the named files (`None` when stdin is one).
    pub bytes_read: u64,
    pub bytes_total: Option<u64>,
}

impl Events {
    /// Lists the files to read. Folders are listed and every file is checked now, so a missing
    /// file is reported before any event runs.
    pub fn open(args: &[PathBuf]) -> Result<Self> {
        let mut sources = VecDeque::new();
        let mut total = Some(0_u64);
        for arg in args {
            if arg.as_os_str() == "-" {
                sources.push_back(Source::Stdin);
                total = None;
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
                    let size = file_size(&file)?;
                    total = total.map(|t| t + size);
                    sources.push_back(Source::File(file));
                }
            } else {
                let size = file_size(arg)?;
                total = total.map(|t| t + size);
                sources.push_back(Source::File(arg.clone()));
            }
        }
        Ok(Self {
            sources,
            current: None,
            buf: Vec::new(),
            bytes_read: 0,
            bytes_total: total,
        })
    }

    fn start(&mut self, source: Source) -> Result<Current> {
        Ok(match source {
            Source::Stdin => Current::Lines {
                file: Arc::from("stdin"),
                reader: Box::new(BufReader::new(std::io::stdin())),
                line: 0,
            },
            Source::File(path) => {
                let file: Arc<str> = Arc::from(path.display().to_string());
                let lines = path
                    .extension()
                    .is_some_and(|x| x == "jsonl" || x == "ndjson");
                let opened = std::fs::File::open(&path)
                    .with_context(|| format!("reading {}", path.display()))?;
                if lines {
                    Current::Lines {
                        file,
                        reader: Box::new(BufReader::with_capacity(1 << 16, opened)),
                        line: 0,
                    }
                } else {
                    let mut text = String::new();
                    BufReader::new(opened)
                        .read_to_string(&mut text)
                        .with_context(|| format!("reading {}", path.display()))?;
                    self.bytes_read += text.len() as u64;
                    Current::Split(split_json_file(&file, text).into_iter())
                }
            }
        })
    }

    /// The next non-blank line of a JSON lines source, or `None` at its end.
    fn next_line(
        buf: &mut Vec<u8>,
        bytes_read: &mut u64,
        file: &Arc<str>,
        reader: &mut dyn BufRead,
        line: &mut usize,
    ) -> Result<Option<EventText>> {
        loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', buf)
                .with_context(|| format!("reading {file}"))?;
            if n == 0 {
                return Ok(None);
            }
            *bytes_read += n as u64;
            *line += 1;
            // What `str::lines` strips: "\n", or "\r\n"; a lone "\r" stays.
            let mut end = buf.len();
            if buf[..end].ends_with(b"\n") {
                end -= 1;
                if buf[..end].ends_with(b"\r") {
                    end -= 1;
                }
            }
            let text = std::str::from_utf8(&buf[..end])
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
                .with_context(|| format!("reading {file}"))?;
            if !text.trim().is_empty() {
                return Ok(Some(EventText {
                    origin: Origin {
                        file: file.clone(),
                        line: Some(*line),
                    },
                    text: text.to_owned(),
                }));
            }
        }
    }
}

impl Iterator for Events {
    type Item = Result<EventText>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let found = match &mut self.current {
                None => {
                    let source = self.sources.pop_front()?;
                    match self.start(source) {
                        Ok(current) => self.current = Some(current),
                        Err(e) => return Some(Err(e)),
                    }
                    continue;
                }
                Some(Current::Split(events)) => Ok(events.next()),
                Some(Current::Lines { file, reader, line }) => Self::next_line(
                    &mut self.buf,
                    &mut self.bytes_read,
                    file,
                    reader.as_mut(),
                    line,
                ),
            };
            match found {
                Ok(Some(event)) => return Some(Ok(event)),
                Ok(None) => self.current = None,
                Err(e) => {
                    self.current = None;
                    return Some(Err(e));
                }
            }
        }
    }
}

fn file_size(path: &Path) -> Result<u64> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .with_context(|| format!("reading {}", path.display()))
}

/// A `.json` file is one event, pretty-printed or not; if it holds several values on their own
/// lines it is JSON lines after all. A file that is simply broken stays one (rejected) event.
fn split_json_file(file: &Arc<str>, text: String) -> Vec<EventText> {
    let several_values = matches!(serde_json::from_str::<serde_json::Value>(&text), Err(e) if e.to_string().contains("trailing characters"))
        && text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok());
    if !several_values {
        return vec![EventText {
            origin: Origin {
                file: file.clone(),
                line: None,
            },
            text,
        }];
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| EventText {
            origin: Origin {
                file: file.clone(),
                line: Some(i + 1),
            },
            text: line.to_owned(),
        })
        .collect()
}
