-- Evidence files: the bytes live in the content-addressed file store (by
-- SHA-256); these rows say which organisation uploaded which file, when, and
-- what the uploader says of its capture time, and which complaints cite a
-- file (the complaint's own evidence, supplements and counter-notices), so
-- that a file can be shown to exactly the parties of a case that cites it.

CREATE TABLE evidence (
    sha256       TEXT NOT NULL,
    org          TEXT NOT NULL REFERENCES orgs (id),
    uploaded_by  TEXT,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    uploaded_at  INTEGER NOT NULL,
    captured_at  INTEGER,
    PRIMARY KEY (sha256, org)
);

CREATE TABLE evidence_citations (
    sha256       TEXT NOT NULL,
    complaint_id TEXT NOT NULL REFERENCES complaints (id),
    PRIMARY KEY (sha256, complaint_id)
);
