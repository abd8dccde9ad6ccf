//! Customs recordals of rights and escalation proceedings of complaints.
//!
//! Each write is one transaction holding the row, its audit records and the
//! jobs it schedules (the reminder before a recordal lapses), like every
//! other audited write. A recordal is keyed by customs' number, so a
//! duplicate is [`StoreError::Duplicate`] whatever right it names; a renewal
//! is an optimistic update (`version`), so two renewals racing cannot both
//! win. A proceeding is keyed by (complaint, route, reference) and recording
//! it again replaces it, if it still is what the caller read (its documents
//! accumulate, so a record made from a stale read would drop one); its
//! documents are cited by the complaint in the same transaction, so the
//! complaint's parties may read them as they read its evidence.

use std::future::Future;

use jiff::Timestamp;
use rightsguard_domain::customs::CustomsRecordal;
use rightsguard_domain::escalation::{Proceeding, Route};
use rightsguard_domain::event::DomainEvent;
use rightsguard_domain::ids::{ComplaintId, RightId};
use sqlx::Row;

use crate::{
    NewJob, Result, SqlStore, StoreError, Versioned, append_audit, from_json, insert_jobs,
    is_unique_violation, micros, to_json,
};

/// The job that reminds a holder that a customs recordal lapses soon
/// (payload: right, number, valid_until, days).
pub const REMIND_CUSTOMS_LAPSE: &str = "remind_customs_lapse";

