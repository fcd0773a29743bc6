//! What every adapter test needs: the emulator's address (or a clear failure without it), clients
//! signed with the test's own access key (so the emulator's request counts and faults can be
//! scoped to one test on a shared server), unique names, and the emulator's `/hushhub/*`
//! test-support endpoints.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};
use chrono::{DateTime, Utc};
use hushhub_aws::clients::AwsClients;
use hushhub_aws::counting::RequestCounter;
use hushhub_aws::dynamodb::{DynamoSeenStore, create_table};
use hushhub_core::finding::{AccountId, FindingId, Severity};
use hushhub_core::seen::SeenRecord;
use serde_json::{Value, json};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
pub const PRODUCT_ARN: &str =
    "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default";

/// The emulator's endpoint; a test run without it fails here, saying how to run it.
pub fn endpoint() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "AWS_ENDPOINT_URL is not set: these tests run against the local AWS emulator. \
             Run them with `scripts/with-moto.sh cargo test -p hushhub-aws`."
        ),
    }
}

/// Where the `/hushhub/*` endpoints are (the same server).
fn harness_base() -> String {
    std::env::var("HUSHHUB_MOTO_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(endpoint)
}

/// A name no other test (or earlier run against the same server) uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() % 1_000_000_000_000);
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// One test's view of AWS: clients built exactly as the Lambdas build them
/// (`AwsClients::from_env`), signed with the test's own access key, and counted.
pub struct TestAws {
    pub clients: AwsClients,
    pub counter: RequestCounter,
    pub access_key: String,
}

impl TestAws {
    pub async fn new(test: &str) -> TestAws {
        endpoint();
        let access_key = unique(&format!("AK{}", test.replace('_', "")))
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>();
        let lambda_like = AwsClients::from_env().await;
        let config = lambda_like
            .sdk_config()
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                &access_key,
                "test",
                None,
                None,
                "hushhub-tests",
            )))
            .build();
        let counter = RequestCounter::new();
        TestAws {
            clients: AwsClients::from_sdk_config(config).with_interceptor(counter.clone()),
            counter,
            access_key,
        }
    }

    /// A fresh table (TTL on `expires_at`) and a store on it; the setup requests are not
    /// counted.
    pub async fn store(&self) -> DynamoSeenStore {
        let table = unique("seen");
        create_table(&self.clients.dynamodb(), &table)
            .await
            .expect("create table");
        self.counter.reset();
        DynamoSeenStore::new(self.clients.dynamodb(), table)
    }

    /// The emulator's own count of this test's requests.
    pub fn emulator_counts(&self) -> BTreeMap<String, u64> {
        let (status, body) = http(
            "GET",
            &format!("/hushhub/requests?access_key={}", self.access_key),
            None,
        );
        assert_eq!(status, 200, "{body}");
        serde_json::from_value(body).expect("counts")
    }

    /// Fails the next `times` requests of `service:operation` signed by this test.
    pub fn arm_fault(&self, service: &str, operation: &str, error: &str, status: u16, times: u32) {
        self.arm(service, operation, error, status, times, "before");
    }

    /// As [`TestAws::arm_fault`], but each faulted request is applied first: its answer, not
    /// its effect, is what fails (a write that landed, its response lost on the way back).
    pub fn arm_fault_after(
        &self,
        service: &str,
        operation: &str,
        error: &str,
        status: u16,
        times: u32,
    ) {
        self.arm(service, operation, error, status, times, "after");
    }

    fn arm(
        &self,
        service: &str,
        operation: &str,
        error: &str,
        status: u16,
        times: u32,
        when: &str,
    ) {
        let (code, body) = http(
            "POST",
            "/hushhub/faults",
            Some(&json!([{
                "service": service,
                "operation": operation,
                "error": error,
                "status": status,
                "times": times,
                "message": format!("injected {error} for a hushhub-aws test"),
                "access_key": self.access_key,
                "when": when,
            }])),
        );
        assert_eq!(code, 200, "arming a fault: {body}");
    }
}

/// Runs a test body on its own thread with a 16 MiB stack and a current-thread runtime.
///
/// Why: in debug builds the Security Hub SDK's `GetFindings` deserializer needs about 1.5 MB of
/// stack for one finding (`de_resource` alone takes ~1 MB: `ResourceDetails` has hundreds of
/// fields), and test threads have 2 MiB. Release builds need far less.
pub fn on_big_stack<F>(test: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let thread = std::thread::Builder::new()
        .name("big-stack-test".into())
        .stack_size(16 << 20)
        .spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(test);
        })
        .expect("spawn test thread");
    if let Err(panic) = thread.join() {
        std::panic::resume_unwind(panic);
    }
}

/// A minimal HTTP/1.0 client for the emulator's test-support endpoints (it serves one request
/// at a time and closes each connection), so the tests need no HTTP client crate.
pub fn http(method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let base = harness_base();
    let authority = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect(&authority).expect("connect to the emulator");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read");
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (
        status,
        serde_json::from_str(body).unwrap_or(Value::String(body.to_owned())),
    )
}

/// Whole milliseconds, as the store keeps them.
pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("test time")
        .with_timezone(&Utc)
}

/// A record as `claim_new` writes it for a first sighting at `now` (whole seconds, so that
/// `expires_at` also reads back equal).
pub fn first_sighting(id: &str, severity: Severity, now: DateTime<Utc>) -> SeenRecord {
    SeenRecord {
        finding_id: FindingId::new(id).expect("id"),
        product_arn: PRODUCT_ARN.into(),
        account_id: AccountId::new(ACCOUNT).expect("account"),
        region: REGION.into(),
        title: format!("Test finding {id}"),
        severity,
        first_seen_at: now,
        last_seen_at: now,
        last_alerted_at: now,
        alert_count: 1,
        expires_at: hushhub_core::seen::expires_at(now),
        summary_cache: None,
        claim_token: None,
        finding_format: hushhub_core::finding::FindingFormat::Asff,
    }
}

/// A real-shaped ASFF finding (the subset Security Hub requires, plus statuses).
pub fn asff(
    id: &str,
    severity: &str,
    workflow: Option<&str>,
    record_state: &str,
    compliance: Option<&str>,
) -> Value {
    let mut finding = json!({
        "SchemaVersion": "2018-10-08",
        "Id": id,
        "ProductArn": PRODUCT_ARN,
        "ProductName": "Default",
        "CompanyName": "Personal",
        "Region": REGION,
        "GeneratorId": "hushhub-tests/generator",
        "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks/Vulnerabilities/CVE"],
        "CreatedAt": "2026-11-01T10:00:00.000Z",
        "UpdatedAt": "2026-11-01T10:00:00.000Z",
        "Severity": {"Label": severity},
        "Title": format!("Test finding {id}"),
        "Description": "A finding made up for the adapter tests.",
        "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::hushhub-test-bucket", "Region": REGION}],
        "RecordState": record_state,
    });
    if let Some(status) = workflow {
        finding["Workflow"] = json!({"Status": status});
    }
    if let Some(status) = compliance {
        finding["Compliance"] = json!({"Status": status});
    }
    finding
}
