//! `hushhub`: run the pipeline locally (replay), and the tools around a deployment.

mod check_model;
mod cost;
mod inputs;
mod invoke;
mod preview;
mod replay;
mod smoke_test;

use clap::{Parser, Subcommand};

/// The replay allocates and frees a JSON tree per state of every finding: mimalloc makes that
/// about a third cheaper than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// hushhub: one well-written email per Security Hub finding, another only when it is overdue.
#[derive(Debug, Parser)]
#[command(name = "hushhub", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replays "Security Hub Findings - Imported" events through the real state machine
    /// definition, with an embedded store and emails written to a folder.
    Replay(replay::ReplayArgs),
    /// Renders the email each finding of an event would get as a new alert, with no state, into
    /// a folder (`.eml`, `.html`, `.txt`); the clock is each finding's `UpdatedAt`.
    Preview(preview::PreviewArgs),
    /// Right after `terraform apply`: runs one finding marked as a test through the deployed
    /// state machine, prints the path it took and whether the email went out, and deletes its
    /// record.
    SmokeTest(smoke_test::SmokeTestArgs),
    /// Before turning Bedrock on: asks the configured model one tiny question with this
    /// machine's AWS configuration and says whether this account and Region can use it, and if
    /// not, what to change (exit 0 usable, 1 not).
    CheckModel(check_model::CheckModelArgs),
    /// Runs one function's handler on a JSON payload from stdin, on the local runner's ports
    /// (or, with `--serve`, answers JSON-line requests): lets another runner of the definition
    /// answer its Task states with the same code.
    Invoke(invoke::InvokeArgs),
    /// What a month of findings costs on AWS per service, EXPRESS against STANDARD, from the
    /// measured requests and state transitions of each path and the list prices.
    Cost(cost::CostArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay(args) => replay::run(args),
        Command::Preview(args) => preview::run(args),
        Command::SmokeTest(args) => smoke_test::run(args),
        Command::CheckModel(args) => check_model::run(args),
        Command::Invoke(args) => invoke::run(args),
        Command::Cost(args) => cost::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hushhub: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
