//! score-and-summarise: the deterministic priority score and a summary, from Claude when its
//! reply passes the schema and the fact check, else the deterministic fallback.
//!
//! The alert never waits on, or is lost to, the model: every failure becomes a fallback summary
//! that says why.

use hushhub_core::error_names::{self, LambdaError};
use hushhub_core::ports::Summariser;
use hushhub_core::score::score;
use hushhub_core::steps::{AssessInput, Assessment};
use hushhub_core::summary::{accept_reply, build_prompt, fallback};

/// What score-and-summarise needs from the outside world.
pub struct Ports<M> {
    pub summariser: M,
    /// The model id named in the email when the model wrote the summary.
    pub model_id: String,
}

/// Why score-and-summarise failed: only a contract mismatch can, since the model cannot.
#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    #[error("decision {0:?} is not an alert; nothing to score")]
    NotAnAlert(String),
}

impl LambdaError for AssessError {
    fn error_name(&self) -> &'static str {
        error_names::INVALID_INPUT
    }
}

/// Scores the finding and writes its summary.
pub async fn handle<M: Summariser>(
    ports: &Ports<M>,
    input: AssessInput,
) -> Result<Assessment, AssessError> {
    if !input.decision.kind.alerts() {
        return Err(AssessError::NotAnAlert(input.decision.kind.to_string()));
    }
    let finding = &input.finding;
    let score = score(finding);
    let prompt = build_prompt(finding, &score);
    let summary = match ports.summariser.complete(&prompt).await {
        Ok(reply) => match accept_reply(&reply, finding, &ports.model_id) {
            Ok(summary) => summary,
            Err(rejection) => {
                tracing::warn!(finding_id = %finding.id, %rejection, "model reply rejected; using the fallback");
                fallback(finding, &score, rejection.to_string())
            }
        },
        Err(e) => fallback(finding, &score, e.to_string()),
    };
    Ok(Assessment { score, summary })
}
