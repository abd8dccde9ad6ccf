//! Idempotency keys: a keyed write and the record of its answer commit in
//! **one transaction**.
//!
//! A client that retries a write under an `Idempotency-Key` must get the
//! first answer back, never a second effect. The store guarantees the half of
//! that which survives crashes: [`IdempotencyStore::save_complaints_keyed`]
//! writes the complaints (their index rows, audit records and jobs, exactly
//! as [`Store::save_complaint`] does) **and** the key's row holding the final
//! response in the same write transaction. So a crash either loses both (the
//! retry runs the write afresh) or keeps both (the retry replays); a complaint
//! acknowledged under a key can never lose its key, and a key can never name
//! a write that did not happen.
//!
//! There is deliberately no "in flight" row. Such a row would have to be
//! committed before the work and cleaned up after it, and a crash in between
//! would leave it behind, blocking the key until some lease ran out. Instead
//! the key is checked again *inside* the write transaction, which holds the
//! engine's write lock (SQLite `BEGIN IMMEDIATE`, the PostgreSQL advisory
//! lock of every write): if another request, on this server or another
//! replica, committed the key first, nothing is written and the caller gets
//! that request's record ([`KeyedSave::Existing`]) to replay or refuse. The
//! `(scope, key)` primary key backs this up. Telling a client "still in
//! flight" (409) while its first request runs is the app's job, from memory,
//! which a crash wipes with the process.
//!
//! Rows expire (`expires_at`, set by the caller from its clock): an expired
//! row is invisible to [`IdempotencyStore::idempotency_record`], and every
//! keyed write first deletes the expired rows, so the table holds about a
//! day of keys without a separate sweeper ([`IdempotencyStore::purge_expired_keys`]
//! exists for a timer all the same).

use std::future::Future;

use jiff::Timestamp;
use rightsguard_domain::complaint::Complaint;
use rightsguard_domain::event::DomainEvent;
use sqlx::Row;

use crate::{NewJob, Result, SqlStore, Store, StoreError, from_micros, micros, write_complaint};

/// The first answer to a keyed request, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// Whose key it is (the caller: organisation and user); keys of different
    /// callers never meet.
    pub scope: String,
    /// The client's key.
    pub key: String,
    /// SHA-256 (hex) of the operation and its canonical request: the same key
    /// with another fingerprint is a reused key, not a retry.
    pub fingerprint: String,
    /// The HTTP status of the first answer.
    pub status: u16,
    /// Its body (JSON text).
    pub body: String,
    /// When it was recorded.
    pub created_at: Timestamp,
    /// When the key may be forgotten (and reused for something else).
    pub expires_at: Timestamp,
}

/// One complaint to write with a keyed request.
#[derive(Debug, Clone, Copy)]
pub struct ComplaintWrite<'a> {
    /// The complaint's new state.
    pub complaint: &'a Complaint,
    /// `None` for a new complaint, else the version it was loaded at.
    pub expected_version: Option<i64>,
    /// Its audit events.
    pub events: &'a [DomainEvent],
    /// The jobs it schedules.
    pub jobs: &'a [NewJob],
}

/// What a keyed save did.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyedSave {
    /// Everything was written; the new version of each complaint, in order.
    Saved(Vec<i64>),
    /// The key was taken (unexpired) when the transaction began: nothing was
    /// written; here is the record that holds it.
    Existing(IdempotencyRecord),
}

/// Storage of idempotency keys, beside [`Store`].
pub trait IdempotencyStore: Store {
    /// The unexpired record of `key` in `scope` at `now`, if any.
    fn idempotency_record(
        &self,
        scope: &str,
        key: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<IdempotencyRecord>>> + Send;

    /// Writes `writes` and, if given, `record` in one transaction. With a
    /// record whose key is already held (unexpired at `record.created_at`),
    /// writes nothing and returns the holder. A failed write (conflict,
    /// duplicate id) fails the whole call, record included.
    fn save_complaints_keyed(
        &self,
        writes: &[ComplaintWrite<'_>],
        record: Option<&IdempotencyRecord>,
    ) -> impl Future<Output = Result<KeyedSave>> + Send;

    /// Deletes the records expired at `now`; returns how many.
    fn purge_expired_keys(&self, now: Timestamp) -> impl Future<Output = Result<u64>> + Send;
}

fn record_row(r: &sqlx::any::AnyRow) -> Result<IdempotencyRecord> {
    let status: i64 = r.try_get("status")?;
    Ok(IdempotencyRecord {
        scope: r.try_get("scope")?,
        key: r.try_get("key")?,
        fingerprint: r.try_get("fingerprint")?,
        status: u16::try_from(status)
            .map_err(|_| StoreError::Corrupt(format!("idempotency status {status}")))?,
        body: r.try_get("body")?,
        created_at: from_micros(r.try_get("created_at")?)?,
        expires_at: from_micros(r.try_get("expires_at")?)?,
    })
}

const SELECT: &str = "SELECT scope, key, fingerprint, status, body, created_at, expires_at \
     FROM idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at > $3";

impl IdempotencyStore for SqlStore {
    async fn idempotency_record(
        &self,
        scope: &str,
        key: &str,
        now: Timestamp,
    ) -> Result<Option<IdempotencyRecord>> {
        sqlx::query(SELECT)
            .bind(scope)
            .bind(key)
            .bind(micros(now))
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(record_row)
            .transpose()
    }

    async fn save_complaints_keyed(
        &self,
        writes: &[ComplaintWrite<'_>],
        record: Option<&IdempotencyRecord>,
    ) -> Result<KeyedSave> {
        let mut tx = self.begin_write().await?;
        if let Some(rec) = record {
            let now = micros(rec.created_at);
            sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            // Under the write lock: whoever committed this key first is seen.
            let held = sqlx::query(SELECT)
                .bind(&rec.scope)
                .bind(&rec.key)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(row) = held {
                let existing = record_row(&row)?;
                tx.rollback().await?;
                return Ok(KeyedSave::Existing(existing));
            }
        }
        let mut versions = Vec::with_capacity(writes.len());
        for w in writes {
            versions.push(
                write_complaint(&mut tx, w.complaint, w.expected_version, w.events, w.jobs).await?,
            );
        }
        if let Some(rec) = record {
            sqlx::query(
                "INSERT INTO idempotency_keys (scope, key, fingerprint, status, body, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&rec.scope)
            .bind(&rec.key)
            .bind(&rec.fingerprint)
            .bind(i64::from(rec.status))
            .bind(&rec.body)
            .bind(micros(rec.created_at))
            .bind(micros(rec.expires_at))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(KeyedSave::Saved(versions))
    }

    async fn purge_expired_keys(&self, now: Timestamp) -> Result<u64> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1")
            .bind(micros(now))
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
