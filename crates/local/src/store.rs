//! The SQLite `SeenStore`: the same conditional semantics as the DynamoDB design, one winner per
//! claim, in a single local file.
//!
//! One connection behind a mutex makes each method one atomic step, as each DynamoDB request is.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, TimeZone, Utc};
use hushhub_core::finding::{AccountId, FindingFormat, FindingId, Severity};
use hushhub_core::ports::{
    ClaimOutcome, ReleaseOutcome, ScanPage, SeenStore, StoreError, SummaryCache,
};
use hushhub_core::seen::{Claim, ClaimToken, SeenRecord};
use hushhub_core::summary_cache::CachedSummary;
use rusqlite::{Connection, OptionalExtension, Row, params};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS seen (
    pk              TEXT PRIMARY KEY NOT NULL,
    product_arn     TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    region          TEXT NOT NULL,
    title           TEXT NOT NULL,
    severity        TEXT NOT NULL,
    first_seen_at   INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    last_alerted_at INTEGER NOT NULL,
    alert_count     INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    summary_inputs_hash TEXT,
    summary         TEXT,
    claim_token     TEXT,
    finding_format  TEXT
) WITHOUT ROWID;";

/// Columns added since the first state files: the summary cache's two (NULL until a
/// model-written summary is cached), the claim token (NULL on records claimed before it) and
/// the finding format (NULL for ASFF).
const ADDED_COLUMNS: [&str; 4] = [
    "summary_inputs_hash",
    "summary",
    "claim_token",
    "finding_format",
];

/// The columns of a record, in `from_row`'s order; a macro so that the statements built on it
/// are constants: formatting one on every read cost as much as the statement cache lookup.
macro_rules! columns {
    () => {
        "pk, product_arn, account_id, region, title, severity, first_seen_at, last_seen_at, last_alerted_at, alert_count, expires_at, summary_inputs_hash, summary, claim_token, finding_format"
    };
}

const COLUMNS: &str = columns!();

const READ: &str = concat!("SELECT ", columns!(), " FROM seen WHERE pk = ?1");

/// Seen findings in a SQLite file (or in memory).
pub struct SqliteSeenStore {
    conn: Mutex<Connection>,
}

