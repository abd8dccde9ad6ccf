-- Monitoring: the marks a right is monitored for, findings and scan records.
-- Instants are microseconds since the Unix epoch; objects whole as JSON in
-- `body` with the columns queries filter on beside it.

-- The mark and aliases a right is searched for (a right itself carries no
-- text). Only verified rights are scanned; a change triggers a rescan.
CREATE TABLE right_marks (
    right_id    TEXT PRIMARY KEY REFERENCES rights (id),
    owner       TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- One row per (listing, right, cause): re-finding the same cause changes
-- nothing, so re-running a scan never doubles a finding.
CREATE TABLE findings (
    id          TEXT PRIMARY KEY,
    listing_id  TEXT NOT NULL,
    right_id    TEXT NOT NULL,
    owner       TEXT NOT NULL,
    cause       TEXT NOT NULL,
    state       TEXT NOT NULL,
    body        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    found_at    INTEGER NOT NULL,
    UNIQUE (listing_id, right_id, cause)
);
CREATE INDEX findings_by_owner ON findings (owner, state, id);
CREATE INDEX findings_by_listing ON findings (listing_id, state);

-- One row per scan: an incremental scan of one listing is not recorded
-- here; rescans of a rights holder's rights over every listing are.
CREATE TABLE scans (
    id          TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    listings    INTEGER NOT NULL DEFAULT 0,
    found_new   INTEGER NOT NULL DEFAULT 0,
    found_known INTEGER NOT NULL DEFAULT 0,
    resolved    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scans_by_owner ON scans (owner, started_at);
