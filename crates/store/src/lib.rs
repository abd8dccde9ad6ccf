//! Storage: one trait, SQLite and PostgreSQL behind it, chosen by the URL.
//!
//! The main design decision is that a state change and its consequences are
//! written in **one transaction**: the new state of a right or complaint, the
//! audit records of the events that produced it, and the jobs (deadline
//! timers) it schedules. A crash between them is impossible, so the audit log
//! never misses a change and a deadline is never lost or doubled.
//!
//! Both backends share one implementation on sqlx's `Any` driver: the SQL is
//! portable except where the engines differ in locking, and there the
//! [`Dialect`] picks the statement (SQLite takes the write lock up front with
//! `BEGIN IMMEDIATE`; PostgreSQL serialises audit appends with a transaction
//! advisory lock and claims jobs with `FOR UPDATE SKIP LOCKED`). Each backend
//! has its own migrations, because column types differ. The conformance suite
//! in `tests/` runs every test on both.
//!
//! Domain objects are stored whole as JSON (`body`), with the columns that
//! queries filter and sort on beside them; updates are optimistic (a
//! `version` column), so a lost race is a [`StoreError::Conflict`] the caller
//! retries after reloading, never a silent overwrite.
//!
//! Every audit append also writes the outbox of enforcement actions for the
//! marketplace's webhooks ([`webhooks`]) and the notifications to people
//! ([`notifications`]), so an action, its event and who hears of it commit
//! or roll back together.
//!
//! The audit log is a hash chain: each record stores the SHA-256 of the
//! previous record's hash and its own content, so editing, inserting or
//! deleting any record in the middle breaks the chain at that point
//! ([`Store::verify_audit`]). Truncating the tail is only visible against a
//! head hash recorded elsewhere; `verify_audit` reports the head for that.

pub mod backup;
pub mod customs;
pub mod dead_letters;
pub mod dossier;
pub mod evidence;
pub mod exports;
pub mod findings;
pub mod idempotency;
mod stats;

pub use stats::{ActivityStore, Stats};
pub mod listings;
pub mod notifications;
pub mod notifiers;
pub mod penalties;
pub mod web;
pub mod webhooks;

use std::collections::HashMap;
use std::future::Future;
use std::str::FromStr;

use jiff::{SignedDuration, Timestamp};
use rightsguard_domain::account::{DisplayName, Org, OrgKind, User};
use rightsguard_domain::actor::Role;
use rightsguard_domain::complaint::Complaint;
use rightsguard_domain::event::{DomainEvent, EventKind, Subject};
use rightsguard_domain::ids::{ComplaintId, OrgId, RightId, Sha256, UserId};
use rightsguard_domain::right::Right;
use serde::{Deserialize, Serialize};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone else changed the object since it was loaded; reload and retry.
    #[error("conflict: {0} was changed concurrently")]
    Conflict(String),
    /// An object with this id exists already.
    #[error("duplicate: {0} exists already")]
    Duplicate(String),
    /// The URL names no supported database.
    #[error("unsupported database URL {0:?}: use sqlite:PATH or postgres://...")]
    UnsupportedUrl(String),
    /// A stored row could not be read back (corrupt or from a newer version).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Shorthand.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// Whether the database could not be reached (down, restarting, the
    /// connection lost, no connection free in time) rather than refusing
    /// the statement: the same request may well succeed in a few seconds.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Db(e) => db_unavailable(e),
            StoreError::Conflict(_)
            | StoreError::Duplicate(_)
            | StoreError::UnsupportedUrl(_)
            | StoreError::Corrupt(_)
            | StoreError::Migrate(_) => false,
        }
    }
}

fn db_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // SQLSTATE class 08 (connection exception), 57P01-57P03 (the server
        // shutting down or starting up), 53300 (too many connections).
        sqlx::Error::Database(d) => d.code().is_some_and(|c| {
            c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03" | "53300")
        }),
        // A connection that died mid-message surfaces as a protocol error.
        sqlx::Error::Protocol(m) => {
            let m = m.to_ascii_lowercase();
            m.contains("connection") || m.contains("eof")
        }
        _ => false,
    }
}

/// A stored object and its version, for optimistic updates.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    /// The object.
    pub value: T,
    /// Its version; pass it back when saving.
    pub version: i64,
}

