//! The AWS adapters against the local AWS emulator (`tools/moto`): run with
//! `scripts/with-moto.sh cargo test -p hushhub-aws`. Without `AWS_ENDPOINT_URL` every test fails
//! and says so; none is skipped silently.
//!
//! One test binary (the SDK makes each one slow to link); each test has its own table,
//! repository, finding ids, recipients and access key, so they run in parallel on one server.

mod alert_path;
mod common;
mod concurrency;
#[path = "../../../../tests/converse_stub/mod.rs"]
mod converse_stub;
mod dynamodb;
mod ecr;
mod faults;
mod path_costs;
mod pipeline;
mod securityhub;
mod ses;
mod summary_cache;
