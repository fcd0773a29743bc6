//! The SQLite `SeenStore`: the same conditional semantics as the DynamoDB design, one winner per
//! claim, in a single local file.
//!
//! One connection behind a mutex makes each method one atomic step, as each DynamoDB request is.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, TimeZone, Utc};
use hushhub_core::finding::{AccountId, FindingId, Severity};
use hushhub_core::ports::{ClaimOutcome, ReleaseOutcome, ScanPage, SeenStore, StoreError};
use hushhub_core::seen::{Claim, SeenRecord};
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
    expires_at      INTEGER NOT NULL
) WITHOUT ROWID;";

const COLUMNS: &str = "pk, product_arn, account_id, region, title, severity, first_seen_at, last_seen_at, last_alerted_at, alert_count, expires_at";

/// Seen findings in a SQLite file (or in memory).
pub struct SqliteSeenStore {
    conn: Mutex<Connection>,
}

impl SqliteSeenStore {
    /// Opens (creating if needed) the state file.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(failed)?;
        // WAL with NORMAL sync: durable across a crash of this process, and no fsync per write,
        // which a replay of a month of findings would otherwise pay thousands of times.
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
            .map_err(failed)?;
        Self::with_connection(conn)
    }

    /// A store that lives only as long as this value (tests, previews).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::with_connection(Connection::open_in_memory().map_err(failed)?)
    }

    fn with_connection(conn: Connection) -> Result<Self, StoreError> {
        conn.execute_batch(SCHEMA).map_err(failed)?;
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
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM seen WHERE pk = ?1"))
            .and_then(|mut stmt| stmt.query_row([id], |row| Ok(from_row(row))).optional())
            .map_err(failed)?
            .transpose()
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
    })
}

impl SeenStore for SqliteSeenStore {
    async fn get(&self, id: &FindingId) -> Result<Option<SeenRecord>, StoreError> {
        Self::read(&self.lock(), id.as_str())
    }

    async fn claim_new(&self, r: &SeenRecord) -> Result<ClaimOutcome, StoreError> {
        let conn = self.lock();
        let inserted = run(&conn,
                &format!("INSERT INTO seen ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT(pk) DO NOTHING"),
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
                ],
            )
            .map_err(failed)?;
        if inserted == 1 {
            Ok(ClaimOutcome::Won)
        } else {
            Ok(ClaimOutcome::Lost(Self::read(
                &conn,
                r.finding_id.as_str(),
            )?))
        }
    }

    async fn claim_realert(
        &self,
        expected: DateTime<Utc>,
        r: &SeenRecord,
    ) -> Result<ClaimOutcome, StoreError> {
        let conn = self.lock();
        let updated = run(&conn,
                "UPDATE seen SET title = ?2, severity = ?3, last_seen_at = ?4, last_alerted_at = ?5, alert_count = ?6, expires_at = ?7
                 WHERE pk = ?1 AND last_alerted_at = ?8",
                params![
                    r.finding_id.as_str(),
                    r.title,
                    r.severity.label(),
                    millis(r.last_seen_at),
                    millis(r.last_alerted_at),
                    i64::from(r.alert_count),
                    millis(r.expires_at),
                    millis(expected),
                ],
            )
            .map_err(failed)?;
        if updated == 1 {
            Ok(ClaimOutcome::Won)
        } else {
            Ok(ClaimOutcome::Lost(Self::read(
                &conn,
                r.finding_id.as_str(),
            )?))
        }
    }

    async fn release_claim(&self, claim: &Claim) -> Result<ReleaseOutcome, StoreError> {
        let conn = self.lock();
        let changed = match &claim.previous {
            None => run(&conn,
                "DELETE FROM seen WHERE pk = ?1 AND last_alerted_at = ?2",
                params![claim.finding_id.as_str(), millis(claim.claimed_at)],
            ),
            Some(p) => run(&conn,
                "UPDATE seen SET last_alerted_at = ?3, severity = ?4, alert_count = ?5 WHERE pk = ?1 AND last_alerted_at = ?2",
                params![
                    claim.finding_id.as_str(),
                    millis(claim.claimed_at),
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
