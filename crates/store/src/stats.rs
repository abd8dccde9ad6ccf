//! Operational counts for `/metrics`: how much work is waiting and how late.
//!
//! These are aggregate numbers over the whole site (no tenant's data), read
//! with a handful of indexed `COUNT` queries when Prometheus scrapes, so a
//! scrape costs the same whatever the traffic was since the last one.

use jiff::Timestamp;
use rightsguard_domain::ids::OrgId;
use sqlx::Row;

use crate::{Result, SqlStore, from_micros, micros};

/// When a rights holder's work happened, for its dashboard's weekly bars.
///
/// Each call is one indexed range query returning the instants in
/// `[from, to)`; the caller buckets them by week in Rust. That keeps the SQL
/// the same on SQLite and PostgreSQL (no date functions, which differ), and
/// a rights holder has at most some thousands of rows in twelve weeks.
pub trait ActivityStore: Send + Sync {
    /// When `complainant`'s complaints were submitted.
    fn complaint_times(
        &self,
        complainant: &OrgId,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Future<Output = Result<Vec<Timestamp>>> + Send;
    /// When monitoring found listings for `owner`'s rights.
    fn finding_times(
        &self,
        owner: &OrgId,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Future<Output = Result<Vec<Timestamp>>> + Send;
}

impl SqlStore {
    async fn times(
        &self,
        sql: &'static str,
        org: &OrgId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Timestamp>> {
        sqlx::query(sql)
            .bind(org.as_str())
            .bind(micros(from))
            .bind(micros(to))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| from_micros(r.try_get::<i64, _>(0)?))
            .collect()
    }
}

impl ActivityStore for SqlStore {
    async fn complaint_times(
        &self,
        complainant: &OrgId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Timestamp>> {
        self.times(
            "SELECT submitted_at FROM complaints \
             WHERE complainant = $1 AND submitted_at >= $2 AND submitted_at < $3",
            complainant,
            from,
            to,
        )
        .await
    }

    async fn finding_times(
        &self,
        owner: &OrgId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Timestamp>> {
        self.times(
            "SELECT found_at FROM findings WHERE owner = $1 AND found_at >= $2 AND found_at < $3",
            owner,
            from,
            to,
        )
        .await
    }
}

/// Counts of waiting work at one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Complaint items per state (`under_review`, `taken_down`, ...).
    pub items_by_state: Vec<(String, i64)>,
    /// Items under review whose review is past due.
    pub review_overdue: i64,
    /// Jobs due and not done (claimed or not).
    pub jobs_due: i64,
    /// Jobs not done that failed at least once.
    pub jobs_retrying: i64,
    /// Records in the audit log.
    pub audit_records: i64,
    /// Webhook deliveries per status (`pending`, `delivered`, `failed`).
    pub webhook_deliveries: Vec<(String, i64)>,
}

impl SqlStore {
    /// Whether the database answers a trivial query (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(self.pool()).await?;
        Ok(())
    }

    /// The counts at `now`.
    pub async fn stats(&self, now: Timestamp) -> Result<Stats> {
        let now = micros(now);
        let rows = sqlx::query(
            "SELECT state, COUNT(*) FROM complaint_items GROUP BY state ORDER BY state",
        )
        .fetch_all(self.pool())
        .await?;
        let items_by_state = rows
            .iter()
            .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
            .collect::<Result<Vec<_>>>()?;
        let one = |sql: &'static str| async move {
            let r = sqlx::query(sql).bind(now).fetch_one(self.pool()).await?;
            Ok::<i64, crate::StoreError>(r.try_get::<i64, _>(0)?)
        };
        let review_overdue = one(
            "SELECT COUNT(*) FROM complaint_items WHERE state = 'under_review' AND review_due < $1",
        )
        .await?;
        let jobs_due =
            one("SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND due_at <= $1").await?;
        let jobs_retrying = one(
            "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND attempts > 1 AND due_at <= $1",
        )
        .await?;
        let audit_records = sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM audit_log")
            .fetch_one(self.pool())
            .await?
            .try_get::<i64, _>(0)?;
        let webhook_deliveries = sqlx::query(
            "SELECT status, COUNT(*) FROM webhook_deliveries GROUP BY status ORDER BY status",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
        .collect::<Result<Vec<_>>>()?;
        Ok(Stats {
            webhook_deliveries,
            items_by_state,
            review_overdue,
            jobs_due,
            jobs_retrying,
            audit_records,
        })
    }
}
