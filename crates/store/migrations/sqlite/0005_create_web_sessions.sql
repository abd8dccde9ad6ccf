-- Passwords and browser sessions for the web UI.
-- A password is stored only as its argon2id PHC string (salt and parameters
-- inside); NULL means the user cannot log in with a password (API tokens only).
-- A session row holds the tower-sessions record as JSON; its id is 128 random
-- bits, stored as sent in the cookie's value. Expiry is wall-clock time (a
-- manual demo clock does not log anyone out).

ALTER TABLE users ADD COLUMN password_hash TEXT;

CREATE TABLE web_sessions (
    id          TEXT PRIMARY KEY,
    data        TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);
