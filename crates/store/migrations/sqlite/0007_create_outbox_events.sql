-- The outbox of enforcement actions for the marketplace (webhooks).
-- A row is written by the transaction that writes the state change and its
-- audit record (one row per action event), so a committed action always has
-- its event and a rolled-back one never does. `seq` orders all events;
-- `listing_seq` numbers the events of one listing from 1, so a receiver can
-- tell order and gaps per listing. `payload` is the exact JSON body sent.

CREATE TABLE outbox_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    type         TEXT NOT NULL,
    listing_id   TEXT NOT NULL,
    seller       TEXT,
    listing_seq  INTEGER NOT NULL,
    audit_seq    INTEGER NOT NULL,
    payload      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (listing_id, listing_seq)
);