impl SqliteSeenStore {
    /// Opens (creating if needed) the state file.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(failed)?;
        // WAL with NORMAL sync: durable across a crash of this process, and no fsync per write,
        // which a replay of a month of findings would otherwise pay thousands of times. One
        // process owns the file while it runs: an exclusive lock, taken once, spares a lock and
        // an unlock system call around every statement, and stops a second replay on the same
        // state from interleaving with this one.
        // Fail at once, not after rusqlite's default five seconds, when another process has it.
        conn.busy_timeout(std::time::Duration::ZERO)
            .map_err(failed)?;
        conn.execute_batch(
            "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             BEGIN EXCLUSIVE; COMMIT;",
        )
        .map_err(|e| {
            let hint = match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::DatabaseBusy) => {
                    " (is another hushhub using this state file?)"
                }
                _ => "",
            };
            StoreError::Failed(format!("{}: {e}{hint}", path.display()))
        })?;
        Self::with_connection(conn)
    }

    /// A store that lives only as long as this value (tests, previews).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::with_connection(Connection::open_in_memory().map_err(failed)?)
    }

    fn with_connection(conn: Connection) -> Result<Self, StoreError> {
        conn.execute_batch(SCHEMA).map_err(failed)?;
        add_missing_columns(&conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many findings are recorded.
    pub fn count(&self) -> Result<u64, StoreError> {
        self.lock()
            .query_row("SELECT COUNT(*) FROM seen", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(failed)
    }

    /// The record of a finding, for callers outside an async context (tests, reports).
    pub fn record(&self, id: &str) -> Result<Option<SeenRecord>, StoreError> {
        Self::read(&self.lock(), id)
    }

    /// Forgets everything (`hushhub replay --fresh`).
    pub fn clear(&self) -> Result<(), StoreError> {
        run(&self.lock(), "DELETE FROM seen", [])
            .map(|_| ())
            .map_err(failed)
    }

    fn read(conn: &Connection, id: &str) -> Result<Option<SeenRecord>, StoreError> {
        conn.prepare_cached(READ)
            .and_then(|mut stmt| stmt.query_row([id], |row| Ok(from_row(row))).optional())
            .map_err(failed)?
            .transpose()
    }
}

/// Brings a state file written by an earlier version up to the current schema.
fn add_missing_columns(conn: &Connection) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info('seen')")
        .map_err(failed)?;
    let present = stmt
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(failed)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(failed)?;
    for column in ADDED_COLUMNS {
        if !present.iter().any(|p| p == column) {
            conn.execute_batch(&format!("ALTER TABLE seen ADD COLUMN {column} TEXT"))
                .map_err(failed)?;
        }
    }
    Ok(())
}

/// What a claim that changed nothing learns from the record now stored: an earlier attempt of
/// the same delivery made it (`AlreadyHeld`), or another delivery did (`Lost`).
fn lost_claim(current: Option<SeenRecord>, claimed: &SeenRecord) -> ClaimOutcome {
    match (current, &claimed.claim_token) {
        (Some(current), Some(token)) if current.is_claimed_by(token) => {
            ClaimOutcome::AlreadyHeld(current)
        }
        (current, _) => ClaimOutcome::Lost(current),
    }
}

/// Executes through the statement cache: parsing the SQL again on every call cost more than the
/// query itself.
fn run(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

fn failed(e: rusqlite::Error) -> StoreError {
    StoreError::Failed(e.to_string())
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_row(row: &Row<'_>) -> Result<SeenRecord, StoreError> {
    let text = |i: usize| row.get::<_, String>(i).map_err(failed);
    let time = |i: usize| -> Result<DateTime<Utc>, StoreError> {
        let ms: i64 = row.get(i).map_err(failed)?;
        Utc.timestamp_millis_opt(ms)
            .single()
            .ok_or_else(|| StoreError::CorruptRecord(format!("bad time {ms}")))
    };
    let corrupt = |e: String| StoreError::CorruptRecord(e);
    let severity = text(5)?;
    Ok(SeenRecord {
        finding_id: FindingId::new(text(0)?).map_err(corrupt)?,
        product_arn: text(1)?,
        account_id: AccountId::new(text(2)?).map_err(corrupt)?,
        region: text(3)?,
        title: text(4)?,
        severity: Severity::from_label(&severity)
            .ok_or_else(|| corrupt(format!("bad severity {severity:?}")))?,
        first_seen_at: time(6)?,
        last_seen_at: time(7)?,
        last_alerted_at: time(8)?,
        alert_count: row
            .get::<_, i64>(9)
            .map_err(failed)?
            .try_into()
            .map_err(|_| corrupt("bad alert_count".into()))?,
        expires_at: time(10)?,
        summary_cache: cached_summary(row).map(Box::new),
        claim_token: row
            .get::<_, Option<String>>(13)
            .map_err(failed)?
            .map(ClaimToken::from_stored),
        finding_format: match row.get::<_, Option<String>>(14).map_err(failed)? {
            None => FindingFormat::Asff,
            Some(word) => FindingFormat::from_stored(&word)
                .ok_or_else(|| corrupt(format!("bad finding_format {word:?}")))?,
        },
    })
}

/// The cached summary of a row; an unreadable one counts as none (the model is asked again)
/// rather than make the whole record unreadable.
fn cached_summary(row: &Row<'_>) -> Option<CachedSummary> {
    let inputs_hash: Option<String> = row.get(11).ok().flatten();
    let summary: Option<String> = row.get(12).ok().flatten();
    CachedSummary::from_stored(&inputs_hash?, &summary?).ok()
}

impl SeenStore for SqliteSeenStore {
    async fn get(&self, id: &FindingId) -> Result<Option<SeenRecord>, StoreError> {
        Self::read(&self.lock(), id.as_str())
    }

    async fn claim_new(&self, r: &SeenRecord) -> Result<ClaimOutcome, StoreError> {
        let conn = self.lock();
        let inserted = run(&conn,
                &format!("INSERT INTO seen ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) ON CONFLICT(pk) DO NOTHING"),
                params![
                    r.finding_id.as_str(),
                    r.product_arn,
                    r.account_id.as_str(),
                    r.region,
                    r.title,
                    r.severity.label(),
                    millis(r.first_seen_at),
                    millis(r.last_seen_at),
                    millis(r.last_alerted_at),
                    i64::from(r.alert_count),
                    millis(r.expires_at),
                    r.summary_cache.as_deref().map(|c| c.inputs_hash.as_str()),
                    r.summary_cache.as_deref().map(CachedSummary::summary_json),
                    r.claim_token.as_ref().map(ClaimToken::as_str),
                    (!r.finding_format.is_asff()).then(|| r.finding_format.as_str()),
                ],
            )
            .map_err(failed)?;
        if inserted == 1 {
            Ok(ClaimOutcome::Won)
        } else {
            Ok(lost_claim(Self::read(&conn, r.finding_id.as_str())?, r))
        }
    }

    async fn claim_realert(
        &self,
        expected: DateTime<Utc>,
        r: &SeenRecord,
    ) -> Result<ClaimOutcome, StoreError> {
        let conn = self.lock();
        // `alert_count <> ?6`, as in DynamoDB: two claims from one read in the same millisecond
        // (an escalation right after an alert) would otherwise both pass the `last_alerted_at` test.
        let updated = run(&conn,
                "UPDATE seen SET title = ?2, severity = ?3, last_seen_at = ?4, last_alerted_at = ?5, alert_count = ?6, expires_at = ?7, claim_token = ?9
                 WHERE pk = ?1 AND last_alerted_at = ?8 AND alert_count <> ?6",
                params![
                    r.finding_id.as_str(),
                    r.title,
                    r.severity.label(),
                    millis(r.last_seen_at),
                    millis(r.last_alerted_at),
                    i64::from(r.alert_count),
                    millis(r.expires_at),
                    millis(expected),
                    r.claim_token.as_ref().map(ClaimToken::as_str),
                ],
            )
            .map_err(failed)?;
        if updated == 1 {
            Ok(ClaimOutcome::Won)
        } else {
            Ok(lost_claim(Self::read(&conn, r.finding_id.as_str())?, r))
        }
    }

    async fn release_claim(&self, claim: &Claim) -> Result<ReleaseOutcome, StoreError> {
        let conn = self.lock();
        let token = claim.token.as_ref().map(ClaimToken::as_str);
        let changed = match &claim.previous {
            // `?3 IS NULL`: a claim without a token (made before tokens) is held by its time alone.
            None => run(&conn,
                "DELETE FROM seen WHERE pk = ?1 AND last_alerted_at = ?2 AND (?3 IS NULL OR claim_token = ?3)",
                params![claim.finding_id.as_str(), millis(claim.claimed_at), token],
            ),
            // The token goes with the claim it named: the restored alert's own is not known.
            Some(p) => run(&conn,
                "UPDATE seen SET last_alerted_at = ?4, severity = ?5, alert_count = ?6, claim_token = NULL
                 WHERE pk = ?1 AND last_alerted_at = ?2 AND (?3 IS NULL OR claim_token = ?3)",
                params![
                    claim.finding_id.as_str(),
                    millis(claim.claimed_at),
                    token,
                    millis(p.last_alerted_at),
                    p.severity.label(),
                    i64::from(p.alert_count)
                ],
            ),
        }
        .map_err(failed)?;
        Ok(if changed == 1 {
            ReleaseOutcome::Released
        } else {
            ReleaseOutcome::NoLongerHeld
        })
    }

    async fn refresh_last_seen(
        &self,
        id: &FindingId,
        last_seen_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        run(
            &self.lock(),
            "UPDATE seen SET last_seen_at = ?2, expires_at = ?3 WHERE pk = ?1",
            params![id.as_str(), millis(last_seen_at), millis(expires_at)],
        )
        .map(|_| ())
        .map_err(failed)
    }

    async fn forget(&self, id: &FindingId) -> Result<bool, StoreError> {
        run(
            &self.lock(),
            "DELETE FROM seen WHERE pk = ?1",
            [id.as_str()],
        )
        .map(|n| n == 1)
        .map_err(failed)
    }

    async fn forget_if_unchanged(
        &self,
        id: &FindingId,
        last_seen_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        run(
            &self.lock(),
            "DELETE FROM seen WHERE pk = ?1 AND last_seen_at = ?2",
            params![id.as_str(), millis(last_seen_at)],
        )
        .map(|n| n == 1)
        .map_err(failed)
    }

    async fn scan_page(&self, cursor: Option<String>, limit: u32) -> Result<ScanPage, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM seen WHERE pk > ?1 ORDER BY pk LIMIT ?2"
            ))
            .map_err(failed)?;
        let rows = stmt
            .query_map(
                params![cursor.unwrap_or_default(), i64::from(limit)],
                |row| Ok(from_row(row)),
            )
            .map_err(failed)?;
        let mut records = Vec::new();
        for row in rows {
            records.push(row.map_err(failed)??);
        }
        let next = (records.len() == limit as usize)
            .then(|| records.last().map(|r| r.finding_id.to_string()))
            .flatten();
        Ok(ScanPage { records, next })
    }
}

