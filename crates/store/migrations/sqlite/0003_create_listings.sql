-- Listings, keyword block terms and sellers' brand authorisations.
-- Objects are stored whole as JSON in `body`; the columns beside it are
-- what queries filter on. Instants are microseconds since the Unix epoch.

CREATE TABLE listings (
    id          TEXT PRIMARY KEY,
    seller      TEXT NOT NULL,
    state       TEXT NOT NULL,
    body        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX listings_by_seller ON listings (seller, id);

CREATE TABLE block_terms (
    id           TEXT PRIMARY KEY,
    right_id     TEXT NOT NULL REFERENCES rights (id),
    owner        TEXT NOT NULL,
    state        TEXT NOT NULL,
    body         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    requested_at INTEGER NOT NULL
);
CREATE INDEX block_terms_by_owner ON block_terms (owner, requested_at);
CREATE INDEX block_terms_by_state ON block_terms (state);

CREATE TABLE authorisations (
    id          TEXT PRIMARY KEY,
    seller      TEXT NOT NULL,
    right_id    TEXT NOT NULL REFERENCES rights (id),
    owner       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX authorisations_by_seller ON authorisations (seller, right_id);
CREATE INDEX authorisations_by_owner ON authorisations (owner, created_at);
