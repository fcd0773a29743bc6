//! score-and-summarise: the deterministic priority score and a summary, from Claude when its
//! reply passes the schema and the fact check, else the deterministic fallback.
//!
//! The alert never waits on, or is lost to, the model: every failure becomes a fallback summary
//! that says why.
//!
//! The summary cache: a model-written summary is kept on the finding's record with the hash of
//! its inputs (the prompt and the model id). The record reaches this step inside the decision,
//! so a re-alert of an unchanged finding sends the cached summary again and asks the model
//! nothing, at no extra read. A fallback is never cached, and a failure to cache is only logged.

use hushhub_core::error_names::{self, LambdaError};
use hushhub_core::metrics::{self, Metric};
use hushhub_core::ports::{Summariser, SummaryCache};
use hushhub_core::score::score;
use hushhub_core::steps::{AssessInput, Assessment, StepDecision};
use hushhub_core::summary::{Summary, accept_reply, build_prompt, fallback};
use hushhub_core::summary_cache::{CachedSummary, SummaryInputsHash, reuse};

/// What score-and-summarise needs from the outside world.
pub struct Ports<M, C> {
    pub summariser: M,
    /// Where a model-written summary is kept for the finding's next alert.
    pub summary_cache: C,
    /// The model id named in the email when the model wrote the summary; part of the cached
    /// summary's inputs, so another model writes a new summary. Empty when no model is used:
    /// then no cached summary is sent either, and every summary is the fallback.
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

/// Scores the finding and writes its summary (or sends the cached one again).
pub async fn handle<M: Summariser, C: SummaryCache>(
    ports: &Ports<M, C>,
    input: AssessInput,
) -> Result<Assessment, AssessError> {
    if !input.decision.kind.alerts() {
        return Err(AssessError::NotAnAlert(input.decision.kind.to_string()));
    }
    let finding = &input.finding;
    let score = score(finding);
    let prompt = build_prompt(finding, &score);
    let cached = input
        .decision
        .record
        .as_ref()
        .and_then(|r| r.summary_cache.as_deref());
    // Hashed only when there is something to compare with or to cache: the offline replay, whose
    // summaries are all fallbacks, never pays for it.
    let mut inputs_hash = None;
    if cached.is_some() && !ports.model_id.is_empty() {
        let hash = SummaryInputsHash::of(&prompt, &ports.model_id);
        match reuse(cached, &hash, finding) {
            Ok(summary) => {
                tracing::info!(finding_id = %finding.id, "summary unchanged; sending the cached one, the model is not asked");
                return Ok(Assessment { score, summary });
            }
            Err(miss) => tracing::info!(finding_id = %finding.id, %miss, "asking the model"),
        }
        inputs_hash = Some(hash);
    }
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
    if !summary.is_ai()
        && let Some(record) = &input.decision.record
    {
        // Stamped with the alert's claim time: this function has no clock, and the claim was
        // made moments ago.
        metrics::record(
            Metric::SummaryFallback,
            Some(finding.severity),
            Some(&finding.account_id),
            record.last_alerted_at,
        );
    }
    if summary.is_ai() {
        let hash = inputs_hash.unwrap_or_else(|| SummaryInputsHash::of(&prompt, &ports.model_id));
        remember(&ports.summary_cache, &input.decision, &summary, hash).await;
    }
    Ok(Assessment { score, summary })
}

/// Caches a model-written summary on the record this alert claimed. Best effort: the alert goes
/// out whether or not this works, and the next alert then asks the model again.
async fn remember<C: SummaryCache>(
    cache: &C,
    decision: &StepDecision,
    summary: &Summary,
    inputs_hash: SummaryInputsHash,
) {
    let Some(cached) = CachedSummary::of(summary, inputs_hash) else {
        return;
    };
    let Some(claim) = &decision.claim else {
        tracing::warn!("the decision holds no claim; the summary is not cached");
        return;
    };
    match cache.remember_summary(claim, &cached).await {
        Ok(true) => tracing::info!(finding_id = %claim.finding_id, "summary cached"),
        Ok(false) => {
            tracing::info!(finding_id = %claim.finding_id, "the record moved on since the claim; summary not cached")
        }
        Err(error) => {
            tracing::warn!(finding_id = %claim.finding_id, %error, "summary not cached; the alert goes on")
        }
    }
}
