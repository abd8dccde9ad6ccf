-- Notifications to people: an inbox row per recipient user, written by the
-- transaction of the event that causes it (or by the reminder job that
-- fires later), and the users' settings.
-- `params` is the JSON of the facts (rightsguard_domain::notification::Params);
-- the words are made when read or mailed, in the reader's language then.
-- `dedupe_key` makes creation idempotent per user (an event's audit number
-- and kind, or a reminder's key), so a re-run job never notifies twice.
-- `email_status`: off (not wanted or no address), pending (a send_email job
-- is scheduled), sent, failed (given up), skipped (no SMTP configured).

CREATE TABLE notifications (
    id             BIGSERIAL PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id),
    kind           TEXT NOT NULL,
    params         TEXT NOT NULL,
    dedupe_key     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    read_at        BIGINT,
    email_status   TEXT NOT NULL,
    email_attempts BIGINT NOT NULL DEFAULT 0,
    email_error    TEXT,
    email_sent_at  BIGINT,
    UNIQUE (user_id, dedupe_key)
);
CREATE INDEX notifications_inbox ON notifications (user_id, read_at, id);

-- A user's language and e-mail address (absent row: English, no e-mail).
CREATE TABLE notification_settings (
    user_id   TEXT PRIMARY KEY REFERENCES users (id),
    language  TEXT NOT NULL,
    email     TEXT
);

-- Per user and kind: whether it also goes by e-mail (absent row: yes).
CREATE TABLE notification_preferences (
    user_id   TEXT NOT NULL REFERENCES users (id),
    kind      TEXT NOT NULL,
    email     BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind)
);