/// A job to schedule with a state change: a deadline timer or other work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewJob {
    /// Unique key: scheduling the same key twice keeps the first (idempotent).
    pub key: String,
    /// What to do (e.g. `expire_window`).
    pub kind: String,
    /// Its arguments.
    pub payload: serde_json::Value,
    /// When it becomes due.
    pub due_at: Timestamp,
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Row id.
    pub id: i64,
    /// Unique key.
    pub key: String,
    /// What to do.
    pub kind: String,
    /// Its arguments.
    pub payload: serde_json::Value,
    /// When it became due.
    pub due_at: Timestamp,
    /// How often it was claimed, this time included.
    pub attempts: i64,
}

/// One complaint item waiting for review.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueEntry {
    /// The complaint.
    pub complaint: ComplaintId,
    /// The listing.
    pub listing: String,
    /// Review due by.
    pub review_due: Timestamp,
}

/// One audit record as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// What it is about (`right:ID`, `complaint:ID/LISTING`, `notifier:ORG`).
    pub subject: String,
    /// The event.
    pub event: DomainEvent,
    /// Hash of the previous record (64 zeros for the first).
    pub prev_hash: String,
    /// This record's hash.
    pub hash: String,
}

/// The result of checking the audit chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditReport {
    /// Records checked.
    pub records: i64,
    /// The last record's sequence number and hash (record them elsewhere to
    /// detect truncation later).
    pub head: Option<(i64, String)>,
    /// The first record that does not verify, if any, and why.
    pub first_bad: Option<(i64, String)>,
}

impl AuditReport {
    /// Whether the whole chain verified.
    pub fn ok(&self) -> bool {
        self.first_bad.is_none()
    }
}

/// An API token as stored: only the SHA-256 of its text is kept, so the
/// table is useless to a reader who wants to act as someone.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    /// Its id (public: shown when issued, used to revoke it).
    pub id: String,
    /// The user it authenticates.
    pub user: UserId,
    /// SHA-256 of the token text.
    pub sha256: Sha256,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

/// One organisation's upload of an evidence file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceRecord {
    /// The file.
    pub sha256: Sha256,
    /// The organisation that uploaded it.
    pub org: OrgId,
    /// The person who did.
    pub uploaded_by: Option<UserId>,
    /// Sniffed content type.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// When it was uploaded.
    pub uploaded_at: Timestamp,
    /// When the uploader says it was captured (a screenshot, a test buy).
    pub captured_at: Option<Timestamp>,
}

