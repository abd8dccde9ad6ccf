//! A store's status as announced to the marketplace.
//!
//! Penalties are computed from established complaints when read
//! ([`rightsguard_domain::penalty::assess`]); what the marketplace must act
//! on is the moment that status changes. The app records each change as a
//! `Store*` audit event (subject `store:SELLER`), which the outbox turns into
//! a `store.frozen` / `store.unfrozen` / `store.closed` action in the same
//! transaction. The last such event is the status announced; it is read back
//! from the audit log's subject index, so there is no second copy to drift.
//!
//! A change is written only if no other store event of the seller came in
//! between (checked under the write lock), so two workers syncing one
//! seller at once cannot announce the same change twice.

use std::future::Future;

use rightsguard_domain::event::{DomainEvent, Subject};
use rightsguard_domain::ids::OrgId;
use rightsguard_domain::penalty::{StoreStatus, announced_status};
use sqlx::Row;

use crate::{
    NewJob, Result, SqlStore, StoreError, append_audit, from_json, insert_jobs, subject_key,
};

/// The job that compares a seller's store status with the one announced and
/// records the change (payload `{"seller": ORG}`): scheduled when a
/// complaint against the seller is established or reversed, and at the end
/// of each freeze announced.
pub const SYNC_STORE_STATUS: &str = "sync_store_status";

/// A store's announced status and the audit record that announced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Announced {
    /// The status (`Active` if nothing was ever announced).
    pub status: StoreStatus,
    /// The audit record of the last store event (0 if none).
    pub seq: i64,
}

/// The job that syncs `seller`'s store status at `due`, keyed by `cause`
/// (an audit record, or the freeze's end) so scheduling it again is a no-op.
pub fn sync_job(seller: &OrgId, cause: &str, due: jiff::Timestamp) -> NewJob {
    NewJob {
        key: format!("{SYNC_STORE_STATUS}:{seller}:{cause}"),
        kind: SYNC_STORE_STATUS.to_owned(),
        payload: serde_json::json!({ "seller": seller }),
        due_at: due,
    }
}

/// The storage of announced store statuses.
pub trait PenaltyStore: Send + Sync {
    /// The status last announced for `seller`'s store.
    fn announced_store_status(
        &self,
        seller: &OrgId,
    ) -> impl Future<Output = Result<Announced>> + Send;
    /// Writes `events` (store events of `seller`: audit, outbox, deliveries)
    /// and `jobs` in one transaction, if the last store event of `seller` is
    /// still `seen`; [`StoreError::Conflict`] if another came in between.
    fn announce_store_status(
        &self,
        seller: &OrgId,
        seen: i64,
        events: &[DomainEvent],
        jobs: &[NewJob],
    ) -> impl Future<Output = Result<()>> + Send;
}

async fn last_store_event(
    conn: &mut sqlx::AnyConnection,
    seller: &OrgId,
) -> Result<Option<(i64, DomainEvent)>> {
    let subject = subject_key(&Subject::Store {
        seller: seller.clone(),
    });
    let row = sqlx::query(
        "SELECT seq, event FROM audit_log WHERE subject = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(subject)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get(0)?,
            from_json(&r.try_get::<String, _>(1)?, "store event")?,
        ))
    })
    .transpose()
}

impl PenaltyStore for SqlStore {
    async fn announced_store_status(&self, seller: &OrgId) -> Result<Announced> {
        let mut conn = self.pool().acquire().await?;
        Ok(match last_store_event(&mut conn, seller).await? {
            Some((seq, e)) => Announced {
                status: announced_status(&e.kind, e.at).unwrap_or(StoreStatus::Active),
                seq,
            },
            None => Announced {
                status: StoreStatus::Active,
                seq: 0,
            },
        })
    }

    async fn announce_store_status(
        &self,
        seller: &OrgId,
        seen: i64,
        events: &[DomainEvent],
        jobs: &[NewJob],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let now = last_store_event(&mut tx, seller)
            .await?
            .map_or(0, |(s, _)| s);
        if now != seen {
            return Err(StoreError::Conflict(format!("store status of {seller}")));
        }
        append_audit(&mut tx, events).await?;
        insert_jobs(&mut tx, jobs).await?;
        tx.commit().await?;
        Ok(())
    }
}
