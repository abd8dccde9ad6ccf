//! Work items the scale-out workers gave up, kept for admins.
//!
//! A `rightsguard worker` that gives an item up (it failed on its last
//! allowed delivery, its last delivery died with its worker, or it is not a
//! work item at all) records it here before it publishes the copy on
//! `<stream>.dead.<kind>` and ends the item's deliveries. One row per stream
//! message (stream name and sequence), so recording again after a crash adds
//! nothing.

use std::future::Future;

use jiff::Timestamp;
use sqlx::Row;

use crate::{Result, SqlStore, from_micros, micros};

/// A dead letter as the worker reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeadLetter {
    /// The stream it came from.
    pub stream: String,
    /// Its sequence number in that stream.
    pub stream_seq: i64,
    /// Its subject (`<stream>.work.<kind>`).
    pub subject: String,
    /// The kind of work (`listing`, `partition`, `feed`, or `unknown`).
    pub kind: String,
    /// Deliveries it had.
    pub deliveries: i64,
    /// Why it was given up (the last error).
    pub reason: String,
    /// The item as published.
    pub payload: String,
    /// When it was given up.
    pub at: Timestamp,
}

/// A stored dead letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Its id, in the order recorded.
    pub id: i64,
    /// What the worker reported.
    pub letter: NewDeadLetter,
}

/// The storage of dead letters.
pub trait DeadLetterStore: Send + Sync {
    /// Records a dead letter; `false` if that stream message was already recorded.
    fn record_dead_letter(
        &self,
        letter: &NewDeadLetter,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Dead letters, newest first, at most `limit`.
    fn dead_letters(&self, limit: i64) -> impl Future<Output = Result<Vec<DeadLetter>>> + Send;
}

impl DeadLetterStore for SqlStore {
    async fn record_dead_letter(&self, l: &NewDeadLetter) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO dead_letters (stream, stream_seq, subject, kind, deliveries, reason, payload, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (stream, stream_seq) DO NOTHING",
        )
        .bind(&l.stream)
        .bind(l.stream_seq)
        .bind(&l.subject)
        .bind(&l.kind)
        .bind(l.deliveries)
        .bind(&l.reason)
        .bind(&l.payload)
        .bind(micros(l.at))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn dead_letters(&self, limit: i64) -> Result<Vec<DeadLetter>> {
        let rows = sqlx::query(
            "SELECT id, stream, stream_seq, subject, kind, deliveries, reason, payload, at \
             FROM dead_letters ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeadLetter {
                    id: r.try_get("id")?,
                    letter: NewDeadLetter {
                        stream: r.try_get("stream")?,
                        stream_seq: r.try_get("stream_seq")?,
                        subject: r.try_get("subject")?,
                        kind: r.try_get("kind")?,
                        deliveries: r.try_get("deliveries")?,
                        reason: r.try_get("reason")?,
                        payload: r.try_get("payload")?,
                        at: from_micros(r.try_get("at")?)?,
                    },
                })
            })
            .collect()
    }
}
