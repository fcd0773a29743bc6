//! The folder `Mailer`: each email becomes `NNNNN-<priority>-<finding>.eml` (both parts, as a
//! mail client would receive it) plus `.html` and `.txt` beside it, for reading and diffing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hushhub_core::email::{Email, to_mime};
use hushhub_core::ports::{Clock, Mailer, SendError, SentEmail};

/// Writes emails into a folder instead of sending them.
pub struct FolderMailer {
    dir: PathBuf,
    clock: Arc<dyn Clock>,
    sequence: AtomicU64,
}

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
        })
    }

    /// The folder written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
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
        let write = |ext: &str, body: &str| {
            std::fs::write(self.dir.join(format!("{stem}.{ext}")), body)
                .map_err(|e| SendError::Transient(format!("cannot write {stem}.{ext}: {e}")))
        };
        // The .eml goes last: its presence means the whole email was written.
        write("html", &email.html)?;
        write("txt", &email.text)?;
        write("eml", &to_mime(email, self.clock.now()))?;
        Ok(SentEmail { message_id: stem })
    }
}
