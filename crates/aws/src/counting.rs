//! An SDK interceptor that counts the requests each adapter sends, per `service:Operation`, so
//! tests and benches can assert exact costs ("a duplicate inside its window costs one DynamoDB
//! request, a read").
//!
//! It counts HTTP attempts, not calls: a call the SDK retries counts once per attempt, as AWS
//! bills it. Keys use the lower-case service name of the SDK crates and of the emulator's
//! `/hushhub/requests` endpoint (`dynamodb:GetItem`, `sesv2:SendEmail`), so the two can be
//! compared directly.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Requests sent, per `service:Operation`. Clones share one count, so keep one and give a clone
/// to [`crate::clients::AwsClients::with_interceptor`].
#[derive(Debug, Clone, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl RequestCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, u64>> {
        // A panic elsewhere while counting leaves a usable map: counts are plain integers.
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every count so far, e.g. `{"dynamodb:GetItem": 1}`.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.lock().clone()
    }

    /// The count of one `service:Operation` key.
    pub fn get(&self, key: &str) -> u64 {
        self.lock().get(key).copied().unwrap_or(0)
    }

    /// Requests to one service (`dynamodb`), all operations together.
    pub fn service_total(&self, service: &str) -> u64 {
        self.lock()
            .iter()
            .filter(|(key, _)| key.split(':').next() == Some(service))
            .map(|(_, n)| n)
            .sum()
    }

    /// All requests counted.
    pub fn total(&self) -> u64 {
        self.lock().values().sum()
    }

    /// The counts so far, and zero from now on.
    pub fn take(&self) -> BTreeMap<String, u64> {
        std::mem::take(&mut *self.lock())
    }

    /// Back to zero.
    pub fn reset(&self) {
        self.lock().clear();
    }

    fn record(&self, service: &str, operation: &str) {
        let key = format!("{}:{operation}", service.to_ascii_lowercase());
        *self.lock().entry(key).or_default() += 1;
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "hushhub::RequestCounter"
    }

    // Just before transmit runs once per attempt, after signing: exactly the requests that
    // leave the process.
    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match cfg.load::<Metadata>() {
            Some(metadata) => self.record(metadata.service(), metadata.name()),
            None => self.record("unknown", "unknown"),
        }
        Ok(())
    }
}
