//! The DynamoDB `SeenStore`: one item per finding, and every claim one conditional request, so
//! of any number of concurrent deliveries exactly one wins (DESIGN §3).
//!
//! Item layout (attribute names in [`attr`]): `pk` (String, the finding `Id`, hash key),
//! `product_arn`, `account_id`, `region`, `title`, `severity` (label at the last alert) as
//! Strings; `first_seen_at`, `last_seen_at`, `last_alerted_at` as ISO-8601 UTC Strings with
//! millisecond precision (`2026-11-30T08:15:00.123Z`: readable in the console, ordered as
//! text, and compared exactly by the conditions); `alert_count` as a Number; `expires_at` as a
//! Number of epoch seconds, because DynamoDB TTL only acts on that; `claim_token`, the
//! delivery that made the last claim (see [`attr::CLAIM_TOKEN`]); `finding_format` (`ocsf`) on
//! the records of OCSF findings only; and, once the model has written a
//! summary, the summary cache: `summary_inputs_hash` (String, SHA-256 hex) and `summary` (String,
//! the summary's JSON, at most a few KB: see [`CachedSummary::MAX_STORED_BYTES`]).
//!
//! Times keep millisecond precision (as the SQLite store does): a record read back has its
//! sub-millisecond part cut, and `expires_at` whole seconds.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TimeToLiveSpecification,
    TimeToLiveStatus,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use hushhub_core::finding::{AccountId, FindingFormat, FindingId, Severity};
use hushhub_core::ports::{
    ClaimOutcome, ReleaseOutcome, ScanPage, SeenStore, StoreError, SummaryCache,
};
use hushhub_core::seen::{Claim, ClaimToken, SeenRecord};
use hushhub_core::summary_cache::CachedSummary;

use crate::clients::{Fault, classify, describe};

/// The item's attribute names, in one place.
pub mod attr {
    /// Hash key: the finding's `Id`.
    pub const PK: &str = "pk";
    pub const PRODUCT_ARN: &str = "product_arn";
    pub const ACCOUNT_ID: &str = "account_id";
    pub const REGION: &str = "region";
    pub const TITLE: &str = "title";
    /// Severity label at the last alert.
    pub const SEVERITY: &str = "severity";
    pub const FIRST_SEEN_AT: &str = "first_seen_at";
    pub const LAST_SEEN_AT: &str = "last_seen_at";
    pub const LAST_ALERTED_AT: &str = "last_alerted_at";
    pub const ALERT_COUNT: &str = "alert_count";
    /// TTL attribute: Number, epoch seconds.
    pub const EXPIRES_AT: &str = "expires_at";
    /// The delivery that made the last claim (String: execution id and Map index), so a claim
    /// applied but whose answer was lost (the SDK retrying the request, or Step Functions
    /// retrying the Task) knows it holds the claim when its condition then fails on its own
    /// write. Without it, that retry reads as "another delivery won" and the alert is never sent.
    pub const CLAIM_TOKEN: &str = "claim_token";
    /// `ocsf` for a finding read from a "Findings Imported V2" event; absent for ASFF, so the
    /// items written before OCSF support read as what they are.
    pub const FINDING_FORMAT: &str = "finding_format";
    /// The summary cache: the hash of the cached summary's inputs (String, SHA-256 hex) ...
    pub const SUMMARY_INPUTS_HASH: &str = "summary_inputs_hash";
    /// ... and the summary itself (String, JSON). Both absent until the model writes one.
    pub const SUMMARY: &str = "summary";
}

/// Seen findings in a DynamoDB table (hash key `pk`, String).
#[derive(Debug, Clone)]
pub struct DynamoSeenStore {
    client: Client,
    table: String,
}

