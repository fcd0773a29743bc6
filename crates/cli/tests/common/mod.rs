//! What the replay tests share: `hushhub replay --fresh` in a folder of its own, with the
//! operator settings' environment variables removed so that only the test's options count.

// Compiled into each test binary that declares it, and each uses only part of it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The environment variables `hushhub replay` also reads its operator settings from.
const SETTINGS_FROM_ENV: [&str; 4] = [
    "HUSHHUB_SILENCES",
    "HUSHHUB_ROUTES",
    "HUSHHUB_OWNER_TAG_KEY",
    "HUSHHUB_RESOLVED_NOTICES",
];

/// A sample event of `examples/events/`.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../examples/events/{name}.json"))
}

/// One finished replay.
pub struct Replayed {
    pub output: Output,
    pub dir: PathBuf,
}

impl Replayed {
    /// Standard output, then standard error.
    pub fn text(&self) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&self.output.stdout),
            String::from_utf8_lossy(&self.output.stderr)
        )
    }

    /// The text of a replay that must have succeeded.
    pub fn ok(&self) -> String {
        let text = self.text();
        assert!(self.output.status.success(), "{text}");
        text
    }

    pub fn outbox(&self) -> PathBuf {
        self.dir.join("outbox")
    }
}

/// Runs `hushhub replay --fresh` with its state and outbox in a new folder `name`, then `args`
/// (options and events).
pub fn replay<S: AsRef<OsStr>>(name: &str, args: &[S]) -> Replayed {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_hushhub"));
    command
        .args(["replay", "--fresh", "--state"])
        .arg(dir.join("state.sqlite"))
        .arg("--outbox")
        .arg(dir.join("outbox"))
        .args(args);
    for variable in SETTINGS_FROM_ENV {
        command.env_remove(variable);
    }
    let output = command.output().expect("hushhub runs");
    Replayed { output, dir }
}
