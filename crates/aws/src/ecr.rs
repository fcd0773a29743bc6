//! The ECR `ImageRegistry`: the newest tagged image of a repository, so check-seen can ignore
//! findings on images that are no longer the one deployed from a tag.
//!
//! A burst of Inspector findings usually names many images of few repositories, so each answer
//! is kept for a few minutes per (registry, repository), per Lambda instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_ecr::Client;
use aws_sdk_ecr::operation::describe_images::DescribeImagesError;
use aws_sdk_ecr::types::{DescribeImagesFilter, ImageDetail, TagStatus};
use chrono::{DateTime, Duration, TimeZone, Utc};
use hushhub_core::ports::{Clock, ImageRegistry, RegistryError, TaggedImage};

use crate::clients::describe;

/// How long an answer is reused: long enough to absorb a burst of findings, short enough that
/// a push is seen within minutes.
pub const CACHE_TTL_SECONDS: i64 = 300;
/// Images per `DescribeImages` page (the API's maximum).
const PAGE_SIZE: i32 = 1000;

/// (registry id, repository).
type CacheKey = (Option<String>, String);
/// When it was asked, and the answer.
type CacheEntry = (DateTime<Utc>, Option<TaggedImage>);

/// ECR through `DescribeImages`, with a short per-repository cache.
pub struct EcrImageRegistry {
    client: Client,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    cache: Mutex<HashMap<CacheKey, CacheEntry>>,
}

impl std::fmt::Debug for EcrImageRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcrImageRegistry")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl EcrImageRegistry {
    /// Answers cached for [`CACHE_TTL_SECONDS`] by `clock`.
    pub fn new(client: Client, clock: Arc<dyn Clock>) -> Self {
        Self::with_cache_ttl(client, clock, Duration::seconds(CACHE_TTL_SECONDS))
    }

    /// With another cache lifetime (zero: no cache).
    pub fn with_cache_ttl(client: Client, clock: Arc<dyn Clock>, ttl: Duration) -> Self {
        Self {
            client,
            clock,
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, key: &CacheKey, now: DateTime<Utc>) -> Option<Option<TaggedImage>> {
        let cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (at, image) = cache.get(key)?;
        // A clock that went backwards (the replay's) also misses.
        (*at <= now && now - *at < self.ttl).then(|| image.clone())
    }

    fn remember(&self, key: CacheKey, now: DateTime<Utc>, image: Option<TaggedImage>) {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Expired answers go as new ones come, so a long-lived instance does not accumulate
        // every repository it was ever asked about.
        cache.retain(|_, (at, _)| *at <= now && now - *at < self.ttl);
        cache.insert(key, (now, image));
    }

    async fn fetch(
        &self,
        registry_id: Option<&str>,
        repository: &str,
    ) -> Result<Option<TaggedImage>, RegistryError> {
        let mut latest: Option<TaggedImage> = None;
        let mut next_token: Option<String> = None;
        loop {
            let out = self
                .client
                .describe_images()
                .set_registry_id(registry_id.map(str::to_owned))
                .repository_name(repository)
                .filter(
                    DescribeImagesFilter::builder()
                        .tag_status(TagStatus::Tagged)
                        .build(),
                )
                .max_results(PAGE_SIZE)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(|err| {
                    let why = match err.as_service_error() {
                        // Not "no tagged image": the port has no region, and with Security Hub's
                        // cross-region aggregation the repository may well exist in the
                        // finding's own region. Uncertainty must not silence a finding, so this
                        // is an error and check-seen alerts.
                        Some(DescribeImagesError::RepositoryNotFoundException(_)) => format!(
                            "repository {repository} not found in this region and registry \
                             (it may be in another region, or deleted): "
                        ),
                        _ => String::new(),
                    };
                    RegistryError(format!("{why}{}", describe("DescribeImages", &err)))
                })?;
            for image in out.image_details().iter().filter_map(tagged_image) {
                // Newest push wins; equal push times (ECR can return them) fall back to the
                // digest so the answer does not depend on page order.
                if latest
                    .as_ref()
                    .is_none_or(|l| (image.pushed_at, &image.digest) > (l.pushed_at, &l.digest))
                {
                    latest = Some(image);
                }
            }
            match out.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
                _ => return Ok(latest),
            }
        }
    }
}

/// An image with a digest, at least one tag and a push time; others cannot be "the latest
/// tagged image" and are skipped (the `TAGGED` filter already leaves out untagged ones).
fn tagged_image(detail: &ImageDetail) -> Option<TaggedImage> {
    if detail.image_tags().is_empty() {
        return None;
    }
    let pushed = detail.image_pushed_at()?;
    Some(TaggedImage {
        digest: detail.image_digest()?.to_owned(),
        tags: detail.image_tags().to_vec(),
        pushed_at: Utc
            .timestamp_opt(pushed.secs(), pushed.subsec_nanos())
            .single()?,
    })
}

impl ImageRegistry for EcrImageRegistry {
    /// `DescribeImages` with `filter.tagStatus=TAGGED`, all pages, `registryId` when given;
    /// the image with the greatest `imagePushedAt`. A repository that exists without tagged
    /// images is `Ok(None)`; a repository that cannot be found is an error (see `fetch`).
    async fn latest_tagged(
        &self,
        registry_id: Option<&str>,
        repository: &str,
    ) -> Result<Option<TaggedImage>, RegistryError> {
        let key = (registry_id.map(str::to_owned), repository.to_owned());
        let now = self.clock.now();
        if let Some(hit) = self.cached(&key, now) {
            return Ok(hit);
        }
        let latest = self.fetch(registry_id, repository).await?;
        self.remember(key, now, latest.clone());
        Ok(latest)
    }
}
