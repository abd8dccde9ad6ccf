//! Store freezes, unfreezes and closures as events the marketplace hears of.
//!
//! A seller's standing is computed from its established complaints; the
//! `sync_store_status` job (scheduled by the transaction that establishes or
//! reverses a complaint, and at each announced freeze's end) compares the
//! store status now with the one last announced and records the difference
//! as one `Store*` audit event, whose outbox row and webhook deliveries are
//! written by the same transaction. The job is idempotent: run twice, or
//! late, it finds nothing new to announce; a freeze moved by a later penalty
//! is announced with its new end, so the job left at the old end unfreezes
//! nothing.

use rightsguard_domain::event::{DomainEvent, EventKind};
use rightsguard_domain::ids::OrgId;
use rightsguard_domain::penalty::store_change;
use rightsguard_store::penalties::{PenaltyStore, sync_job};
use rightsguard_store::{Store, StoreError};

use crate::{App, AppError, RETRIES, Result};

impl<S: Store + PenaltyStore> App<S> {
    /// Announces `seller`'s store status if it changed since the last
    /// announcement; returns the event recorded, if any.
    pub async fn sync_store_status(&self, seller: &OrgId) -> Result<Option<EventKind>> {
        for _ in 0..RETRIES {
            let announced = self.store().announced_store_status(seller).await?;
            let standing = self.seller_standing(seller).await?;
            let Some(kind) = store_change(announced.status, &standing) else {
                return Ok(None);
            };
            let now = self.now();
            let jobs = match &kind {
                EventKind::StoreFrozen { until, .. } => {
                    vec![sync_job(
                        seller,
                        &format!("until:{}", until.as_microsecond()),
                        *until,
                    )]
                }
                _ => Vec::new(),
            };
            let event = DomainEvent::store(seller.clone(), &self.system_actor(), now, kind.clone());
            match self
                .store()
                .announce_store_status(seller, announced.seq, &[event], &jobs)
                .await
            {
                Ok(()) => return Ok(Some(kind)),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy(format!("store status of {seller}")))
    }

    pub(crate) async fn run_sync_store_status(&self, payload: &serde_json::Value) -> Result<()> {
        let seller = payload
            .get("seller")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let seller = OrgId::parse(seller).map_err(|e| AppError::NotFound(e.to_string()))?;
        self.sync_store_status(&seller).await.map(|_| ())
    }
}
