//! The summary cache: the model-written summary kept on a finding's record with a hash of what
//! it was made from, so that a re-alert of an unchanged finding sends the same summary again
//! without asking the model.
//!
//! Pure: the hash and the reuse decision are computed here; the stores only keep the two values
//! ([`crate::ports::SummaryCache`]), and the record carries them to score-and-summarise, so no
//! extra read is needed.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::finding::Finding;
use crate::summary::{Prompt, ReplyRejection, Summary, check_model_summary};

/// Versions the hashed serialisation: changing how the inputs are laid out must change every
/// hash, so that no summary is reused across the change.
const HASH_LAYOUT: &str = "hushhub.summary-inputs.v1";

/// A summary's inputs, hashed: SHA-256 (lowercase hex) over the model id and the whole prompt
/// (system prompt, the finding's facts, output cap and reply schema).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SummaryInputsHash(String);

impl SummaryInputsHash {
    /// Hashes what a summary is made from. Each part is length-prefixed, so no two different
    /// inputs serialise alike; the reply schema is built by code, so its JSON is the same on
    /// every run.
    pub fn of(prompt: &Prompt, model_id: &str) -> Self {
        let (schema_name, schema) = match &prompt.reply_schema {
            Some(s) => (s.name, s.json_schema.to_string()),
            None => ("", String::new()),
        };
        let max_output_tokens = prompt.max_output_tokens.to_string();
        let mut hasher = Sha256::new();
        for part in [
            HASH_LAYOUT,
            model_id,
            &prompt.system,
            &prompt.user,
            &max_output_tokens,
            schema_name,
            &schema,
        ] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        Self(hex::encode(hasher.finalize()))
    }

    /// Reads a stored hash: 64 lowercase hex digits.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() == 64
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(text.to_owned()))
        } else {
            Err(format!("{text:?} is not a SHA-256 in lowercase hex"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SummaryInputsHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for SummaryInputsHash {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

impl From<SummaryInputsHash> for String {
    fn from(hash: SummaryInputsHash) -> String {
        hash.0
    }
}

/// A model-written summary and the hash of the inputs it was made from, as a record keeps it.
///
/// Size: every field of a summary is capped ([`crate::summary::caps`]: 2,120 characters in
/// all), so the stored JSON stays far below DynamoDB's 400 KB item limit and the 256 KB state
/// payload (a test holds it under [`CachedSummary::MAX_STORED_BYTES`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedSummary {
    pub inputs_hash: SummaryInputsHash,
    pub summary: Summary,
}

impl CachedSummary {
    /// The most a stored summary (its JSON) can take, whatever characters it holds.
    pub const MAX_STORED_BYTES: usize = 16 * 1024;

    /// What to cache of a summary: only one the model wrote (a fallback is never cached, so a
    /// later alert asks the model again).
    pub fn of(summary: &Summary, inputs_hash: SummaryInputsHash) -> Option<Self> {
        summary.is_ai().then(|| Self {
            inputs_hash,
            summary: summary.clone(),
        })
    }

    /// The summary as stores keep it: JSON.
    pub fn summary_json(&self) -> String {
        // A `Summary` is strings and a tagged enum: serialising it cannot fail.
        serde_json::to_string(&self.summary).unwrap_or_default()
    }

    /// Reads the two stored values back; anything unreadable is an error the store reports as
    /// "no cached summary" rather than fail the record (the model is then simply asked again).
    pub fn from_stored(inputs_hash: &str, summary_json: &str) -> Result<Self, String> {
        let inputs_hash = SummaryInputsHash::parse(inputs_hash)?;
        let summary: Summary = serde_json::from_str(summary_json)
            .map_err(|e| format!("the stored summary is not readable: {e}"))?;
        Self::of(&summary, inputs_hash).ok_or_else(|| "a fallback summary was stored".to_owned())
    }
}

/// Why a cached summary is not sent again; the model is asked instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheMiss {
    #[error("no summary is cached")]
    NothingCached,
    #[error("the summary's inputs changed since it was written")]
    InputsChanged,
    #[error("the cached summary no longer passes the checks: {0}")]
    FailsChecks(ReplyRejection),
}

/// The cached summary to send again: only when it was made from exactly these inputs (same
/// prompt, same model) and still passes the schema and fact check against the finding as it is
/// now.
pub fn reuse(
    cached: Option<&CachedSummary>,
    inputs_hash: &SummaryInputsHash,
    finding: &Finding,
) -> Result<Summary, CacheMiss> {
    let cached = cached.ok_or(CacheMiss::NothingCached)?;
    if &cached.inputs_hash != inputs_hash {
        return Err(CacheMiss::InputsChanged);
    }
    check_model_summary(&cached.summary, finding).map_err(CacheMiss::FailsChecks)?;
    Ok(cached.summary.clone())
}