/// The storage operations the application needs.
pub trait Store: notifiers::NotifierStore + listings::ListingStore + Send + Sync {
    /// Creates a right with the audit records of its creation.
    fn create_right(
        &self,
        right: &Right,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<i64>> + Send;
    /// Saves a changed right if it is still at `expected_version`.
    fn save_right(
        &self,
        right: &Right,
        expected_version: i64,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<i64>> + Send;
    /// Loads a right.
    fn right(&self, id: &RightId) -> impl Future<Output = Result<Option<Versioned<Right>>>> + Send;
    /// Rights of one owner.
    fn rights_of(&self, owner: &OrgId) -> impl Future<Output = Result<Vec<Right>>> + Send;
    /// Rights that carry a certificate, whoever owns them.
    fn rights_with_certificate(
        &self,
        sha: &Sha256,
    ) -> impl Future<Output = Result<Vec<Right>>> + Send;
    /// Saves a complaint (new when `expected_version` is `None`), its audit
    /// records and its jobs, in one transaction.
    fn save_complaint(
        &self,
        complaint: &Complaint,
        expected_version: Option<i64>,
        events: &[DomainEvent],
        jobs: &[NewJob],
    ) -> impl Future<Output = Result<i64>> + Send;
    /// Loads a complaint.
    fn complaint(
        &self,
        id: &ComplaintId,
    ) -> impl Future<Output = Result<Option<Versioned<Complaint>>>> + Send;
    /// Items under review, earliest due first.
    fn review_queue(&self, limit: i64) -> impl Future<Output = Result<Vec<QueueEntry>>> + Send;
    /// Complaints naming a listing of this seller, in id order, loaded in one
    /// query (a seller's standing reads them all).
    fn complaints_against(
        &self,
        seller: &OrgId,
    ) -> impl Future<Output = Result<Vec<Complaint>>> + Send;
    /// The audit records about one subject, in order.
    fn audit_of(&self, subject: &Subject) -> impl Future<Output = Result<Vec<AuditRecord>>> + Send;
    /// Checks the whole audit chain; with an `anchor` (a head `(seq, hash)`
    /// recorded earlier, e.g. printed by a previous check) it also proves the
    /// log was not truncated or rewritten up to that point.
    fn verify_audit(
        &self,
        anchor: Option<(i64, String)>,
    ) -> impl Future<Output = Result<AuditReport>> + Send;
    /// Claims up to `limit` due jobs for `owner` for `lease`; a job whose lease
    /// ran out (its worker died) is claimed again.
    fn claim_due_jobs(
        &self,
        now: Timestamp,
        owner: &str,
        lease: SignedDuration,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Job>>> + Send;
    /// Marks a job done, if `owner` still holds its lease.
    fn complete_job(
        &self,
        id: i64,
        owner: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Releases a failed job to run again at `retry_at`.
    fn fail_job(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry_at: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Creates an organisation ([`StoreError::Duplicate`] if the id is taken),
    /// with the audit records of its creation.
    fn create_org(
        &self,
        org: &Org,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<()>> + Send;
    /// Loads an organisation.
    fn org(&self, id: &OrgId) -> impl Future<Output = Result<Option<Org>>> + Send;
    /// Creates a user of an existing organisation, with its audit records.
    fn create_user(
        &self,
        user: &User,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<()>> + Send;
    /// Loads a user.
    fn user(&self, id: &UserId) -> impl Future<Output = Result<Option<User>>> + Send;
    /// Stores a newly issued API token (its hash), with its audit records.
    fn create_api_token(
        &self,
        token: &ApiToken,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<()>> + Send;
    /// Finds a token by its public id, revoked or not.
    fn api_token(&self, id: &str) -> impl Future<Output = Result<Option<ApiToken>>> + Send;
    /// Finds a token by the SHA-256 of its text, revoked or not.
    fn api_token_by_hash(
        &self,
        sha: &Sha256,
    ) -> impl Future<Output = Result<Option<ApiToken>>> + Send;
    /// Revokes a token; `false` (and nothing written) if there is no such
    /// token or it was revoked already.
    fn revoke_api_token(
        &self,
        id: &str,
        at: Timestamp,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Records that `agent` holds a power of attorney from `principal`.
    fn grant_power_of_attorney(
        &self,
        agent: &OrgId,
        principal: &OrgId,
        at: Timestamp,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<()>> + Send;
    /// The principals `agent` holds a power of attorney from, in id order.
    fn powers_of_attorney(&self, agent: &OrgId) -> impl Future<Output = Result<Vec<OrgId>>> + Send;
    /// Records that an organisation uploaded an evidence file, with its audit
    /// records; `false` (and nothing written) if it had uploaded it before.
    fn record_evidence(
        &self,
        rec: &EvidenceRecord,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Who uploaded a file, first upload first.
    fn evidence_records(
        &self,
        sha: &Sha256,
    ) -> impl Future<Output = Result<Vec<EvidenceRecord>>> + Send;
    /// The complaints that cite a file (as evidence, supplement or counter-notice).
    fn complaints_citing(
        &self,
        sha: &Sha256,
    ) -> impl Future<Output = Result<Vec<ComplaintId>>> + Send;
}

/// Which engine is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: one file, WAL, synchronous=FULL.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The SQL implementation of [`Store`] for both engines.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    dialect: Dialect,
}

use rightsguard_domain::chain::GENESIS;
/// Advisory lock key that serialises audit appends on PostgreSQL.
const AUDIT_LOCK: i64 = 0x0072_6761_7564_6974; // "rgaudit"

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl SqlStore {
    /// Connects to `sqlite:PATH` (created if missing) or `postgres://...` and
    /// runs the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Dialect::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        let pool = match dialect {
            Dialect::Sqlite => {
                let url = if url.contains('?') {
                    url.to_owned()
                } else {
                    format!("{url}?mode=rwc")
                };
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::raw_sql(
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
                                 PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
                            )
                            .execute(conn)
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(AnyConnectOptions::from_str(&url)?)
                    .await?
            }
            Dialect::Postgres => {
                // A request waits at most 5 s for a connection: while the
                // database is down it fails fast (503, retry) instead of
                // hanging; the pool reconnects by itself when it is back.
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(std::time::Duration::from_secs(5))
                    .connect(url)
                    .await?
            }
        };
        let store = Self { pool, dialect };
        match dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&store.pool).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&store.pool).await?,
        }
        Ok(store)
    }

    /// The engine in use.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The pool, for tests and admin tools that must reach under the trait.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begins a write transaction that appends no audit records: SQLite's
    /// write lock up front (no upgrade deadlock), on PostgreSQL a plain
    /// transaction, so such writes run in parallel.
    async fn begin_rows(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.dialect {
            Dialect::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Dialect::Postgres => Ok(self.pool.begin().await?),
        }
    }

    /// Begins a write transaction holding the engine's write lock for audit appends.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.dialect {
            Dialect::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Dialect::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(AUDIT_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }
}

fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

fn from_micros(us: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(format!("instant {us}: {e}")))
}

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

fn from_json<T: for<'de> Deserialize<'de>>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// The subject as stored: `right:ID`, `complaint:ID` or `complaint:ID/LISTING`, `notifier:ORG`,
/// `account:ORG`, `evidence:SHA256`.
pub fn subject_key(s: &Subject) -> String {
    match s {
        Subject::Right { right } => format!("right:{right}"),
        Subject::Complaint {
            complaint,
            listing: None,
        } => format!("complaint:{complaint}"),
        Subject::Complaint {
            complaint,
            listing: Some(l),
        } => format!("complaint:{complaint}/{l}"),
        Subject::Notifier { notifier } => format!("notifier:{notifier}"),
        Subject::Account { org } => format!("account:{org}"),
        Subject::Evidence { sha256 } => format!("evidence:{sha256}"),
        Subject::Listing { listing } => format!("listing:{listing}"),
        Subject::BlockTerm { term } => format!("block_term:{term}"),
        Subject::Authorisation { authorisation } => format!("authorisation:{authorisation}"),
        Subject::Store { seller } => format!("store:{seller}"),
    }
}

pub use rightsguard_domain::chain::chain_hash;

async fn append_audit(tx: &mut sqlx::AnyConnection, events: &[DomainEvent]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *tx)
        .await?;
    let (mut seq, mut prev): (i64, String) = match last {
        Some(r) => (r.try_get(0)?, r.try_get(1)?),
        None => (0, GENESIS.to_owned()),
    };
    for e in events {
        seq += 1;
        let subject = subject_key(&e.subject);
        let json = to_json(e)?;
        let at = micros(e.at);
        let hash = chain_hash(&prev, seq, at, &subject, &json);
        sqlx::query("INSERT INTO audit_log (seq, at, subject, event, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(seq)
            .bind(at)
            .bind(&subject)
            .bind(&json)
            .bind(&prev)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
        webhooks::append_outbox(&mut *tx, seq, e).await?;
        notifications::append_notifications(&mut *tx, seq, e).await?;
        prev = hash;
    }
    Ok(())
}

/// Writes a complaint (new when `expected_version` is `None`), its index rows,
/// audit records and jobs inside the caller's write transaction; returns the
/// new version. Shared by [`Store::save_complaint`] and the keyed writes of
/// [`idempotency`].
async fn write_complaint(
    tx: &mut sqlx::AnyConnection,
    c: &Complaint,
    expected_version: Option<i64>,
    events: &[DomainEvent],
    jobs: &[NewJob],
) -> Result<i64> {
    let version = match expected_version {
        None => {
            let inserted = sqlx::query(
                "INSERT INTO complaints (id, complainant, filed_by, right_id, submitted_at, body, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, 1)",
            )
            .bind(c.id.as_str())
            .bind(c.complainant.as_str())
            .bind(c.filed_by.as_str())
            .bind(c.right.as_str())
            .bind(micros(c.submitted_at))
            .bind(to_json(c)?)
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Duplicate(format!("complaint {}", c.id)));
                }
                r => r?,
            };
            1
        }
        Some(v) => {
            let done = sqlx::query("UPDATE complaints SET body = $1, version = version + 1 WHERE id = $2 AND version = $3")
                .bind(to_json(c)?)
                .bind(c.id.as_str())
                .bind(v)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict(format!("complaint {}", c.id)));
            }
            v + 1
        }
    };
    // A command changes one listing of up to 300: write only the index
    // rows that differ from what is stored, not every row again.
    let stored: HashMap<String, (String, i64)> = if expected_version.is_some() {
        sqlx::query(
            "SELECT listing_id, state, review_due FROM complaint_items WHERE complaint_id = $1",
        )
        .bind(c.id.as_str())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?))))
        .collect::<Result<_>>()?
    } else {
        HashMap::new()
    };
    for i in &c.items {
        let row = (i.state.name(), micros(i.review_due));
        let q = match stored.get(i.listing.as_str()) {
            Some((state, due)) if (state.as_str(), *due) == row => continue,
            Some(_) => sqlx::query(
                "UPDATE complaint_items SET state = $1, review_due = $2 WHERE complaint_id = $3 AND listing_id = $4",
            )
            .bind(row.0)
            .bind(row.1)
            .bind(c.id.as_str())
            .bind(i.listing.as_str()),
            None => sqlx::query(
                "INSERT INTO complaint_items (complaint_id, listing_id, seller, state, review_due) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(c.id.as_str())
            .bind(i.listing.as_str())
            .bind(i.seller.as_str())
            .bind(row.0)
            .bind(row.1),
        };
        q.execute(&mut *tx).await?;
    }
    cite_evidence(&mut *tx, c, events).await?;
    append_audit(&mut *tx, events).await?;
    insert_jobs(&mut *tx, jobs).await?;
    Ok(version)
}

