//! hushhub's domain: findings, dedup decisions, score, summary and email, with no AWS types.
//!
//! Everything here is pure Rust so that the Lambdas, the local replay and the tests share every
//! line of the logic that decides whether a security engineer gets an email. Talking to the
//! outside world goes through the traits in [`ports`].

pub mod config;
pub mod email;
pub mod error_names;
pub mod finding;
pub mod json;
pub mod metrics;
pub mod ports;
pub mod resolved_notice;
pub mod routing;
pub mod score;
pub mod seen;
pub mod silence;
pub mod steps;
pub mod summary;
pub mod summary_cache;
pub mod timestamp;

pub use config::Config;
pub use finding::{Finding, FindingId, Severity};
pub use seen::{RenotifyPolicy, SeenRecord};
