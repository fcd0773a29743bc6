//! The folder mailer, written directly or by its background writer: the same files either way,
//! and a write that fails is reported, never passed over.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use hushhub_core::email::Email;
use hushhub_core::ports::{Clock, FixedClock, Mailer, SendError};
use hushhub_local::FolderMailer;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hushhub-outbox-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn clock() -> Arc<dyn Clock> {
    let at = Utc.with_ymd_and_hms(2026, 11, 2, 9, 30, 0).single();
    Arc::new(FixedClock::new(at.unwrap_or_default()))
}

fn email(n: usize) -> Email {
    Email {
        from: "hushhub@example.com".to_owned(),
        to: vec!["secops@example.com".to_owned()],
        subject: format!("[P1] finding {n}"),
        html: format!("<p>finding {n} &amp; more</p>"),
        text: format!("finding {n}"),
        message_id: format!("alert-{n}@hushhub"),
        thread_root: format!("alert-{n}@hushhub"),
        extra_headers: vec![
            ("X-Hushhub-Priority".to_owned(), "P1".to_owned()),
            (
                "X-Hushhub-Finding-Id".to_owned(),
                format!("arn:finding/{n}"),
            ),
        ],
    }
}

/// Every file of the folder, by name, with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("outbox exists")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&path).expect("readable"))
        })
        .collect();
    files.sort();
    files
}

fn send_all(mailer: &FolderMailer, count: usize) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    (1..=count)
        .map(|n| {
            runtime
                .block_on(mailer.send(&email(n)))
                .expect("sent")
                .message_id
        })
        .collect()
}

#[test]
fn background_writer_leaves_the_same_files_as_writing_directly() {
    let (direct_dir, background_dir) = (temp_dir("direct"), temp_dir("background"));
    let direct = FolderMailer::new(&direct_dir, clock()).expect("outbox");
    let background = FolderMailer::in_background(&background_dir, clock()).expect("outbox");

    let direct_ids = send_all(&direct, 200);
    let background_ids = send_all(&background, 200);
    background.finish().expect("every email written");

    assert_eq!(direct_ids, background_ids);
    assert_eq!(direct_ids[0], "00001-p1-arn-finding-1");
    let (direct_files, background_files) = (files(&direct_dir), files(&background_dir));
    assert_eq!(direct_files.len(), 600, "an .eml, .html and .txt per email");
    assert_eq!(direct_files, background_files);
    let _ = std::fs::remove_dir_all(&direct_dir);
    let _ = std::fs::remove_dir_all(&background_dir);
}

#[test]
fn a_failed_background_write_is_reported_and_stops_later_sends() {
    let dir = temp_dir("failing");
    let mailer = FolderMailer::in_background(&dir, clock()).expect("outbox");
    // The folder disappears under the writer: its next write fails.
    std::fs::remove_dir_all(&dir).expect("removed");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");

    // The first send is queued before the writer finds out; a later one is refused.
    let mut refused = None;
    for n in 1..=10_000 {
        if let Err(e) = runtime.block_on(mailer.send(&email(n))) {
            refused = Some(e);
            break;
        }
    }
    let Some(SendError::Transient(message)) = refused else {
        panic!("a send after the failed write must fail, got {refused:?}");
    };
    assert!(message.contains("an earlier write failed"), "{message}");

    let error = mailer
        .finish()
        .expect_err("the failed write is reported")
        .to_string();
    assert!(
        error.contains("cannot write 00001-p1-arn-finding-1.html"),
        "names the file that failed: {error}"
    );
}

#[test]
fn finish_without_a_background_writer_has_nothing_to_wait_for() {
    let dir = temp_dir("plain");
    let mailer = FolderMailer::new(&dir, clock()).expect("outbox");
    send_all(&mailer, 1);
    mailer.finish().expect("nothing pending");
    assert_eq!(files(&dir).len(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}