impl SummaryCache for SqliteSeenStore {
    /// One `UPDATE` on condition that `last_alerted_at` still holds the claim.
    async fn remember_summary(
        &self,
        claim: &Claim,
        cached: &CachedSummary,
    ) -> Result<bool, StoreError> {
        run(
            &self.lock(),
            "UPDATE seen SET summary_inputs_hash = ?3, summary = ?4 WHERE pk = ?1 AND last_alerted_at = ?2",
            params![
                claim.finding_id.as_str(),
                millis(claim.claimed_at),
                cached.inputs_hash.as_str(),
                cached.summary_json(),
            ],
        )
        .map(|n| n == 1)
        .map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hushhub_core::summary::{Summary, SummarySource};
    use hushhub_core::summary_cache::SummaryInputsHash;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .expect("test time")
    }

    fn record() -> SeenRecord {
        SeenRecord {
            finding_id: FindingId::new("arn:aws:securityhub:us-east-1:111122223333:finding/x")
                .expect("valid id"),
            product_arn: "arn:aws:securityhub:us-east-1::product/aws/securityhub".into(),
            account_id: AccountId::new("111122223333").expect("valid account"),
            region: "us-east-1".into(),
            title: "S3 bucket is public".into(),
            severity: Severity::High,
            first_seen_at: t("2026-11-01T10:00:00.123Z"),
            last_seen_at: t("2026-11-01T10:00:00.123Z"),
            last_alerted_at: t("2026-11-01T10:00:00.123Z"),
            alert_count: 1,
            expires_at: t("2027-01-30T10:00:00.123Z"),
            summary_cache: None,
            claim_token: None,
            finding_format: FindingFormat::Asff,
        }
    }

