//! The offline `Summariser`, the stateless `SummaryCache` and the JSON-lines `ImageRegistry` of
//! the local mode.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hushhub_core::ports::{
    Clock, ImageRegistry, RegistryError, StoreError, Summariser, SummariserError, SummaryCache,
    TaggedImage,
};
use hushhub_core::seen::Claim;
use hushhub_core::summary::Prompt;
use hushhub_core::summary_cache::CachedSummary;
use serde::Deserialize;

/// Never calls a model: every summary is the deterministic fallback, which says so.
#[derive(Debug, Default, Clone, Copy)]
pub struct OfflineSummariser;

impl Summariser for OfflineSummariser {
    async fn complete(&self, _prompt: &Prompt) -> Result<String, SummariserError> {
        Err(SummariserError::Offline(
            "offline replay (use --summariser bedrock for Claude)".into(),
        ))
    }
}

/// Keeps no summary: for runs without state (`hushhub preview`), where there is no record to
/// keep it on and every summary is written afresh.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSummaryCache;

impl SummaryCache for NoSummaryCache {
    async fn remember_summary(
        &self,
        _claim: &Claim,
        _cached: &CachedSummary,
    ) -> Result<bool, StoreError> {
        Ok(false)
    }
}

/// One line of the images file.
#[derive(Debug, Clone, Deserialize)]
pub struct ImageEntry {
    pub repository: String,
    pub digest: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub pushed_at: DateTime<Utc>,
}

/// Repositories' images read from a JSON-lines file; "latest" is as of the clock, so a replay
/// sees the registry as it was at each event's time.
pub struct JsonlImageRegistry {
    images: Vec<ImageEntry>,
    clock: Arc<dyn Clock>,
}

/// The images file is unreadable.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: {problem}")]
pub struct ImagesFileError {
    pub path: String,
    pub line: usize,
    pub problem: String,
}

impl JsonlImageRegistry {
    /// A registry with no repositories: every lookup is an error ("not in the images file"),
    /// which check-seen treats as uncertainty and alerts on, so without a file no ECR finding
    /// is ignored as stale.
    pub fn empty(clock: Arc<dyn Clock>) -> Self {
        Self {
            images: Vec::new(),
            clock,
        }
    }

    /// Reads `{"repository","digest","tags":[..],"pushed_at"}` lines.
    pub fn load(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, ImagesFileError> {
        let text = std::fs::read_to_string(path).map_err(|e| ImagesFileError {
            path: path.display().to_string(),
            line: 0,
            problem: e.to_string(),
        })?;
        let mut images = Vec::new();
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            images.push(serde_json::from_str(line).map_err(|e| ImagesFileError {
                path: path.display().to_string(),
                line: i + 1,
                problem: e.to_string(),
            })?);
        }
        Ok(Self { images, clock })
    }
}

impl ImageRegistry for JsonlImageRegistry {
    async fn latest_tagged(
        &self,
        _registry_id: Option<&str>,
        repository: &str,
    ) -> Result<Option<TaggedImage>, RegistryError> {
        let known = self.images.iter().any(|i| i.repository == repository);
        if !known {
            // An unknown repository is uncertainty, not evidence of staleness: the caller alerts.
            return Err(RegistryError(format!(
                "repository {repository} is not in the images file"
            )));
        }
        let now = self.clock.now();
        Ok(self
            .images
            .iter()
            .filter(|i| i.repository == repository && !i.tags.is_empty() && i.pushed_at <= now)
            .max_by_key(|i| i.pushed_at)
            .map(|i| TaggedImage {
                digest: i.digest.clone(),
                tags: i.tags.clone(),
                pushed_at: i.pushed_at,
            }))
    }
}
