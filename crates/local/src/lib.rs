//! hushhub's local mode: embedded adapters (SQLite store, folder mailer, offline summariser,
//! JSON-lines image registry) and the replay that runs the real state machine definition on them.

pub mod adapters;
pub mod mailer;
pub mod store;
mod typed;

pub use adapters::{JsonlImageRegistry, NoSummaryCache, OfflineSummariser};
pub use mailer::{FolderMailer, OutboxError};
pub use store::SqliteSeenStore;
pub mod replay;

pub use replay::{EventResult, FindingResult, Functions, LocalPipeline, PIPELINE_DEFINITION};