    fn cached(hash_digit: char) -> CachedSummary {
        CachedSummary {
            inputs_hash: SummaryInputsHash::parse(&hash_digit.to_string().repeat(64))
                .expect("hash"),
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

    async fn claimed_store() -> (SqliteSeenStore, SeenRecord) {
        let store = SqliteSeenStore::in_memory().expect("store");
        let r = record();
        assert_eq!(store.claim_new(&r).await, Ok(ClaimOutcome::Won));
        (store, r)
    }

    #[tokio::test]
    async fn an_ocsf_record_keeps_its_format() {
        let store = SqliteSeenStore::in_memory().expect("store");
        let r = SeenRecord {
            finding_format: FindingFormat::Ocsf,
            ..record()
        };
        assert_eq!(store.claim_new(&r).await, Ok(ClaimOutcome::Won));
        let read = store.get(&r.finding_id).await.expect("read");
        assert_eq!(read.map(|r| r.finding_format), Some(FindingFormat::Ocsf));
    }

    #[tokio::test]
    async fn remembered_summary_is_read_back_with_the_record() {
        let (store, r) = claimed_store().await;
        assert_eq!(
            store.remember_summary(&r.claim(None), &cached('a')).await,
            Ok(true)
        );
        let read = store.get(&r.finding_id).await.expect("read");
        assert_eq!(
            read.and_then(|r| r.summary_cache),
            Some(Box::new(cached('a')))
        );
    }

    #[tokio::test]
    async fn a_newer_summary_replaces_the_cached_one() {
        let (store, r) = claimed_store().await;
        let claim = r.claim(None);
        assert_eq!(store.remember_summary(&claim, &cached('a')).await, Ok(true));
        assert_eq!(store.remember_summary(&claim, &cached('b')).await, Ok(true));
        let read = store.record(r.finding_id.as_str()).expect("read");
        assert_eq!(
            read.and_then(|r| r.summary_cache),
            Some(Box::new(cached('b')))
        );
    }

    #[tokio::test]
    async fn a_summary_is_not_cached_once_the_record_moved_on_or_is_gone() {
        let (store, r) = claimed_store().await;
        let stale_claim = r.claim(None);
        let later = r.realerted_for_test(t("2026-11-02T10:00:00Z"));
        assert_eq!(
            store.claim_realert(r.last_alerted_at, &later).await,
            Ok(ClaimOutcome::Won)
        );
        assert_eq!(
            store.remember_summary(&stale_claim, &cached('a')).await,
            Ok(false),
            "another alert claimed the record since"
        );
        assert_eq!(
            store
                .record(r.finding_id.as_str())
                .expect("read")
                .and_then(|r| r.summary_cache),
            None
        );

        store.forget(&r.finding_id).await.expect("forget");
        assert_eq!(
            store
                .remember_summary(&later.claim(Some(&r)), &cached('a'))
                .await,
            Ok(false),
            "nothing is re-created"
        );
        assert_eq!(store.count(), Ok(0));
    }

    #[tokio::test]
    async fn realert_claims_and_releases_keep_the_cached_summary() {
        let (store, r) = claimed_store().await;
        store
            .remember_summary(&r.claim(None), &cached('a'))
            .await
            .expect("remember");
        let stored = store
            .record(r.finding_id.as_str())
            .expect("read")
            .expect("record");
        let later = stored.realerted_for_test(t("2026-11-02T10:00:00Z"));
        assert_eq!(
            store.claim_realert(stored.last_alerted_at, &later).await,
            Ok(ClaimOutcome::Won)
        );
        assert_eq!(
            store.release_claim(&later.claim(Some(&stored))).await,
            Ok(ReleaseOutcome::Released)
        );
        let read = store.record(r.finding_id.as_str()).expect("read");
        assert_eq!(
            read.and_then(|r| r.summary_cache),
            Some(Box::new(cached('a')))
        );
    }

    #[tokio::test]
    async fn an_unreadable_cached_summary_reads_as_none_and_keeps_the_record() {
        let (store, r) = claimed_store().await;
        run(
            &store.lock(),
            "UPDATE seen SET summary_inputs_hash = ?2, summary = '{' WHERE pk = ?1",
            params![r.finding_id.as_str(), "a".repeat(64)],
        )
        .expect("corrupt it");
        assert_eq!(store.get(&r.finding_id).await, Ok(Some(r)));
    }

    #[test]
    fn a_state_file_in_use_cannot_be_opened_a_second_time() {
        let dir = std::env::temp_dir().join(format!("hushhub-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("state.sqlite");
        let first = SqliteSeenStore::open(&path).expect("first opener");
        match SqliteSeenStore::open(&path) {
            Err(StoreError::Failed(message)) => {
                assert!(message.contains("another hushhub"), "{message}");
            }
            Err(other) => panic!("unexpected error {other:?}"),
            Ok(_) => panic!("a second opener must not share the state file"),
        }
        drop(first);
        SqliteSeenStore::open(&path).expect("free again once the first is closed");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_state_file_from_before_the_summary_cache_is_brought_up_to_date() {
        let dir = std::env::temp_dir().join(format!("hushhub-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("old.sqlite");
        let _ = std::fs::remove_file(&path);
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(
                "CREATE TABLE seen (pk TEXT PRIMARY KEY NOT NULL, product_arn TEXT NOT NULL,
                 account_id TEXT NOT NULL, region TEXT NOT NULL, title TEXT NOT NULL,
                 severity TEXT NOT NULL, first_seen_at INTEGER NOT NULL,
                 last_seen_at INTEGER NOT NULL, last_alerted_at INTEGER NOT NULL,
                 alert_count INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
                 INSERT INTO seen VALUES ('finding/old', 'arn:p', '111122223333', 'us-east-1',
                 'Old', 'LOW', 0, 0, 0, 1, 0);",
            )
            .expect("old schema");
        }
        let store = SqliteSeenStore::open(&path).expect("opens the old file");
        let old = store.record("finding/old").expect("read").expect("kept");
        assert_eq!(old.summary_cache, None);
        assert_eq!(old.finding_format, FindingFormat::Asff);
        let claim = old.claim(None);
        let remembered = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(store.remember_summary(&claim, &cached('c')));
        assert_eq!(remembered, Ok(true));
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    trait RealertForTest {
        fn realerted_for_test(&self, now: DateTime<Utc>) -> SeenRecord;
    }

    impl RealertForTest for SeenRecord {
        /// `SeenRecord::realerted` without a finding: the fields a re-alert changes.
        fn realerted_for_test(&self, now: DateTime<Utc>) -> SeenRecord {
            SeenRecord {
                last_seen_at: now,
                last_alerted_at: now,
                alert_count: self.alert_count + 1,
                ..self.clone()
            }
        }
    }
}
