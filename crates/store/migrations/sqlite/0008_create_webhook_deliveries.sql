-- Webhook endpoints (configured by admins), one delivery row per (endpoint,
-- outbox event) and a log row per delivery attempt.
-- Deliveries are created with their outbox event, in its transaction, for
-- every enabled endpoint subscribed to its type. A worker claims a pending,
-- due delivery under a lease (`lease_owner`, `lease_until`), so two servers
-- never send the same attempt at once and a crash mid-send is retried when
-- the lease runs out; a delivery waits while an earlier delivery of the same
-- listing to the same endpoint is pending (order per listing).
-- `secrets` is a JSON array of {secret, created_at, expires_at}: every
-- secret not expired signs, so a rotation keeps the old one for a grace period.

CREATE TABLE webhook_endpoints (
    id          TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    description TEXT NOT NULL,
    event_types TEXT NOT NULL,
    enabled     INTEGER NOT NULL,
    secrets     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id),
    event_seq       INTEGER NOT NULL REFERENCES outbox_events (seq),
    listing_id      TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    give_up_at      INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    last_error      TEXT,
    delivered_at    INTEGER,
    UNIQUE (endpoint_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_per_listing ON webhook_deliveries (endpoint_id, listing_id, status, event_seq);

CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id),
    attempt     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status_code INTEGER,
    latency_ms  INTEGER NOT NULL,
    error       TEXT
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);