/// The storage operations of customs recordals and escalation proceedings.
pub trait CustomsStore: Send + Sync {
    /// Stores a new recordal with its audit records and jobs;
    /// [`StoreError::Duplicate`] if its number is taken.
    fn create_customs_recordal(
        &self,
        rec: &CustomsRecordal,
        events: &[DomainEvent],
        jobs: &[NewJob],
    ) -> impl Future<Output = Result<()>> + Send;
    /// Saves a changed recordal (a renewal) if it is still at
    /// `expected_version`, with its audit records and jobs.
    fn save_customs_recordal(
        &self,
        rec: &CustomsRecordal,
        expected_version: i64,
        events: &[DomainEvent],
        jobs: &[NewJob],
    ) -> impl Future<Output = Result<i64>> + Send;
    /// A recordal by number.
    fn customs_recordal(
        &self,
        number: &str,
    ) -> impl Future<Output = Result<Option<Versioned<CustomsRecordal>>>> + Send;
    /// A right's recordals, by number.
    fn customs_recordals_of(
        &self,
        right: &RightId,
    ) -> impl Future<Output = Result<Vec<CustomsRecordal>>> + Send;
    /// Records a proceeding (replacing the one with the same complaint,
    /// route and reference, which must still be `previous`, else
    /// [`StoreError::Conflict`]) with its audit records, and cites its
    /// documents as evidence of the complaint.
    fn record_proceeding(
        &self,
        p: &Proceeding,
        previous: Option<&Proceeding>,
        at: Timestamp,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<()>> + Send;
    /// One proceeding of a complaint.
    fn proceeding(
        &self,
        complaint: &ComplaintId,
        route: Route,
        reference: &str,
    ) -> impl Future<Output = Result<Option<Proceeding>>> + Send;
    /// A complaint's proceedings, by route and reference.
    fn proceedings_of(
        &self,
        complaint: &ComplaintId,
    ) -> impl Future<Output = Result<Vec<Proceeding>>> + Send;
}

impl CustomsStore for SqlStore {
    async fn create_customs_recordal(
        &self,
        rec: &CustomsRecordal,
        events: &[DomainEvent],
        jobs: &[NewJob],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO customs_recordals (number, right_id, valid_until, body, version) \
             VALUES ($1, $2, $3, $4, 1)",
        )
        .bind(&rec.number)
        .bind(rec.right.as_str())
        .bind(rec.valid_until.to_string())
        .bind(to_json(rec)?)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Duplicate(format!(
                    "customs recordal {}",
                    rec.number
                )));
            }
            r => r?,
        };
        append_audit(&mut tx, events).await?;
        insert_jobs(&mut tx, jobs).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn save_customs_recordal(
        &self,
        rec: &CustomsRecordal,
        expected_version: i64,
        events: &[DomainEvent],
        jobs: &[NewJob],
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE customs_recordals SET valid_until = $1, body = $2, version = version + 1 \
             WHERE number = $3 AND right_id = $4 AND version = $5",
        )
        .bind(rec.valid_until.to_string())
        .bind(to_json(rec)?)
        .bind(&rec.number)
        .bind(rec.right.as_str())
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "customs recordal {}",
                rec.number
            )));
        }
        append_audit(&mut tx, events).await?;
        insert_jobs(&mut tx, jobs).await?;
        tx.commit().await?;
        Ok(expected_version + 1)
    }

    async fn customs_recordal(&self, number: &str) -> Result<Option<Versioned<CustomsRecordal>>> {
        sqlx::query("SELECT body, version FROM customs_recordals WHERE number = $1")
            .bind(number)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| {
                Ok(Versioned {
                    value: from_json(&r.try_get::<String, _>(0)?, "customs recordal")?,
                    version: r.try_get(1)?,
                })
            })
            .transpose()
    }

    async fn customs_recordals_of(&self, right: &RightId) -> Result<Vec<CustomsRecordal>> {
        sqlx::query("SELECT body FROM customs_recordals WHERE right_id = $1 ORDER BY number")
            .bind(right.as_str())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| from_json(&r.try_get::<String, _>(0)?, "customs recordal"))
            .collect()
    }

    async fn record_proceeding(
        &self,
        p: &Proceeding,
        previous: Option<&Proceeding>,
        at: Timestamp,
        events: &[DomainEvent],
    ) -> Result<()> {
        // Writes are serialised (see `begin_write`), so what is read here
        // stays until the commit.
        let mut tx = self.begin_write().await?;
        let stored: Option<Proceeding> = sqlx::query(
            "SELECT body FROM escalation_proceedings \
             WHERE complaint_id = $1 AND route = $2 AND reference = $3",
        )
        .bind(p.complaint.as_str())
        .bind(p.route.as_str())
        .bind(&p.reference)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| from_json(&r.try_get::<String, _>(0)?, "escalation proceeding"))
        .transpose()?;
        if stored.as_ref() != previous {
            return Err(StoreError::Conflict(format!(
                "escalation proceeding {} {} of complaint {}",
                p.route.as_str(),
                p.reference,
                p.complaint
            )));
        }
        sqlx::query(
            "INSERT INTO escalation_proceedings (complaint_id, route, reference, body, recorded_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (complaint_id, route, reference) \
             DO UPDATE SET body = excluded.body, recorded_at = excluded.recorded_at",
        )
        .bind(p.complaint.as_str())
        .bind(p.route.as_str())
        .bind(&p.reference)
        .bind(to_json(p)?)
        .bind(micros(at))
        .execute(&mut *tx)
        .await?;
        for d in &p.documents {
            sqlx::query(
                "INSERT INTO evidence_citations (sha256, complaint_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(d.sha256.to_string())
            .bind(p.complaint.as_str())
            .execute(&mut *tx)
            .await?;
        }
        append_audit(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn proceeding(
        &self,
        complaint: &ComplaintId,
        route: Route,
        reference: &str,
    ) -> Result<Option<Proceeding>> {
        sqlx::query(
            "SELECT body FROM escalation_proceedings \
             WHERE complaint_id = $1 AND route = $2 AND reference = $3",
        )
        .bind(complaint.as_str())
        .bind(route.as_str())
        .bind(reference)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| from_json(&r.try_get::<String, _>(0)?, "escalation proceeding"))
        .transpose()
    }

    async fn proceedings_of(&self, complaint: &ComplaintId) -> Result<Vec<Proceeding>> {
        sqlx::query(
            "SELECT body FROM escalation_proceedings WHERE complaint_id = $1 ORDER BY route, reference",
        )
        .bind(complaint.as_str())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| from_json(&r.try_get::<String, _>(0)?, "escalation proceeding"))
        .collect()
    }
}
