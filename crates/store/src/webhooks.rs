//! The outbox of enforcement actions and their webhook deliveries.
//!
//! **Outbox.** [`append_outbox`] runs inside every audited write, right after
//! each audit record is appended: an event that is an enforcement action
//! ([`rightsguard_domain::outbound::action_of`]) becomes an `outbox_events`
//! row in the same transaction. So the marketplace hears of exactly the
//! actions that were committed, none twice and none lost, however the process
//! dies. The event id is derived from the audit record's sequence number
//! (`evt_<seq>`), so it is stable and unique; `listing_seq` numbers one
//! listing's events from 1 (writes are serialised by the write lock, so the
//! `MAX + 1` read cannot race).

use std::future::Future;

use jiff::Timestamp;
use rightsguard_domain::event::DomainEvent;
use rightsguard_domain::outbound::{ActionType, action_of};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, SqlStore, corrupt, from_json, from_micros, micros, to_json};

/// One event of the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    /// Global order of the outbox.
    pub seq: i64,
    /// The idempotent id (`evt_<audit seq>`): the `webhook-id` of every delivery.
    pub id: String,
    /// What happened.
    pub kind: ActionType,
    /// The listing.
    pub listing: String,
    /// Its seller, when known.
    pub seller: Option<String>,
    /// The listing's own event number, from 1.
    pub listing_seq: i64,
    /// The audit record it was derived from.
    pub audit_seq: i64,
    /// The JSON body delivered.
    pub payload: String,
    /// When the action happened.
    pub created_at: Timestamp,
}

/// The body of a webhook: the Standard Webhooks shape (`type`, `timestamp`,
/// `data`) plus the id and the listing's sequence number.
#[derive(Debug, Serialize)]
struct Body<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: ActionType,
    timestamp: Timestamp,
    listing_seq: i64,
    data: &'a rightsguard_domain::outbound::ActionData,
}

/// Writes the outbox row of `event` (audit record `audit_seq`) if it is an
/// enforcement action, inside the caller's write transaction.
pub(crate) async fn append_outbox(
    tx: &mut sqlx::AnyConnection,
    audit_seq: i64,
    event: &DomainEvent,
) -> Result<()> {
    let Some(action) = action_of(event) else {
        return Ok(());
    };
    let mut data = action.data;
    let (seller, right): (Option<String>, Option<String>) = match &action.complaint {
        Some(c) => {
            let row = sqlx::query(
                "SELECT i.seller, c.right_id FROM complaint_items i JOIN complaints c ON c.id = i.complaint_id \
                 WHERE i.complaint_id = $1 AND i.listing_id = $2",
            )
            .bind(c.as_str())
            .bind(action.listing.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                Some(r) => (Some(r.try_get(0)?), Some(r.try_get(1)?)),
                None => (None, None),
            }
        }
        None => {
            let row = sqlx::query("SELECT seller FROM listings WHERE id = $1")
                .bind(action.listing.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            (row.map(|r| r.try_get(0)).transpose()?, None)
        }
    };
    data.seller = seller.clone();
    data.right = right;
    let listing_seq: i64 = sqlx::query(
        "SELECT COALESCE(MAX(listing_seq), 0) + 1 FROM outbox_events WHERE listing_id = $1",
    )
    .bind(action.listing.as_str())
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let id = format!("evt_{audit_seq}");
    let payload = to_json(&Body {
        id: &id,
        kind: action.kind,
        timestamp: event.at,
        listing_seq,
        data: &data,
    })?;
    sqlx::query(
        "INSERT INTO outbox_events (id, type, listing_id, seller, listing_seq, audit_seq, payload, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(action.kind.as_str())
    .bind(action.listing.as_str())
    .bind(seller)
    .bind(listing_seq)
    .bind(audit_seq)
    .bind(&payload)
    .bind(micros(event.at))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

const OUTBOX_COLUMNS: &str =
    "seq, id, type, listing_id, seller, listing_seq, audit_seq, payload, created_at";

fn outbox_row(r: &AnyRow) -> Result<OutboxEvent> {
    let kind: String = r.try_get("type")?;
    Ok(OutboxEvent {
        seq: r.try_get("seq")?,
        id: r.try_get("id")?,
        kind: ActionType::parse(&kind).ok_or_else(|| corrupt(format!("event type {kind:?}")))?,
        listing: r.try_get("listing_id")?,
        seller: r.try_get("seller")?,
        listing_seq: r.try_get("listing_seq")?,
        audit_seq: r.try_get("audit_seq")?,
        payload: r.try_get("payload")?,
        created_at: from_micros(r.try_get("created_at")?)?,
    })
}

impl OutboxEvent {
    /// The payload parsed (for checks and listings).
    pub fn payload_json(&self) -> Result<serde_json::Value> {
        from_json(&self.payload, "outbox payload")
    }
}

/// The storage operations of the outbox and webhook delivery.
pub trait WebhookStore: Send + Sync {
    /// Outbox events after `after` (a `seq`), oldest first, at most `limit`.
    fn outbox_events(
        &self,
        after: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<OutboxEvent>>> + Send;
    /// One outbox event by id.
    fn outbox_event(&self, id: &str) -> impl Future<Output = Result<Option<OutboxEvent>>> + Send;
}

impl WebhookStore for SqlStore {
    async fn outbox_events(&self, after: i64, limit: i64) -> Result<Vec<OutboxEvent>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox_events WHERE seq > $1 ORDER BY seq LIMIT $2"
        )))
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(outbox_row).collect()
    }

    async fn outbox_event(&self, id: &str) -> Result<Option<OutboxEvent>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox_events WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(outbox_row)
        .transpose()
    }
}
