-- DSA Art. 23 cases against notifiers: warned, awaiting a human decision,
-- suspended until a time, or clear again. One row per notifier that ever had
-- a step; the state is the domain's AbuseCase as JSON, versioned for
-- optimistic writes; every change is in the audit log (subject notifier:ORG).
CREATE TABLE notifier_cases (
    notifier    TEXT PRIMARY KEY,
    status      TEXT NOT NULL,
    body        TEXT NOT NULL,
    version     BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX notifier_cases_by_status ON notifier_cases (status);