async fn insert_jobs(tx: &mut sqlx::AnyConnection, jobs: &[NewJob]) -> Result<()> {
    for j in jobs {
        sqlx::query(
            "INSERT INTO jobs (key, kind, payload, due_at, attempts) VALUES ($1, $2, $3, $4, 0) ON CONFLICT (key) DO NOTHING",
        )
        .bind(&j.key)
        .bind(&j.kind)
        .bind(to_json(&j.payload)?)
        .bind(micros(j.due_at))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

fn state_name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.get("state").and_then(|s| s.as_str()).map(str::to_owned))
        })
        .unwrap_or_default()
}

fn audit_row(r: &AnyRow) -> Result<AuditRecord> {
    let event: String = r.try_get("event")?;
    Ok(AuditRecord {
        seq: r.try_get("seq")?,
        subject: r.try_get("subject")?,
        event: from_json(&event, "audit event")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

fn job_row(r: &AnyRow) -> Result<Job> {
    let payload: String = r.try_get("payload")?;
    Ok(Job {
        id: r.try_get("id")?,
        key: r.try_get("key")?,
        kind: r.try_get("kind")?,
        payload: from_json(&payload, "job payload")?,
        due_at: from_micros(r.try_get("due_at")?)?,
        attempts: r.try_get("attempts")?,
    })
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn role_name(role: Role) -> String {
    state_name(&role)
}

fn parse_role(s: &str) -> Result<Role> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| StoreError::Corrupt(format!("role {s:?}: {e}")))
}

fn org_row(r: &AnyRow) -> Result<Org> {
    Ok(Org {
        id: OrgId::parse(&r.try_get::<String, _>("id")?).map_err(corrupt)?,
        kind: OrgKind::parse(&r.try_get::<String, _>("kind")?).map_err(corrupt)?,
        name: DisplayName::parse(&r.try_get::<String, _>("name")?).map_err(corrupt)?,
    })
}

fn user_row(r: &AnyRow) -> Result<User> {
    Ok(User {
        id: UserId::parse(&r.try_get::<String, _>("id")?).map_err(corrupt)?,
        org: OrgId::parse(&r.try_get::<String, _>("org_id")?).map_err(corrupt)?,
        role: parse_role(&r.try_get::<String, _>("role")?)?,
        name: DisplayName::parse(&r.try_get::<String, _>("name")?).map_err(corrupt)?,
    })
}

pub(crate) fn token_row(r: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.try_get("id")?,
        user: UserId::parse(&r.try_get::<String, _>("user_id")?).map_err(corrupt)?,
        sha256: Sha256::parse(&r.try_get::<String, _>("sha256")?).map_err(corrupt)?,
        created_at: from_micros(r.try_get("created_at")?)?,
        revoked_at: r
            .try_get::<Option<i64>, _>("revoked_at")?
            .map(from_micros)
            .transpose()?,
    })
}

