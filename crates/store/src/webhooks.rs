//! The outbox of enforcement actions and their webhook deliveries.
//!
//! **Outbox.** `append_outbox` runs inside every audited write, right after
//! each audit record is appended: an event that is an enforcement action
//! ([`rightsguard_domain::outbound::action_of`]) becomes an `outbox_events`
//! row in the same transaction. So the marketplace hears of exactly the
//! actions that were committed, none twice and none lost, however the process
//! dies. The event id is derived from the audit record's sequence number
//! (`evt_<seq>`), so it is stable and unique; `listing_seq` numbers one
//! listing's events from 1 (writes are serialised by the write lock, so the
//! `MAX + 1` read cannot race).
//!
//! **Deliveries.** The same transaction adds one `webhook_deliveries` row per
//! enabled endpoint subscribed to the type. [`WebhookStore::claim_deliveries`]
//! leases due rows to a worker (`BEGIN IMMEDIATE` on SQLite, `FOR UPDATE SKIP
//! LOCKED` on PostgreSQL, as for deadline jobs) and never hands out a row
//! while an earlier row of the same listing and endpoint is pending: that is
//! the order per listing, held by the database whatever the number of
//! workers. A worker that dies leaves its lease to run out.

use std::future::Future;

use jiff::{SignedDuration, Timestamp};
use rightsguard_domain::event::DomainEvent;
use rightsguard_domain::outbound::{ActionType, action_of};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{
    Dialect, Result, SqlStore, StoreError, append_audit, corrupt, from_json, from_micros,
    is_unique_violation, micros, to_json,
};

