//! The folder `Mailer`: each email becomes `NNNNN-<priority>-<finding>.eml` (both parts, as a
//! mail client would receive it) plus `.html` and `.txt` beside it, for reading and diffing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use hushhub_core::email::{Email, to_mime};
use hushhub_core::ports::{Clock, Mailer, SendError, SentEmail};

/// Writes emails into a folder instead of sending them.
pub struct FolderMailer {
    dir: PathBuf,
    clock: Arc<dyn Clock>,
    sequence: AtomicU64,
    /// Set by [`FolderMailer::in_background`]: files are then written by a thread of their own.
    writer: Option<BackgroundWriter>,
}

/// Emails queued for the writer thread, at most this many at a time: enough to ride out a slow
/// file system for a moment, small enough that a failing one is noticed within a few emails.
const QUEUE_LENGTH: usize = 64;

/// One email, as its three files will hold it.
struct Job {
    stem: String,
    email: Email,
    sent_at: DateTime<Utc>,
}

struct BackgroundWriter {
    queue: Mutex<Option<SyncSender<Job>>>,
    thread: Mutex<Option<JoinHandle<Result<(), String>>>>,
}

/// The outbox's writer thread failed: the emails from the one it names on were not written.
#[derive(Debug, thiserror::Error)]
#[error("the outbox could not be written: {0}")]
pub struct OutboxError(String);

impl FolderMailer {
    /// Creates the folder if needed; numbering continues after the emails already in it.
    pub fn new(dir: &Path, clock: Arc<dyn Clock>) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let existing = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .count() as u64;
        Ok(Self {
            dir: dir.to_owned(),
            clock,
            sequence: AtomicU64::new(existing),
            writer: None,
        })
    }

    /// Like [`FolderMailer::new`], but a thread of its own encodes and writes the files, so a
    /// long replay does not wait on the file system for each email (creating three files costs
    /// more than deciding a finding). Emails are named and numbered when sent, as before; the
    /// files appear shortly after. Call [`FolderMailer::finish`] before reading the folder: it
    /// waits for the last file and reports a write that failed. After a failure, `send` fails
    /// too, so a replay stops alerting into an outbox it cannot write.
    pub fn in_background(dir: &Path, clock: Arc<dyn Clock>) -> std::io::Result<Self> {
        let mut mailer = Self::new(dir, clock)?;
        let (queue, jobs) = sync_channel(QUEUE_LENGTH);
        let folder = dir.to_owned();
        let thread = std::thread::Builder::new()
            .name("outbox-writer".to_owned())
            .spawn(move || write_all(&folder, &jobs))?;
        mailer.writer = Some(BackgroundWriter {
            queue: Mutex::new(Some(queue)),
            thread: Mutex::new(Some(thread)),
        });
        Ok(mailer)
    }

    /// The folder written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Waits until every email sent so far is in the folder. Without a background writer there
    /// is nothing to wait for.
    pub fn finish(&self) -> Result<(), OutboxError> {
        let Some(writer) = &self.writer else {
            return Ok(());
        };
        // Closing the queue lets the thread end once it has written what is queued.
        drop(
            writer
                .queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        let thread = writer
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match thread.map(JoinHandle::join) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(message))) => Err(OutboxError(message)),
            Some(Err(_)) => Err(OutboxError("the writer thread panicked".to_owned())),
        }
    }
}

impl Drop for FolderMailer {
    fn drop(&mut self) {
        if let Err(e) = self.finish() {
            eprintln!("{e}");
        }
    }
}

/// The writer thread: writes each queued email, and stops at the first that fails, so that the
/// next `send` fails and [`FolderMailer::finish`] reports it.
fn write_all(dir: &Path, jobs: &Receiver<Job>) -> Result<(), String> {
    for job in jobs {
        write_files(dir, &job.stem, &job.email, job.sent_at).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Writes one email's three files. The .eml goes last: its presence means the whole email was
/// written.
fn write_files(
    dir: &Path,
    stem: &str,
    email: &Email,
    sent_at: DateTime<Utc>,
) -> Result<(), SendError> {
    let write = |ext: &str, body: &str| {
        std::fs::write(dir.join(format!("{stem}.{ext}")), body)
            .map_err(|e| SendError::Transient(format!("cannot write {stem}.{ext}: {e}")))
    };
    write("html", &email.html)?;
    write("txt", &email.text)?;
    write("eml", &to_mime(email, sent_at))
}

/// A file-name-safe piece of a finding id or priority.
fn slug(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .rev()
        .take(max)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    out.trim_matches('-').to_owned()
}

impl Mailer for FolderMailer {
    async fn send(&self, email: &Email) -> Result<SentEmail, SendError> {
        let n = self.sequence.fetch_add(1, Ordering::SeqCst) + 1;
        let priority = email
            .extra_headers
            .iter()
            .find(|(k, _)| k == "X-Hushhub-Priority")
            .map_or("", |(_, v)| v.as_str());
        let finding = email
            .extra_headers
            .iter()
            .find(|(k, _)| k == "X-Hushhub-Finding-Id")
            .map_or("", |(_, v)| v.as_str());
        let stem = format!("{n:05}-{}-{}", slug(priority, 2), slug(finding, 40));
        let sent_at = self.clock.now();
        match &self.writer {
            None => write_files(&self.dir, &stem, email, sent_at)?,
            Some(writer) => {
                let job = Job {
                    stem: stem.clone(),
                    email: email.clone(),
                    sent_at,
                };
                let queue = writer.queue.lock().unwrap_or_else(PoisonError::into_inner);
                // The writer thread only stops early when a write failed.
                let queued = queue.as_ref().is_some_and(|q| q.send(job).is_ok());
                if !queued {
                    return Err(SendError::Transient(format!(
                        "the outbox {} stopped taking emails: an earlier write failed",
                        self.dir.display()
                    )));
                }
            }
        }
        Ok(SentEmail { message_id: stem })
    }
}