/// Indexes the evidence a complaint cites: its own, and what this save's
/// events add (supplements, counter-notices). Evidence is never un-cited, so
/// rows are only ever added.
async fn cite_evidence(
    tx: &mut sqlx::AnyConnection,
    c: &Complaint,
    events: &[DomainEvent],
) -> Result<()> {
    let mut cited: std::collections::BTreeSet<&Sha256> = c.evidence.iter().collect();
    for e in events {
        match &e.kind {
            EventKind::EvidenceSupplemented { evidence, .. }
            | EventKind::CounterNoticeSubmitted { evidence, .. } => cited.extend(evidence),
            _ => {}
        }
    }
    for sha in cited {
        sqlx::query(
            "INSERT INTO evidence_citations (sha256, complaint_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(sha.to_string())
        .bind(c.id.as_str())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

impl SqlStore {
    /// Runs an insert and appends its audit records in one transaction,
    /// turning a unique violation into [`StoreError::Duplicate`].
    async fn insert_audited(
        &self,
        q: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
        what: String,
        events: &[DomainEvent],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        match q.execute(&mut *tx).await {
            Err(e) if is_unique_violation(&e) => return Err(StoreError::Duplicate(what)),
            r => r?,
        };
        append_audit(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl Store for SqlStore {
    async fn create_right(&self, right: &Right, events: &[DomainEvent]) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO rights (id, owner, state, body, version) VALUES ($1, $2, $3, $4, 1)",
        )
        .bind(right.id.as_str())
        .bind(right.owner.as_str())
        .bind(state_name(&right.state))
        .bind(to_json(right)?)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Duplicate(format!("right {}", right.id)));
            }
            r => r?,
        };
        for c in right
            .certificates
            .iter()
            .chain(right.cn_extension_certificate.iter())
        {
            sqlx::query(
                "INSERT INTO right_certificates (sha256, right_id, owner) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(c.to_string())
            .bind(right.id.as_str())
            .bind(right.owner.as_str())
            .execute(&mut *tx)
            .await?;
        }
        append_audit(&mut tx, events).await?;
        tx.commit().await?;
        Ok(1)
    }

    async fn save_right(
        &self,
        right: &Right,
        expected_version: i64,
        events: &[DomainEvent],
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE rights SET state = $1, body = $2, version = version + 1 WHERE id = $3 AND version = $4")
            .bind(state_name(&right.state))
            .bind(to_json(right)?)
            .bind(right.id.as_str())
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("right {}", right.id)));
        }
        append_audit(&mut tx, events).await?;
        tx.commit().await?;
        Ok(expected_version + 1)
    }

    async fn right(&self, id: &RightId) -> Result<Option<Versioned<Right>>> {
        let row = sqlx::query("SELECT body, version FROM rights WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let body: String = r.try_get(0)?;
            Ok(Versioned {
                value: from_json(&body, "right")?,
                version: r.try_get(1)?,
            })
        })
        .transpose()
    }

    async fn rights_of(&self, owner: &OrgId) -> Result<Vec<Right>> {
        let rows = sqlx::query("SELECT body FROM rights WHERE owner = $1 ORDER BY id")
            .bind(owner.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| from_json(&r.try_get::<String, _>(0)?, "right"))
            .collect()
    }

    async fn rights_with_certificate(&self, sha: &Sha256) -> Result<Vec<Right>> {
        let rows = sqlx::query(
            "SELECT r.body FROM right_certificates c JOIN rights r ON r.id = c.right_id WHERE c.sha256 = $1 ORDER BY r.id",
        )
        .bind(sha.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| from_json(&r.try_get::<String, _>(0)?, "right"))
            .collect()
    }

    async fn save_complaint(
        &self,
        c: &Complaint,
        expected_version: Option<i64>,
        events: &[DomainEvent],
        jobs: &[NewJob],
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let version = write_complaint(&mut tx, c, expected_version, events, jobs).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn complaint(&self, id: &ComplaintId) -> Result<Option<Versioned<Complaint>>> {
        let row = sqlx::query("SELECT body, version FROM complaints WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let body: String = r.try_get(0)?;
            Ok(Versioned {
                value: from_json(&body, "complaint")?,
                version: r.try_get(1)?,
            })
        })
        .transpose()
    }

    async fn review_queue(&self, limit: i64) -> Result<Vec<QueueEntry>> {
        let rows = sqlx::query(
            "SELECT complaint_id, listing_id, review_due FROM complaint_items WHERE state = 'under_review' \
             ORDER BY review_due, complaint_id, listing_id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let c: String = r.try_get(0)?;
                Ok(QueueEntry {
                    complaint: ComplaintId::parse(&c)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    listing: r.try_get(1)?,
                    review_due: from_micros(r.try_get(2)?)?,
                })
            })
            .collect()
    }

    async fn complaints_against(&self, seller: &OrgId) -> Result<Vec<Complaint>> {
        let rows = sqlx::query(
            "SELECT body FROM complaints WHERE id IN \
             (SELECT complaint_id FROM complaint_items WHERE seller = $1) ORDER BY id",
        )
        .bind(seller.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| from_json(&r.try_get::<String, _>(0)?, "complaint"))
            .collect()
    }

    async fn audit_of(&self, subject: &Subject) -> Result<Vec<AuditRecord>> {
        let key = subject_key(subject);
        let rows = sqlx::query(
            "SELECT seq, subject, event, prev_hash, hash FROM audit_log WHERE subject = $1 OR subject LIKE $2 ORDER BY seq",
        )
        .bind(&key)
        .bind(format!("{key}/%"))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(audit_row).collect()
    }

    async fn verify_audit(&self, anchor: Option<(i64, String)>) -> Result<AuditReport> {
        // Streamed in pages so a long log is checked in bounded memory.
        let mut prev = GENESIS.to_owned();
        let mut expected_seq = 1i64;
        let mut records = 0i64;
        let mut head = None;
        loop {
            let rows = sqlx::query(
                "SELECT seq, at, subject, event, prev_hash, hash FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT 1000",
            )
            .bind(expected_seq)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let seq: i64 = r.try_get("seq")?;
                let at: i64 = r.try_get("at")?;
                let subject: String = r.try_get("subject")?;
                let event: String = r.try_get("event")?;
                let stored_prev: String = r.try_get("prev_hash")?;
                let hash: String = r.try_get("hash")?;
                let bad = if seq != expected_seq {
                    Some(format!(
                        "expected record {expected_seq}, found {seq}: records missing"
                    ))
                } else if anchor
                    .as_ref()
                    .is_some_and(|(s, h)| *s == seq && *h != hash)
                {
                    Some("does not carry the recorded head hash: the log was rewritten".to_owned())
                } else if stored_prev != prev {
                    Some("previous-hash link broken".to_owned())
                } else if chain_hash(&prev, seq, at, &subject, &event) != hash {
                    Some("content does not match its hash: the record was edited".to_owned())
                } else {
                    None
                };
                if let Some(why) = bad {
                    return Ok(AuditReport {
                        records,
                        head,
                        first_bad: Some((seq.min(expected_seq), why)),
                    });
                }
                records += 1;
                expected_seq += 1;
                head = Some((seq, hash.clone()));
                prev = hash;
            }
        }
        if let Some((s, _)) = anchor
            && s > records
        {
            let why = format!(
                "the log ends at record {records}, before the recorded head {s}: truncated"
            );
            return Ok(AuditReport {
                records,
                head,
                first_bad: Some((records + 1, why)),
            });
        }
        Ok(AuditReport {
            records,
            head,
            first_bad: None,
        })
    }

    async fn claim_due_jobs(
        &self,
        now: Timestamp,
        owner: &str,
        lease: SignedDuration,
        limit: i64,
    ) -> Result<Vec<Job>> {
        let until = now
            .checked_add(lease)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let sql = match self.dialect {
            Dialect::Sqlite => {
                "UPDATE jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 WHERE id IN \
                 (SELECT id FROM jobs WHERE done_at IS NULL AND due_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) \
                 ORDER BY due_at, id LIMIT $4) RETURNING id, key, kind, payload, due_at, attempts"
            }
            Dialect::Postgres => {
                "UPDATE jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 WHERE id IN \
                 (SELECT id FROM jobs WHERE done_at IS NULL AND due_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) \
                 ORDER BY due_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING id, key, kind, payload, due_at, attempts"
            }
        };
        let mut tx = match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.pool.begin().await?,
        };
        let rows = sqlx::query(sql)
            .bind(owner)
            .bind(micros(until))
            .bind(micros(now))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut jobs = rows.iter().map(job_row).collect::<Result<Vec<_>>>()?;
        jobs.sort_by(|a, b| a.due_at.cmp(&b.due_at).then(a.id.cmp(&b.id)));
        Ok(jobs)
    }

    async fn complete_job(&self, id: i64, owner: &str, now: Timestamp) -> Result<bool> {
        let done = sqlx::query("UPDATE jobs SET done_at = $1, lease_until = NULL WHERE id = $2 AND lease_owner = $3 AND done_at IS NULL")
            .bind(micros(now))
            .bind(id)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn fail_job(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry_at: Timestamp,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET last_error = $1, due_at = $2, lease_owner = NULL, lease_until = NULL \
             WHERE id = $3 AND lease_owner = $4 AND done_at IS NULL",
        )
        .bind(error)
        .bind(micros(retry_at))
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn create_org(&self, org: &Org, events: &[DomainEvent]) -> Result<()> {
        let q = sqlx::query("INSERT INTO orgs (id, kind, name) VALUES ($1, $2, $3)")
            .bind(org.id.as_str())
            .bind(org.kind.as_str())
            .bind(org.name.as_str());
        self.insert_audited(q, format!("organisation {}", org.id), events)
            .await
    }

    async fn org(&self, id: &OrgId) -> Result<Option<Org>> {
        sqlx::query("SELECT id, kind, name FROM orgs WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(org_row)
            .transpose()
    }

    async fn create_user(&self, user: &User, events: &[DomainEvent]) -> Result<()> {
        let q = sqlx::query("INSERT INTO users (id, org_id, role, name) VALUES ($1, $2, $3, $4)")
            .bind(user.id.as_str())
            .bind(user.org.as_str())
            .bind(role_name(user.role))
            .bind(user.name.as_str());
        self.insert_audited(q, format!("user {}", user.id), events)
            .await
    }

    async fn user(&self, id: &UserId) -> Result<Option<User>> {
        sqlx::query("SELECT id, org_id, role, name FROM users WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_row)
            .transpose()
    }

    async fn create_api_token(&self, token: &ApiToken, events: &[DomainEvent]) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO api_tokens (id, user_id, sha256, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token.id.as_str())
        .bind(token.user.as_str())
        .bind(token.sha256.to_string())
        .bind(micros(token.created_at))
        .bind(token.revoked_at.map(micros));
        self.insert_audited(q, format!("api token {}", token.id), events)
            .await
    }

    async fn api_token(&self, id: &str) -> Result<Option<ApiToken>> {
        sqlx::query(
            "SELECT id, user_id, sha256, created_at, revoked_at FROM api_tokens WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(token_row)
        .transpose()
    }

    async fn api_token_by_hash(&self, sha: &Sha256) -> Result<Option<ApiToken>> {
        sqlx::query(
            "SELECT id, user_id, sha256, created_at, revoked_at FROM api_tokens WHERE sha256 = $1",
        )
        .bind(sha.to_string())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(token_row)
        .transpose()
    }

    async fn revoke_api_token(
        &self,
        id: &str,
        at: Timestamp,
        events: &[DomainEvent],
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(micros(at))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        append_audit(&mut tx, events).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn grant_power_of_attorney(
        &self,
        agent: &OrgId,
        principal: &OrgId,
        at: Timestamp,
        events: &[DomainEvent],
    ) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO powers_of_attorney (agent, principal, granted_at) VALUES ($1, $2, $3)",
        )
        .bind(agent.as_str())
        .bind(principal.as_str())
        .bind(micros(at));
        self.insert_audited(
            q,
            format!("power of attorney from {principal} to {agent}"),
            events,
        )
        .await
    }

    async fn powers_of_attorney(&self, agent: &OrgId) -> Result<Vec<OrgId>> {
        let rows = sqlx::query(
            "SELECT principal FROM powers_of_attorney WHERE agent = $1 ORDER BY principal",
        )
        .bind(agent.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| OrgId::parse(&r.try_get::<String, _>(0)?).map_err(corrupt))
            .collect()
    }

    async fn record_evidence(&self, rec: &EvidenceRecord, events: &[DomainEvent]) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let size = i64::try_from(rec.size).map_err(corrupt)?;
        let done = sqlx::query(
            "INSERT INTO evidence (sha256, org, uploaded_by, content_type, size, uploaded_at, captured_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(rec.sha256.to_string())
        .bind(rec.org.as_str())
        .bind(rec.uploaded_by.as_ref().map(|u| u.as_str().to_owned()))
        .bind(rec.content_type.as_str())
        .bind(size)
        .bind(micros(rec.uploaded_at))
        .bind(rec.captured_at.map(micros))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        append_audit(&mut tx, events).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn evidence_records(&self, sha: &Sha256) -> Result<Vec<EvidenceRecord>> {
        let rows = sqlx::query(
            "SELECT org, uploaded_by, content_type, size, uploaded_at, captured_at FROM evidence \
             WHERE sha256 = $1 ORDER BY uploaded_at, org",
        )
        .bind(sha.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EvidenceRecord {
                    sha256: *sha,
                    org: OrgId::parse(&r.try_get::<String, _>(0)?).map_err(corrupt)?,
                    uploaded_by: r
                        .try_get::<Option<String>, _>(1)?
                        .map(|u| UserId::parse(&u))
                        .transpose()
                        .map_err(corrupt)?,
                    content_type: r.try_get(2)?,
                    size: u64::try_from(r.try_get::<i64, _>(3)?).map_err(corrupt)?,
                    uploaded_at: from_micros(r.try_get(4)?)?,
                    captured_at: r
                        .try_get::<Option<i64>, _>(5)?
                        .map(from_micros)
                        .transpose()?,
                })
            })
            .collect()
    }

    async fn complaints_citing(&self, sha: &Sha256) -> Result<Vec<ComplaintId>> {
        let rows = sqlx::query(
            "SELECT complaint_id FROM evidence_citations WHERE sha256 = $1 ORDER BY complaint_id",
        )
        .bind(sha.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| ComplaintId::parse(&r.try_get::<String, _>(0)?).map_err(corrupt))
            .collect()
    }
}