/// One event of the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    /// Global order of the outbox.
    pub seq: i64,
    /// The idempotent id (`evt_<audit seq>`): the `webhook-id` of every delivery.
    pub id: String,
    /// What happened.
    pub kind: ActionType,
    /// The ordering key: the listing, `account:ORG` for account events,
    /// `store:SELLER` for store events (stored in `listing_id`).
    pub listing: String,
    /// Its seller, when known.
    pub seller: Option<String>,
    /// The key's own event number, from 1.
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
            .bind(action.key.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                Some(r) => (Some(r.try_get(0)?), Some(r.try_get(1)?)),
                None => (None, None),
            }
        }
        None if data.listing.as_deref() == Some(action.key.as_str()) => {
            let row = sqlx::query("SELECT seller FROM listings WHERE id = $1")
                .bind(action.key.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            (row.map(|r| r.try_get(0)).transpose()?, None)
        }
        // Account events name the account (no seller or right); store
        // events name their seller.
        None => (data.seller.clone(), None),
    };
    data.seller = seller.clone();
    data.right = right;
    let listing_seq: i64 = sqlx::query(
        "SELECT COALESCE(MAX(listing_seq), 0) + 1 FROM outbox_events WHERE listing_id = $1",
    )
    .bind(action.key.as_str())
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
    .bind(action.key.as_str())
    .bind(seller)
    .bind(listing_seq)
    .bind(audit_seq)
    .bind(&payload)
    .bind(micros(event.at))
    .execute(&mut *tx)
    .await?;
    // One delivery per enabled endpoint subscribed to the type, due now.
    let endpoints = sqlx::query("SELECT id, event_types FROM webhook_endpoints WHERE enabled = 1")
        .fetch_all(&mut *tx)
        .await?;
    let give_up = event
        .at
        .checked_add(GIVE_UP_AFTER)
        .map_err(|e| corrupt(format!("give-up time: {e}")))?;
    for r in &endpoints {
        let types: Vec<ActionType> = from_json(&r.try_get::<String, _>(1)?, "event types")?;
        if !types.is_empty() && !types.contains(&action.kind) {
            continue;
        }
        sqlx::query(
            "INSERT INTO webhook_deliveries (endpoint_id, event_seq, listing_id, status, attempts, next_attempt_at, give_up_at) \
             SELECT $1, seq, listing_id, 'pending', 0, $2, $3 FROM outbox_events WHERE id = $4",
        )
        .bind(r.try_get::<String, _>(0)?)
        .bind(micros(event.at))
        .bind(micros(give_up))
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// How long a delivery is retried before it is marked failed: a day.
pub const GIVE_UP_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

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
    /// How far relay `name` has published the outbox (a `seq`; 0 if never).
    fn outbox_cursor(&self, name: &str) -> impl Future<Output = Result<i64>> + Send;
    /// Moves relay `name`'s cursor forward to `seq` (never back: a slower
    /// replica of the same relay does not undo a faster one).
    fn advance_outbox_cursor(
        &self,
        name: &str,
        seq: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Creates an endpoint with its audit records ([`StoreError::Duplicate`]
    /// if the id is taken).
    fn create_webhook_endpoint(
        &self,
        endpoint: &WebhookEndpoint,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<()>> + Send;
    /// Saves a changed endpoint if it is still at `endpoint.version`; returns
    /// the new version.
    fn save_webhook_endpoint(
        &self,
        endpoint: &WebhookEndpoint,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<i64>> + Send;
    /// One endpoint.
    fn webhook_endpoint(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<WebhookEndpoint>>> + Send;
    /// Every endpoint, oldest first.
    fn webhook_endpoints(&self) -> impl Future<Output = Result<Vec<WebhookEndpoint>>> + Send;
    /// Claims up to `limit` deliveries that are pending and due, whose
    /// endpoint is enabled, that no live lease holds, and that no earlier
    /// pending delivery of the same listing to the same endpoint precedes;
    /// each is leased to `owner` until `now + lease` and its attempt counted.
    fn claim_deliveries(
        &self,
        now: Timestamp,
        owner: &str,
        lease: SignedDuration,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<ClaimedDelivery>>> + Send;
    /// Logs an attempt and moves its delivery on (delivered, retry at, or
    /// failed), if `owner` still holds the lease; `false` if it does not
    /// (the attempt is logged all the same).
    fn finish_delivery(
        &self,
        claimed: &ClaimedDelivery,
        owner: &str,
        attempt: &Attempt,
        next: DeliveryNext,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Deliveries, newest first, filtered by endpoint and status, with their attempts.
    fn deliveries(
        &self,
        endpoint: Option<&str>,
        status: Option<DeliveryStatus>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Delivery>>> + Send;
    /// Sends an event again: every enabled endpoint subscribed to its type
    /// gets its delivery reset to pending and due at `now` (or created);
    /// `None` if there is no such event, else how many deliveries.
    fn redeliver_event(
        &self,
        id: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<usize>>> + Send;
}

/// One signing secret of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointSecret {
    /// `whsec_<base64 of 32 random bytes>` (the Standard Webhooks form).
    pub secret: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it stops signing (set when a newer secret replaces it).
    pub expires_at: Option<Timestamp>,
}

/// A marketplace's webhook endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEndpoint {
    /// `whe_...`.
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// A note for admins.
    pub description: String,
    /// The event types it receives; empty: every type.
    pub event_types: Vec<ActionType>,
    /// Whether deliveries go out (a disabled endpoint keeps its pending
    /// deliveries until it is enabled again).
    pub enabled: bool,
    /// Its secrets, oldest first.
    pub secrets: Vec<EndpointSecret>,
    /// When it was created.
    pub created_at: Timestamp,
    /// Optimistic version.
    pub version: i64,
}

impl WebhookEndpoint {
    /// The secrets that sign at `now`: every one not expired.
    pub fn active_secrets(&self, now: Timestamp) -> Vec<&str> {
        self.secrets
            .iter()
            .filter(|s| s.expires_at.is_none_or(|e| e > now))
            .map(|s| s.secret.as_str())
            .collect()
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not delivered yet; retried.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Retried for a day without success; given up (redeliver by hand).
    Failed,
}

impl DeliveryStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// A delivery claimed for one attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedDelivery {
    /// The delivery.
    pub id: i64,
    /// The endpoint.
    pub endpoint: String,
    /// Which attempt this is, from 1.
    pub attempt: i64,
    /// When to give up retrying.
    pub give_up_at: Timestamp,
    /// The event to send.
    pub event: OutboxEvent,
}

/// One attempt's outcome, as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    /// Which attempt, from 1.
    pub attempt: i64,
    /// When it was sent.
    pub at: Timestamp,
    /// The HTTP status, if an answer came.
    pub status_code: Option<u16>,
    /// Time to the answer (or the failure), in milliseconds.
    pub latency_ms: u64,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryNext {
    /// It arrived.
    Delivered,
    /// Try again at this instant.
    RetryAt(Timestamp),
    /// Give up.
    Failed,
}

/// A delivery with its attempts, for the delivery log.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Its id.
    pub id: i64,
    /// The endpoint.
    pub endpoint: String,
    /// The event's id.
    pub event_id: String,
    /// The event's type.
    pub event_type: ActionType,
    /// The listing, or `account:ORG` for account events.
    pub listing: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made (claims, a crashed one included).
    pub attempts: i64,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Timestamp,
    /// When it arrived.
    pub delivered_at: Option<Timestamp>,
    /// The last error.
    pub last_error: Option<String>,
    /// The attempts logged, oldest first.
    pub log: Vec<Attempt>,
}

const ENDPOINT_COLUMNS: &str =
    "id, url, description, event_types, enabled, secrets, created_at, version";

fn endpoint_row(r: &AnyRow) -> Result<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: r.try_get("id")?,
        url: r.try_get("url")?,
        description: r.try_get("description")?,
        event_types: from_json(&r.try_get::<String, _>("event_types")?, "event types")?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        secrets: from_json(&r.try_get::<String, _>("secrets")?, "secrets")?,
        created_at: from_micros(r.try_get("created_at")?)?,
        version: r.try_get("version")?,
    })
}

fn attempt_row(r: &AnyRow) -> Result<Attempt> {
    Ok(Attempt {
        attempt: r.try_get("attempt")?,
        at: from_micros(r.try_get("at")?)?,
        status_code: r
            .try_get::<Option<i64>, _>("status_code")?
            .map(u16::try_from)
            .transpose()
            .map_err(corrupt)?,
        latency_ms: u64::try_from(r.try_get::<i64, _>("latency_ms")?).map_err(corrupt)?,
        error: r.try_get("error")?,
    })
}

impl SqlStore {
    async fn write_endpoint(
        &self,
        e: &WebhookEndpoint,
        events: &[DomainEvent],
        insert: bool,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let q = if insert {
            sqlx::query(
                "INSERT INTO webhook_endpoints (url, description, event_types, enabled, secrets, created_at, id, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 1)",
            )
        } else {
            sqlx::query(
                "UPDATE webhook_endpoints SET url = $1, description = $2, event_types = $3, enabled = $4, \
                 secrets = $5, version = version + 1 WHERE created_at = $6 AND id = $7 AND version = $8",
            )
        };
        let q = q
            .bind(e.url.as_str())
            .bind(e.description.as_str())
            .bind(to_json(&e.event_types)?)
            .bind(i64::from(e.enabled))
            .bind(to_json(&e.secrets)?)
            .bind(micros(e.created_at))
            .bind(e.id.as_str());
        let q = if insert { q } else { q.bind(e.version) };
        let done = match q.execute(&mut *tx).await {
            Err(err) if is_unique_violation(&err) => {
                return Err(StoreError::Duplicate(format!("webhook endpoint {}", e.id)));
            }
            r => r?,
        };
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("webhook endpoint {}", e.id)));
        }
        append_audit(&mut tx, events).await?;
        tx.commit().await?;
        Ok(if insert { 1 } else { e.version + 1 })
    }
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

    async fn outbox_cursor(&self, name: &str) -> Result<i64> {
        let row = sqlx::query("SELECT seq FROM outbox_cursors WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
    }

    async fn advance_outbox_cursor(&self, name: &str, seq: i64) -> Result<()> {
        // Not under the write lock: the row is the relay's alone, and the
        // guard `seq < $2` keeps it monotonic whoever writes.
        sqlx::query(
            "INSERT INTO outbox_cursors (name, seq) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET seq = $2 WHERE outbox_cursors.seq < $2",
        )
        .bind(name)
        .bind(seq)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn create_webhook_endpoint(
        &self,
        endpoint: &WebhookEndpoint,
        events: &[DomainEvent],
    ) -> Result<()> {
        self.write_endpoint(endpoint, events, true)
            .await
            .map(|_| ())
    }

    async fn save_webhook_endpoint(
        &self,
        endpoint: &WebhookEndpoint,
        events: &[DomainEvent],
    ) -> Result<i64> {
        self.write_endpoint(endpoint, events, false).await
    }

    async fn webhook_endpoint(&self, id: &str) -> Result<Option<WebhookEndpoint>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(endpoint_row)
        .transpose()
    }

    async fn webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(endpoint_row).collect()
    }

    async fn claim_deliveries(
        &self,
        now: Timestamp,
        owner: &str,
        lease: SignedDuration,
        limit: i64,
    ) -> Result<Vec<ClaimedDelivery>> {
        let until = now.checked_add(lease).map_err(corrupt)?;
        let lock = match self.dialect() {
            Dialect::Sqlite => "",
            Dialect::Postgres => "FOR UPDATE OF d SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE webhook_deliveries SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 WHERE id IN \
             (SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
              WHERE d.status = 'pending' AND e.enabled = 1 AND d.next_attempt_at <= $3 \
              AND (d.lease_until IS NULL OR d.lease_until <= $3) \
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id \
                  AND p.listing_id = d.listing_id AND p.status = 'pending' AND p.event_seq < d.event_seq) \
              ORDER BY d.event_seq LIMIT $4 {lock}) \
             RETURNING id, endpoint_id, event_seq, attempts, give_up_at"
        );
        // Most passes find nothing: look first without taking SQLite's write
        // lock, so an idle worker never queues behind (or delays) writers.
        let due = sqlx::query(
            "SELECT 1 FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
             AND (lease_until IS NULL OR lease_until <= $1) LIMIT 1",
        )
        .bind(micros(now))
        .fetch_optional(self.pool())
        .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = match self.dialect() {
            Dialect::Sqlite => self.pool().begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.pool().begin().await?,
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(micros(until))
            .bind(micros(now))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for r in &rows {
            let seq: i64 = r.try_get("event_seq")?;
            let event = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox_events WHERE seq = $1"
            )))
            .bind(seq)
            .fetch_one(&mut *tx)
            .await?;
            claimed.push(ClaimedDelivery {
                id: r.try_get("id")?,
                endpoint: r.try_get("endpoint_id")?,
                attempt: r.try_get("attempts")?,
                give_up_at: from_micros(r.try_get("give_up_at")?)?,
                event: outbox_row(&event)?,
            });
        }
        tx.commit().await?;
        claimed.sort_by_key(|c| c.event.seq);
        Ok(claimed)
    }

    async fn finish_delivery(
        &self,
        claimed: &ClaimedDelivery,
        owner: &str,
        attempt: &Attempt,
        next: DeliveryNext,
    ) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, latency_ms, error) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(claimed.id)
        .bind(attempt.attempt)
        .bind(micros(attempt.at))
        .bind(attempt.status_code.map(i64::from))
        .bind(i64::try_from(attempt.latency_ms).unwrap_or(i64::MAX))
        .bind(attempt.error.as_deref())
        .execute(&mut *tx)
        .await?;
        let (status, next_at, delivered_at) = match next {
            DeliveryNext::Delivered => (DeliveryStatus::Delivered, attempt.at, Some(attempt.at)),
            DeliveryNext::RetryAt(t) => (DeliveryStatus::Pending, t, None),
            DeliveryNext::Failed => (DeliveryStatus::Failed, attempt.at, None),
        };
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, delivered_at = $3, last_error = $4, \
             lease_owner = NULL, lease_until = NULL WHERE id = $5 AND lease_owner = $6 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(micros(next_at))
        .bind(delivered_at.map(micros))
        .bind(attempt.error.as_deref())
        .bind(claimed.id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn deliveries(
        &self,
        endpoint: Option<&str>,
        status: Option<DeliveryStatus>,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(
            "SELECT d.id, d.endpoint_id, o.id AS event_id, o.type, d.listing_id, d.status, d.attempts, \
             d.next_attempt_at, d.delivered_at, d.last_error FROM webhook_deliveries d \
             JOIN outbox_events o ON o.seq = d.event_seq \
             WHERE ($1 = '' OR d.endpoint_id = $1) AND ($2 = '' OR d.status = $2) \
             ORDER BY d.id DESC LIMIT $3",
        )
        .bind(endpoint.unwrap_or(""))
        .bind(status.map_or("", DeliveryStatus::as_str))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        // The attempts of exactly these deliveries, in one query.
        let mut logs: std::collections::HashMap<i64, Vec<Attempt>> = Default::default();
        let attempts = sqlx::query(
            "SELECT delivery_id, attempt, at, status_code, latency_ms, error FROM webhook_attempts \
             WHERE delivery_id IN (SELECT d.id FROM webhook_deliveries d \
             WHERE ($1 = '' OR d.endpoint_id = $1) AND ($2 = '' OR d.status = $2) ORDER BY d.id DESC LIMIT $3) \
             ORDER BY id",
        )
        .bind(endpoint.unwrap_or(""))
        .bind(status.map_or("", DeliveryStatus::as_str))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        for a in &attempts {
            logs.entry(a.try_get("delivery_id")?)
                .or_default()
                .push(attempt_row(a)?);
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let kind: String = r.try_get("type")?;
            let status: String = r.try_get("status")?;
            out.push(Delivery {
                id,
                endpoint: r.try_get("endpoint_id")?,
                event_id: r.try_get("event_id")?,
                event_type: ActionType::parse(&kind)
                    .ok_or_else(|| corrupt(format!("event type {kind:?}")))?,
                listing: r.try_get("listing_id")?,
                status: DeliveryStatus::parse(&status)
                    .ok_or_else(|| corrupt(format!("delivery status {status:?}")))?,
                attempts: r.try_get("attempts")?,
                next_attempt_at: from_micros(r.try_get("next_attempt_at")?)?,
                delivered_at: r
                    .try_get::<Option<i64>, _>("delivered_at")?
                    .map(from_micros)
                    .transpose()?,
                last_error: r.try_get("last_error")?,
                log: logs.remove(&id).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    async fn redeliver_event(&self, id: &str, now: Timestamp) -> Result<Option<usize>> {
        let Some(event) = self.outbox_event(id).await? else {
            return Ok(None);
        };
        let give_up = now.checked_add(GIVE_UP_AFTER).map_err(corrupt)?;
        let mut tx = self.begin_write().await?;
        let endpoints =
            sqlx::query("SELECT id, event_types FROM webhook_endpoints WHERE enabled = 1")
                .fetch_all(&mut *tx)
                .await?;
        let mut n = 0;
        for r in &endpoints {
            let types: Vec<ActionType> = from_json(&r.try_get::<String, _>(1)?, "event types")?;
            if !types.is_empty() && !types.contains(&event.kind) {
                continue;
            }
            sqlx::query(
                "INSERT INTO webhook_deliveries (endpoint_id, event_seq, listing_id, status, attempts, next_attempt_at, give_up_at) \
                 VALUES ($1, $2, $3, 'pending', 0, $4, $5) ON CONFLICT (endpoint_id, event_seq) DO UPDATE \
                 SET status = 'pending', next_attempt_at = $4, give_up_at = $5, delivered_at = NULL, \
                 lease_owner = NULL, lease_until = NULL",
            )
            .bind(r.try_get::<String, _>(0)?)
            .bind(event.seq)
            .bind(event.listing.as_str())
            .bind(micros(now))
            .bind(micros(give_up))
            .execute(&mut *tx)
            .await?;
            n += 1;
        }
        tx.commit().await?;
        Ok(Some(n))
    }
}
