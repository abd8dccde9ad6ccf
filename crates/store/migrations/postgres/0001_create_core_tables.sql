-- Rights, complaints, the hash-chained audit log and durable jobs.
-- Instants are microseconds since the Unix epoch (UTC); domain objects are
-- stored whole as JSON in `body`, with the columns queries need beside it.

CREATE TABLE rights (
    id          TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    state       TEXT NOT NULL,
    body        TEXT NOT NULL,
    version     BIGINT NOT NULL
);
CREATE INDEX rights_by_owner ON rights (owner, state);

CREATE TABLE right_certificates (
    sha256      TEXT NOT NULL,
    right_id    TEXT NOT NULL REFERENCES rights (id),
    owner       TEXT NOT NULL,
    PRIMARY KEY (sha256, right_id)
);

CREATE TABLE complaints (
    id           TEXT PRIMARY KEY,
    complainant  TEXT NOT NULL,
    filed_by     TEXT NOT NULL,
    right_id     TEXT NOT NULL REFERENCES rights (id),
    submitted_at BIGINT NOT NULL,
    body         TEXT NOT NULL,
    version      BIGINT NOT NULL
);
CREATE INDEX complaints_by_complainant ON complaints (complainant, submitted_at);

CREATE TABLE complaint_items (
    complaint_id TEXT NOT NULL REFERENCES complaints (id),
    listing_id   TEXT NOT NULL,
    seller       TEXT NOT NULL,
    state        TEXT NOT NULL,
    review_due   BIGINT NOT NULL,
    PRIMARY KEY (complaint_id, listing_id)
);
CREATE INDEX complaint_items_by_seller ON complaint_items (seller);
CREATE INDEX complaint_items_by_state ON complaint_items (state, review_due);

CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    subject     TEXT NOT NULL,
    event       TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_by_subject ON audit_log (subject, seq);

CREATE TABLE jobs (
    id          BIGSERIAL PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    due_at      BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT,
    done_at     BIGINT
);
CREATE INDEX jobs_due ON jobs (done_at, due_at);
