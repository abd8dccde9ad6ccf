-- Accounts: organisations, their users, API tokens and powers of attorney.
-- A token is stored only as the SHA-256 of its text (tokens are 32 random
-- bytes, so a fast hash is enough; passwords, later, get argon2).

CREATE TABLE orgs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL
);

CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    role        TEXT NOT NULL,
    name        TEXT NOT NULL
);
CREATE INDEX users_by_org ON users (org_id);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    sha256      TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

CREATE TABLE powers_of_attorney (
    agent       TEXT NOT NULL REFERENCES orgs (id),
    principal   TEXT NOT NULL REFERENCES orgs (id),
    granted_at  INTEGER NOT NULL,
    PRIMARY KEY (agent, principal)
);