impl DynamoSeenStore {
    /// A store on `table`, which must exist (see [`create_table`] for tests and local use).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The SDK client (tests read the table directly with it).
    pub fn client(&self) -> &Client {
        &self.client
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The stored form of a time: fixed-width, so equal instants give equal strings.
fn time(t: DateTime<Utc>) -> AttributeValue {
    s(t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn epoch_seconds(t: DateTime<Utc>) -> AttributeValue {
    n(t.timestamp())
}

fn key(id: &FindingId) -> HashMap<String, AttributeValue> {
    HashMap::from([(attr::PK.to_owned(), s(id.as_str()))])
}

/// The whole item of a record.
pub fn item_from_record(r: &SeenRecord) -> HashMap<String, AttributeValue> {
    let mut item = HashMap::from([
        (attr::PK.to_owned(), s(r.finding_id.as_str())),
        (attr::PRODUCT_ARN.to_owned(), s(&r.product_arn)),
        (attr::ACCOUNT_ID.to_owned(), s(r.account_id.as_str())),
        (attr::REGION.to_owned(), s(&r.region)),
        (attr::TITLE.to_owned(), s(&r.title)),
        (attr::SEVERITY.to_owned(), s(r.severity.label())),
        (attr::FIRST_SEEN_AT.to_owned(), time(r.first_seen_at)),
        (attr::LAST_SEEN_AT.to_owned(), time(r.last_seen_at)),
        (attr::LAST_ALERTED_AT.to_owned(), time(r.last_alerted_at)),
        (attr::ALERT_COUNT.to_owned(), n(r.alert_count)),
        (attr::EXPIRES_AT.to_owned(), epoch_seconds(r.expires_at)),
    ]);
    if let Some(cached) = &r.summary_cache {
        item.insert(
            attr::SUMMARY_INPUTS_HASH.to_owned(),
            s(cached.inputs_hash.as_str()),
        );
        item.insert(attr::SUMMARY.to_owned(), s(cached.summary_json()));
    }
    if let Some(token) = &r.claim_token {
        item.insert(attr::CLAIM_TOKEN.to_owned(), s(token.as_str()));
    }
    if !r.finding_format.is_asff() {
        item.insert(
            attr::FINDING_FORMAT.to_owned(),
            s(r.finding_format.as_str()),
        );
    }
    item
}

/// The cached summary of an item, if it has a readable one. An unreadable one is logged and
/// counts as none (the model is asked again) rather than make the whole record unreadable,
/// which would stop the finding's dedup.
fn cached_summary_from_item(
    pk: &str,
    item: &HashMap<String, AttributeValue>,
) -> Option<CachedSummary> {
    let inputs_hash = item.get(attr::SUMMARY_INPUTS_HASH)?;
    let summary = item.get(attr::SUMMARY)?;
    let read = match (inputs_hash, summary) {
        (AttributeValue::S(hash), AttributeValue::S(summary)) => {
            CachedSummary::from_stored(hash, summary)
        }
        _ => Err("the summary attributes are not Strings".to_owned()),
    };
    read.map_err(|problem| {
        tracing::warn!(item = pk, %problem, "ignoring an unreadable cached summary");
    })
    .ok()
}

/// Reads an item back; anything missing or malformed is a `CorruptRecord` naming the item and
/// the attribute.
pub fn record_from_item(item: &HashMap<String, AttributeValue>) -> Result<SeenRecord, StoreError> {
    let pk = item
        .get(attr::PK)
        .and_then(|v| v.as_s().ok())
        .map_or("?", String::as_str);
    let corrupt = |name: &str, problem: String| {
        StoreError::CorruptRecord(format!("item {pk:?}: attribute `{name}`: {problem}"))
    };
    let string = |name: &str| -> Result<&str, StoreError> {
        match item.get(name) {
            None => Err(corrupt(name, "is missing".into())),
            Some(AttributeValue::S(v)) => Ok(v.as_str()),
            Some(_) => Err(corrupt(name, "is not a String".into())),
        }
    };
    let number = |name: &str| -> Result<&str, StoreError> {
        match item.get(name) {
            None => Err(corrupt(name, "is missing".into())),
            Some(AttributeValue::N(v)) => Ok(v.as_str()),
            Some(_) => Err(corrupt(name, "is not a Number".into())),
        }
    };
    let instant = |name: &str| -> Result<DateTime<Utc>, StoreError> {
        let text = string(name)?;
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| corrupt(name, format!("{text:?} is not an ISO-8601 time: {e}")))
    };
    let severity = string(attr::SEVERITY)?;
    let alert_count = number(attr::ALERT_COUNT)?;
    let expires_at = number(attr::EXPIRES_AT)?;
    Ok(SeenRecord {
        finding_id: FindingId::new(string(attr::PK)?).map_err(|e| corrupt(attr::PK, e))?,
        product_arn: string(attr::PRODUCT_ARN)?.to_owned(),
        account_id: AccountId::new(string(attr::ACCOUNT_ID)?)
            .map_err(|e| corrupt(attr::ACCOUNT_ID, e))?,
        region: string(attr::REGION)?.to_owned(),
        title: string(attr::TITLE)?.to_owned(),
        severity: Severity::from_label(severity)
            .ok_or_else(|| corrupt(attr::SEVERITY, format!("unknown label {severity:?}")))?,
        first_seen_at: instant(attr::FIRST_SEEN_AT)?,
        last_seen_at: instant(attr::LAST_SEEN_AT)?,
        last_alerted_at: instant(attr::LAST_ALERTED_AT)?,
        alert_count: alert_count
            .parse()
            .map_err(|_| corrupt(attr::ALERT_COUNT, format!("{alert_count:?} is not a count")))?,
        expires_at: expires_at
            .parse::<i64>()
            .ok()
            .and_then(|secs| Utc.timestamp_opt(secs, 0).single())
            .ok_or_else(|| {
                corrupt(
                    attr::EXPIRES_AT,
                    format!("{expires_at:?} is not whole epoch seconds"),
                )
            })?,
        summary_cache: cached_summary_from_item(pk, item).map(Box::new),
        claim_token: match item.get(attr::CLAIM_TOKEN) {
            None => None,
            Some(AttributeValue::S(token)) => Some(ClaimToken::from_stored(token.as_str())),
            Some(_) => return Err(corrupt(attr::CLAIM_TOKEN, "is not a String".into())),
        },
        finding_format: match item.get(attr::FINDING_FORMAT) {
            None => FindingFormat::Asff,
            Some(AttributeValue::S(word)) => FindingFormat::from_stored(word).ok_or_else(|| {
                corrupt(
                    attr::FINDING_FORMAT,
                    format!("{word:?} is not asff or ocsf"),
                )
            })?,
            Some(_) => return Err(corrupt(attr::FINDING_FORMAT, "is not a String".into())),
        },
    })
}

/// Throttling, timeouts, 5xx → `Transient`; the rest (missing table, validation, access
/// denied) → `Failed`.
fn store_error<E>(operation: &str, err: SdkError<E, HttpResponse>) -> StoreError
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
{
    let message = describe(operation, &err);
    match classify(&err) {
        Fault::Transient => StoreError::Transient(message),
        Fault::Permanent => StoreError::Failed(message),
    }
}

/// What a failed claim learns from the item returned with the failure.
fn lost_claim(
    item: Option<&HashMap<String, AttributeValue>>,
    claimed: &SeenRecord,
) -> Result<ClaimOutcome, StoreError> {
    let Some(item) = item.filter(|i| !i.is_empty()) else {
        return Ok(ClaimOutcome::Lost(None));
    };
    let current = record_from_item(item)?;
    match &claimed.claim_token {
        // An earlier attempt of this delivery was applied and its answer lost (the SDK or the
        // definition's Retry sent it again): we hold the claim it made.
        Some(token) if current.is_claimed_by(token) => Ok(ClaimOutcome::AlreadyHeld(current)),
        _ => Ok(ClaimOutcome::Lost(Some(current))),
    }
}

impl SeenStore for DynamoSeenStore {
    /// One `GetItem`, `ConsistentRead=true`.
    async fn get(&self, id: &FindingId) -> Result<Option<SeenRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("GetItem", e))?;
        match out.item() {
            Some(item) if !item.is_empty() => record_from_item(item).map(Some),
            _ => Ok(None),
        }
    }

    /// One `PutItem` with `attribute_not_exists(pk)`; the loser gets the winner's item from
    /// the same failed request (`ReturnValuesOnConditionCheckFailure=ALL_OLD`).
    async fn claim_new(&self, record: &SeenRecord) -> Result<ClaimOutcome, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item_from_record(record)))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", attr::PK)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(ClaimOutcome::Won),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(e)) => {
                    lost_claim(e.item(), record)
                }
                _ => Err(store_error("PutItem", err)),
            },
        }
    }

    /// One `UpdateItem` of the fields a re-alert changes, on condition that `last_alerted_at`
    /// is still the one read and `alert_count` is not already the new one: two claims made in
    /// the same millisecond would otherwise both pass the first test.
    async fn claim_realert(
        &self,
        expected_last_alerted_at: DateTime<Utc>,
        updated: &SeenRecord,
    ) -> Result<ClaimOutcome, StoreError> {
        // A re-alert without a token (never in the handlers) removes the last one, so no stale
        // token can pass for this claim.
        let token_update = match &updated.claim_token {
            Some(_) => ", #claim_token = :claim_token",
            None => " REMOVE #claim_token",
        };
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(&updated.finding_id)))
            .update_expression(format!(
                "SET #title = :title, #severity = :severity, #last_seen_at = :last_seen_at, \
                 #last_alerted_at = :last_alerted_at, #alert_count = :alert_count, \
                 #expires_at = :expires_at{token_update}"
            ))
            .condition_expression("#last_alerted_at = :expected AND #alert_count <> :alert_count")
            .expression_attribute_names("#title", attr::TITLE)
            .expression_attribute_names("#severity", attr::SEVERITY)
            .expression_attribute_names("#last_seen_at", attr::LAST_SEEN_AT)
            .expression_attribute_names("#last_alerted_at", attr::LAST_ALERTED_AT)
            .expression_attribute_names("#alert_count", attr::ALERT_COUNT)
            .expression_attribute_names("#expires_at", attr::EXPIRES_AT)
            .expression_attribute_names("#claim_token", attr::CLAIM_TOKEN)
            .expression_attribute_values(":title", s(&updated.title))
            .expression_attribute_values(":severity", s(updated.severity.label()))
            .expression_attribute_values(":last_seen_at", time(updated.last_seen_at))
            .expression_attribute_values(":last_alerted_at", time(updated.last_alerted_at))
            .expression_attribute_values(":alert_count", n(updated.alert_count))
            .expression_attribute_values(":expires_at", epoch_seconds(updated.expires_at))
            .expression_attribute_values(":expected", time(expected_last_alerted_at))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let request = match &updated.claim_token {
            Some(token) => request.expression_attribute_values(":claim_token", s(token.as_str())),
            None => request,
        };
        let result = request.send().await;
        match result {
            Ok(_) => Ok(ClaimOutcome::Won),
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(e)) => {
                    lost_claim(e.item(), updated)
                }
                _ => Err(store_error("UpdateItem", err)),
            },
        }
    }

    /// A new finding's claim: `DeleteItem`; a re-alert's: `UpdateItem` putting the previous
    /// alert back. Either only while `last_alerted_at` and the claim token still hold our claim.
    async fn release_claim(&self, claim: &Claim) -> Result<ReleaseOutcome, StoreError> {
        let (held_condition, token) = match &claim.token {
            Some(token) => (
                "#last_alerted_at = :claimed_at AND #claim_token = :claim_token",
                Some(s(token.as_str())),
            ),
            None => ("#last_alerted_at = :claimed_at", None),
        };
        let held = match &claim.previous {
            None => {
                let mut request = self
                    .client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(key(&claim.finding_id)))
                    .condition_expression(held_condition)
                    .expression_attribute_names("#last_alerted_at", attr::LAST_ALERTED_AT)
                    .expression_attribute_values(":claimed_at", time(claim.claimed_at));
                if let Some(token) = token {
                    request = request
                        .expression_attribute_names("#claim_token", attr::CLAIM_TOKEN)
                        .expression_attribute_values(":claim_token", token);
                }
                let result = request.send().await;
                match result {
                    Ok(_) => true,
                    Err(err) => match err.as_service_error() {
                        Some(DeleteItemError::ConditionalCheckFailedException(_)) => false,
                        _ => return Err(store_error("DeleteItem", err)),
                    },
                }
            }
            Some(previous) => {
                // The token goes with the claim it named: the restored alert's own is not known.
                let mut request = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key(&claim.finding_id)))
                    .update_expression(
                        "SET #last_alerted_at = :previous_alerted_at, #severity = :severity, \
                         #alert_count = :alert_count REMOVE #claim_token",
                    )
                    .condition_expression(held_condition)
                    .expression_attribute_names("#claim_token", attr::CLAIM_TOKEN)
                    .expression_attribute_names("#last_alerted_at", attr::LAST_ALERTED_AT)
                    .expression_attribute_names("#severity", attr::SEVERITY)
                    .expression_attribute_names("#alert_count", attr::ALERT_COUNT)
                    .expression_attribute_values(
                        ":previous_alerted_at",
                        time(previous.last_alerted_at),
                    )
                    .expression_attribute_values(":severity", s(previous.severity.label()))
                    .expression_attribute_values(":alert_count", n(previous.alert_count))
                    .expression_attribute_values(":claimed_at", time(claim.claimed_at));
                if let Some(token) = token {
                    request = request.expression_attribute_values(":claim_token", token);
                }
                let result = request.send().await;
                match result {
                    Ok(_) => true,
                    Err(err) => match err.as_service_error() {
                        Some(UpdateItemError::ConditionalCheckFailedException(_)) => false,
                        _ => return Err(store_error("UpdateItem", err)),
                    },
                }
            }
        };
        Ok(if held {
            ReleaseOutcome::Released
        } else {
            ReleaseOutcome::NoLongerHeld
        })
    }

    /// `UpdateItem` with `attribute_exists(pk)`, so a record deleted meanwhile is not
    /// re-created as a fragment; that failed condition is not an error.
    async fn refresh_last_seen(
        &self,
        id: &FindingId,
        last_seen_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .update_expression("SET #last_seen_at = :last_seen_at, #expires_at = :expires_at")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", attr::PK)
            .expression_attribute_names("#last_seen_at", attr::LAST_SEEN_AT)
            .expression_attribute_names("#expires_at", attr::EXPIRES_AT)
            .expression_attribute_values(":last_seen_at", time(last_seen_at))
            .expression_attribute_values(":expires_at", epoch_seconds(expires_at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(()),
                _ => Err(store_error("UpdateItem", err)),
            },
        }
    }

    /// `DeleteItem` with `ReturnValues=ALL_OLD`: whether there was a record, in one request.
    async fn forget(&self, id: &FindingId) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| store_error("DeleteItem", e))?;
        Ok(out.attributes().is_some_and(|a| !a.is_empty()))
    }

    /// `DeleteItem` on condition that `last_seen_at` is still the one read.
    async fn forget_if_unchanged(
        &self,
        id: &FindingId,
        last_seen_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .condition_expression("#last_seen_at = :read")
            .expression_attribute_names("#last_seen_at", attr::LAST_SEEN_AT)
            .expression_attribute_values(":read", time(last_seen_at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) => match err.as_service_error() {
                Some(DeleteItemError::ConditionalCheckFailedException(_)) => Ok(false),
                _ => Err(store_error("DeleteItem", err)),
            },
        }
    }

    /// One `Scan` page of at most `limit` items. The cursor is the `pk` of the page's
    /// `LastEvaluatedKey` (the table's only key attribute), passed back as `ExclusiveStartKey`.
    /// DynamoDB may end with an empty page that still carries a cursor; the next call then
    /// answers with no records and no cursor. An item that does not parse fails the page with
    /// `CorruptRecord` naming it: the reaper stops loudly rather than skip records silently.
    async fn scan_page(&self, cursor: Option<String>, limit: u32) -> Result<ScanPage, StoreError> {
        let limit = i32::try_from(limit.max(1)).unwrap_or(i32::MAX);
        let start = cursor.map(|pk| HashMap::from([(attr::PK.to_owned(), s(pk))]));
        let out = self
            .client
            .scan()
            .table_name(&self.table)
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| store_error("Scan", e))?;
        let records = out
            .items()
            .iter()
            .map(record_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        let next = match out.last_evaluated_key() {
            None => None,
            Some(last) => Some(
                last.get(attr::PK)
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .ok_or_else(|| {
                        StoreError::Failed(format!(
                            "Scan: LastEvaluatedKey has no String `{}`: is `{}` keyed by it?",
                            attr::PK,
                            self.table
                        ))
                    })?,
            ),
        };
        Ok(ScanPage { records, next })
    }
}

