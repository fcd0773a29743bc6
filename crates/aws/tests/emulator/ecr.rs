//! `EcrImageRegistry` against the emulator.
//!
//! Where the emulator differs from AWS: `imagePushedAt` is the server's clock in whole seconds
//! and cannot be set, so the pushes below are 1.1 s apart to get distinct push times (AWS keeps
//! sub-second push times); image digests come from the layer digests, so every test image has
//! its own layers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration as StdDuration;

use chrono::Duration;
use hushhub_aws::ecr::{CACHE_TTL_SECONDS, EcrImageRegistry};
use hushhub_core::ports::{Clock, FixedClock, ImageRegistry};
use serde_json::json;

use crate::common::{ACCOUNT, TestAws, at, unique};

async fn repository(aws: &TestAws) -> String {
    let name = unique("hushhub-test").to_lowercase();
    aws.clients
        .ecr()
        .create_repository()
        .repository_name(&name)
        .send()
        .await
        .expect("CreateRepository");
    name
}

/// Pushes an image with its own layer; returns its digest.
async fn push(aws: &TestAws, repository: &str, tag: Option<&str>) -> String {
    static LAYER: AtomicU64 = AtomicU64::new(1);
    let layer = format!(
        "sha256:{:032x}{:032x}",
        std::process::id(),
        u128::from(LAYER.fetch_add(1, Ordering::Relaxed))
            + (std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
                << 16)
    );
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1000,
            "digest": layer,
        },
        "layers": [{
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "size": 1000,
            "digest": layer,
        }],
    });
    let out = aws
        .clients
        .ecr()
        .put_image()
        .repository_name(repository)
        .image_manifest(manifest.to_string())
        .set_image_tag(tag.map(str::to_owned))
        .send()
        .await
        .expect("PutImage");
    out.image()
        .and_then(|i| i.image_id())
        .and_then(|i| i.image_digest())
        .expect("digest")
        .to_owned()
}

/// Distinct `imagePushedAt` on the emulator, which keeps whole seconds.
async fn next_second() {
    tokio::time::sleep(StdDuration::from_millis(1100)).await;
}

#[tokio::test]
async fn ecr_latest_tagged_image_is_the_newest_tagged_push() {
    let aws = TestAws::new("ecr_latest").await;
    let repo = repository(&aws).await;
    let _v1 = push(&aws, &repo, Some("v1")).await;
    next_second().await;
    let v2 = push(&aws, &repo, Some("v2")).await;
    next_second().await;
    let _untagged_newer = push(&aws, &repo, None).await;
    aws.counter.reset();

    let clock = Arc::new(FixedClock::new(at("2026-11-30T10:00:00Z")));
    let registry = EcrImageRegistry::new(aws.clients.ecr(), clock.clone());
    let latest = registry
        .latest_tagged(None, &repo)
        .await
        .expect("lookup")
        .expect("a tagged image");
    assert_eq!(
        latest.digest, v2,
        "the newest push with a tag, not the untagged one"
    );
    assert_eq!(latest.tags, vec!["v2".to_owned()]);
    assert_eq!(aws.counter.get("ecr:DescribeImages"), 1);

    // A push within the cache's lifetime is not seen yet: a burst of findings costs one call.
    next_second().await;
    let v3 = push(&aws, &repo, Some("v3")).await;
    aws.counter.reset();
    let cached = registry
        .latest_tagged(Some(ACCOUNT), &repo)
        .await
        .expect("lookup");
    let again = registry.latest_tagged(None, &repo).await.expect("lookup");
    assert_eq!(again.map(|i| i.digest), Some(v2));
    assert_eq!(
        aws.counter.get("ecr:DescribeImages"),
        1,
        "explicit registry id is its own cache entry; the default one was cached"
    );
    assert_eq!(cached.map(|i| i.digest), Some(v3.clone()));

    clock.set(clock.now() + Duration::seconds(CACHE_TTL_SECONDS));
    let fresh = registry.latest_tagged(None, &repo).await.expect("lookup");
    assert_eq!(
        fresh.map(|i| i.digest),
        Some(v3),
        "seen once the cache expired"
    );
    assert_eq!(aws.counter.get("ecr:DescribeImages"), 2);
}

#[tokio::test]
async fn ecr_repository_without_tagged_images_has_none_and_a_missing_one_is_an_error() {
    let aws = TestAws::new("ecr_none").await;
    let clock = Arc::new(FixedClock::new(at("2026-11-30T10:00:00Z")));
    let registry = EcrImageRegistry::new(aws.clients.ecr(), clock);

    let empty = repository(&aws).await;
    assert_eq!(registry.latest_tagged(None, &empty).await, Ok(None));

    let untagged_only = repository(&aws).await;
    push(&aws, &untagged_only, None).await;
    assert_eq!(registry.latest_tagged(None, &untagged_only).await, Ok(None));

    // It may exist in the finding's own region (cross-region aggregation): not "no image".
    let missing = unique("no-such-repository").to_lowercase();
    let err = registry.latest_tagged(None, &missing).await.err();
    assert!(
        matches!(&err, Some(e) if e.0.contains("RepositoryNotFoundException")),
        "{err:?}"
    );
}
