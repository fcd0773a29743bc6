//! The Lambda error type names that the state machine's `ErrorEquals` branch on.
//!
//! The definition (`statemachine/pipeline.asl.json`) and the handlers must agree on these
//! strings; a workspace test checks that every `Hushhub.*` name in the definition is one of them.

/// The finding (or the step input) is malformed; retrying cannot fix it. Caught as `rejected`.
pub const INVALID_FINDING: &str = "Hushhub.InvalidFinding";
/// A dependency throttled or was briefly unavailable; the definition retries with backoff.
pub const TRANSIENT: &str = "Hushhub.Transient";
/// The mail service refused the message for good (bad address, unverified sender).
pub const SEND_REJECTED: &str = "Hushhub.SendRejected";
/// The state store failed in a way retrying will not fix (missing table, corrupt record).
pub const STORE_FAILED: &str = "Hushhub.StoreFailed";
/// A step's input does not match the contract in `steps` (a definition/handler mismatch).
pub const INVALID_INPUT: &str = "Hushhub.InvalidInput";
/// The execution's own failure after a released claim: visible to the failed-executions alarm.
pub const SEND_FAILED: &str = "Hushhub.SendFailed";

/// Every name above, for the consistency test against the definition.
pub const ALL: [&str; 6] = [
    INVALID_FINDING,
    TRANSIENT,
    SEND_REJECTED,
    STORE_FAILED,
    INVALID_INPUT,
    SEND_FAILED,
];

/// An error that a Lambda handler returns: it knows the stable name the definition branches on.
pub trait LambdaError: std::error::Error {
    /// One of the constants of this module (or a `States.*` name the runtime itself uses).
    fn error_name(&self) -> &'static str;
}