impl SummaryCache for DynamoSeenStore {
    /// One `UpdateItem` of the two summary attributes, on condition that `last_alerted_at` still
    /// holds the claim (which also fails on a deleted item: nothing is re-created).
    async fn remember_summary(
        &self,
        claim: &Claim,
        cached: &CachedSummary,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(&claim.finding_id)))
            .update_expression(
                "SET #summary_inputs_hash = :summary_inputs_hash, #summary = :summary",
            )
            .condition_expression("#last_alerted_at = :claimed_at")
            .expression_attribute_names("#summary_inputs_hash", attr::SUMMARY_INPUTS_HASH)
            .expression_attribute_names("#summary", attr::SUMMARY)
            .expression_attribute_names("#last_alerted_at", attr::LAST_ALERTED_AT)
            .expression_attribute_values(":summary_inputs_hash", s(cached.inputs_hash.as_str()))
            .expression_attribute_values(":summary", s(cached.summary_json()))
            .expression_attribute_values(":claimed_at", time(claim.claimed_at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(false),
                _ => Err(store_error("UpdateItem", err)),
            },
        }
    }
}

/// Test and operations support, not used by the Lambdas (Terraform creates the real table):
/// creates `name` as the pipeline expects it (hash key `pk` String, on-demand billing, TTL on
/// `expires_at`), waits until it is active, and is idempotent.
pub async fn create_table(client: &Client, name: &str) -> Result<(), StoreError> {
    let definition = AttributeDefinition::builder()
        .attribute_name(attr::PK)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| StoreError::Failed(format!("CreateTable: {e}")))?;
    let key_schema = KeySchemaElement::builder()
        .attribute_name(attr::PK)
        .key_type(KeyType::Hash)
        .build()
        .map_err(|e| StoreError::Failed(format!("CreateTable: {e}")))?;
    let created = client
        .create_table()
        .table_name(name)
        .attribute_definitions(definition)
        .key_schema(key_schema)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    // An existing table is fine: this is idempotent.
    if let Err(err) = created
        && !matches!(
            err.as_service_error(),
            Some(CreateTableError::ResourceInUseException(_))
        )
    {
        return Err(store_error("CreateTable", err));
    }
    client
        .wait_until_table_exists()
        .table_name(name)
        .wait(Duration::from_secs(120))
        .await
        .map_err(|e| {
            StoreError::Failed(format!(
                "waiting for table {name}: {}",
                DisplayErrorContext(e)
            ))
        })?;
    let ttl = client
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(|e| store_error("DescribeTimeToLive", e))?;
    let status = ttl
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status());
    if !matches!(
        status,
        Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
    ) {
        let spec = TimeToLiveSpecification::builder()
            .enabled(true)
            .attribute_name(attr::EXPIRES_AT)
            .build()
            .map_err(|e| StoreError::Failed(format!("UpdateTimeToLive: {e}")))?;
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(spec)
            .send()
            .await
            .map_err(|e| store_error("UpdateTimeToLive", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> SeenRecord {
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .expect("test time")
        };
        SeenRecord {
            finding_id: FindingId::new("arn:aws:securityhub:us-east-1:111122223333:finding/x")
                .expect("valid id"),
            product_arn: "arn:aws:securityhub:us-east-1::product/aws/securityhub".into(),
            account_id: AccountId::new("111122223333").expect("valid account"),
            region: "us-east-1".into(),
            title: "S3 bucket is public".into(),
            severity: Severity::High,
            first_seen_at: t("2026-11-01T10:00:00.123Z"),
            last_seen_at: t("2026-11-02T10:00:00.456Z"),
            last_alerted_at: t("2026-11-01T10:00:00.123Z"),
            alert_count: 2,
            expires_at: t("2027-01-31T10:00:00Z"),
            summary_cache: None,
            claim_token: Some(ClaimToken::for_delivery(
                "arn:aws:states:us-east-1:111122223333:express:hushhub:e1:x1",
                0,
            )),
            finding_format: FindingFormat::Asff,
        }
    }

    #[test]
    fn item_round_trips_a_record_in_whole_milliseconds_and_ttl_seconds() {
        let r = record();
        let item = item_from_record(&r);
        assert_eq!(
            item.get(attr::EXPIRES_AT),
            Some(&AttributeValue::N(r.expires_at.timestamp().to_string()))
        );
        assert_eq!(
            item.get(attr::FIRST_SEEN_AT),
            Some(&AttributeValue::S("2026-11-01T10:00:00.123Z".into()))
        );
        assert_eq!(record_from_item(&item), Ok(r));
    }

    #[test]
    fn unparsable_attribute_is_named_in_the_corrupt_record_error() {
        let mut item = item_from_record(&record());
        item.insert(attr::SEVERITY.into(), AttributeValue::S("SUPER".into()));
        let err = record_from_item(&item).err();
        assert!(
            matches!(&err, Some(StoreError::CorruptRecord(m)) if m.contains("`severity`") && m.contains("SUPER")),
            "{err:?}"
        );
        item.insert(attr::EXPIRES_AT.into(), AttributeValue::S("soon".into()));
        item.insert(attr::SEVERITY.into(), AttributeValue::S("LOW".into()));
        let err = record_from_item(&item).err();
        assert!(
            matches!(&err, Some(StoreError::CorruptRecord(m)) if m.contains("`expires_at`") && m.contains("not a Number")),
            "{err:?}"
        );
    }

    fn cached_summary() -> CachedSummary {
        use hushhub_core::summary::{Summary, SummarySource};
        use hushhub_core::summary_cache::SummaryInputsHash;
        CachedSummary {
            inputs_hash: SummaryInputsHash::parse(&"ab".repeat(32)).expect("hash"),
            summary: Summary {
                source: SummarySource::Ai {
                    model_id: "global.anthropic.claude-sonnet-4-6".into(),
                },
                headline: "S3 bucket is public".into(),
                what_happened: "The bucket allows public reads.".into(),
                why_it_matters: "Anyone can read its objects.".into(),
                next_steps: vec!["Block public access on the bucket.".into()],
            },
        }
    }

    #[test]
    fn item_round_trips_a_record_with_its_cached_summary() {
        let r = SeenRecord {
            summary_cache: Some(Box::new(cached_summary())),
            ..record()
        };
        let item = item_from_record(&r);
        assert_eq!(
            item.get(attr::SUMMARY_INPUTS_HASH),
            Some(&AttributeValue::S("ab".repeat(32)))
        );
        assert_eq!(record_from_item(&item), Ok(r));
    }

    #[test]
    fn unreadable_cached_summary_counts_as_none_and_keeps_the_record() {
        let mut item = item_from_record(&SeenRecord {
            summary_cache: Some(Box::new(cached_summary())),
            ..record()
        });
        item.insert(attr::SUMMARY.into(), AttributeValue::S("{not json".into()));
        assert_eq!(record_from_item(&item), Ok(record()));
        item.insert(attr::SUMMARY.into(), AttributeValue::N("1".into()));
        assert_eq!(record_from_item(&item), Ok(record()));
    }

    #[test]
    fn an_ocsf_record_keeps_its_format_and_an_asff_item_has_no_format_attribute() {
        assert_eq!(item_from_record(&record()).get(attr::FINDING_FORMAT), None);
        let ocsf = SeenRecord {
            finding_format: FindingFormat::Ocsf,
            ..record()
        };
        let item = item_from_record(&ocsf);
        assert_eq!(
            item.get(attr::FINDING_FORMAT),
            Some(&AttributeValue::S("ocsf".into()))
        );
        assert_eq!(record_from_item(&item), Ok(ocsf));
    }

    #[test]
    fn claim_token_that_is_not_a_string_is_a_corrupt_record_naming_it() {
        let mut item = item_from_record(&record());
        item.insert(attr::CLAIM_TOKEN.into(), AttributeValue::N("7".into()));
        let err = record_from_item(&item).expect_err("corrupt");
        assert!(err.to_string().contains("`claim_token`"), "{err}");
    }
}
