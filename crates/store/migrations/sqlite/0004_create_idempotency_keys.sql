-- Idempotency keys: the first answer to a keyed write, kept for replay.
-- A row is written only inside the transaction of the writes it answers for,
-- with the final response, so a key never exists without its effect and an
-- effect acknowledged under a key never loses it. There is no "in flight"
-- row: nothing here can outlive a crash half-done.

CREATE TABLE idempotency_keys (
    scope       TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      INTEGER NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);
