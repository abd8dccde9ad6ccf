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
    enabled     BIGINT NOT NULL,
    secrets     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id),
    event_seq       BIGINT NOT NULL REFERENCES outbox_events (seq),
    listing_id      TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    give_up_at      BIGINT NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    last_error      TEXT,
    delivered_at    BIGINT,
    UNIQUE (endpoint_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_per_listing ON webhook_deliveries (endpoint_id, listing_id, status, event_seq);

CREATE TABLE webhook_attempts (
    id          BIGSERIAL PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id),
    attempt     BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    status_code BIGINT,
    latency_ms  BIGINT NOT NULL,
    error       TEXT
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);
