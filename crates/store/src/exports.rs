//! Reads for the exports: DSA statements of reasons, Lumen-style notices, CSV
//! and the transparency report.
//!
//! Decisions are read back as the typed audit events they were recorded as
//! ([`AuditRecord::event`] is a [`rightsguard_domain::event::DomainEvent`]),
//! selected by subject (complaint listings and listings are where restricting
//! decisions are recorded) and paged by sequence number, so an export walks
//! the log once in bounded pages and a statement's puid leads back to its
//! record. Nothing here matches on the text of the event JSON.

use std::future::Future;

use jiff::Timestamp;
use rightsguard_domain::complaint::Complaint;
use rightsguard_domain::ids::OrgId;
use sqlx::Row;

use crate::{AuditRecord, Result, SqlStore, audit_row, corrupt, from_json, micros};

/// The storage reads of the exports.
pub trait ExportStore: Send + Sync {
    /// Audit records about complaint listings and listings with `seq > after`
    /// (and, with `before`, recorded before that instant), in order, at most
    /// `limit`.
    fn decision_records(
        &self,
        after: i64,
        before: Option<Timestamp>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<AuditRecord>>> + Send;
    /// One audit record by its sequence number.
    fn audit_record(&self, seq: i64) -> impl Future<Output = Result<Option<AuditRecord>>> + Send;
    /// Complaints in order of submission (then id); only those resting on
    /// `complainant`'s rights when given, and submitted before `before` when given.
    fn complaints_filed(
        &self,
        complainant: Option<&OrgId>,
        before: Option<Timestamp>,
    ) -> impl Future<Output = Result<Vec<Complaint>>> + Send;
    /// Every seller named in a complaint, in id order.
    fn sellers_named(&self) -> impl Future<Output = Result<Vec<OrgId>>> + Send;
}

impl ExportStore for SqlStore {
    async fn decision_records(
        &self,
        after: i64,
        before: Option<Timestamp>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            "SELECT seq, subject, event, prev_hash, hash FROM audit_log \
             WHERE seq > $1 AND at < $2 AND (subject LIKE 'complaint:%' OR subject LIKE 'listing:%') \
             ORDER BY seq LIMIT $3",
        )
        .bind(after)
        .bind(before.map(micros).unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(audit_row).collect()
    }

    async fn audit_record(&self, seq: i64) -> Result<Option<AuditRecord>> {
        let row = sqlx::query(
            "SELECT seq, subject, event, prev_hash, hash FROM audit_log WHERE seq = $1",
        )
        .bind(seq)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(audit_row).transpose()
    }

    async fn complaints_filed(
        &self,
        complainant: Option<&OrgId>,
        before: Option<Timestamp>,
    ) -> Result<Vec<Complaint>> {
        let before = before.map(micros).unwrap_or(i64::MAX);
        let rows =
            match complainant {
                Some(c) => {
                    sqlx::query(
                        "SELECT body FROM complaints WHERE complainant = $1 AND submitted_at < $2 \
                     ORDER BY submitted_at, id",
                    )
                    .bind(c.as_str())
                    .bind(before)
                    .fetch_all(&self.pool)
                    .await?
                }
                None => sqlx::query(
                    "SELECT body FROM complaints WHERE submitted_at < $1 ORDER BY submitted_at, id",
                )
                .bind(before)
                .fetch_all(&self.pool)
                .await?,
            };
        rows.iter()
            .map(|r| from_json(&r.try_get::<String, _>(0)?, "complaint"))
            .collect()
    }

    async fn sellers_named(&self) -> Result<Vec<OrgId>> {
        let rows = sqlx::query("SELECT DISTINCT seller FROM complaint_items ORDER BY seller")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| OrgId::parse(&r.try_get::<String, _>(0)?).map_err(corrupt))
            .collect()
    }
}
