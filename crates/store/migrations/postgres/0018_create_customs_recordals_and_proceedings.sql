-- Customs (GACC) recordals of rights, and the proceedings outside the
-- platform that escalate a complaint (AMR complaint, lawsuit, customs).
-- Both are stored whole as JSON (`body`: rightsguard_domain::customs::
-- CustomsRecordal, rightsguard_domain::escalation::Proceeding) with the
-- columns queries filter on beside them; every write appends its audit
-- records in the same transaction.

-- A recordal number is customs' own and unique: a second recordal under
-- the same number is refused whatever right it names.
CREATE TABLE customs_recordals (
    number       TEXT PRIMARY KEY,
    right_id     TEXT NOT NULL REFERENCES rights (id),
    valid_until  TEXT NOT NULL,
    body         TEXT NOT NULL,
    version      BIGINT NOT NULL
);
CREATE INDEX customs_recordals_by_right ON customs_recordals (right_id, number);

-- One row per (complaint, route, reference): recording it again replaces
-- the row; the audit log keeps every version.
CREATE TABLE escalation_proceedings (
    complaint_id TEXT NOT NULL REFERENCES complaints (id),
    route        TEXT NOT NULL,
    reference    TEXT NOT NULL,
    body         TEXT NOT NULL,
    recorded_at  BIGINT NOT NULL,
    PRIMARY KEY (complaint_id, route, reference)
);
