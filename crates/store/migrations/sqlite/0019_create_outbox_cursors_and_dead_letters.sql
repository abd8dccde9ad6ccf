-- How far a relay has published the outbox elsewhere (e.g. `serve --nats`
-- to JetStream): the `seq` of the last outbox event the other side
-- acknowledged, per relay name. A relay resumes after it, so a restart
-- neither loses nor (beyond the stream's de-duplication) repeats events.

CREATE TABLE outbox_cursors (
    name  TEXT PRIMARY KEY,
    seq   INTEGER NOT NULL
);

-- Work items a `rightsguard worker` gave up (after `--max-deliver`
-- deliveries, or unreadable), so admins see them in the API beside the copy
-- kept on `<stream>.dead.<kind>`. One row per stream message: a worker that
-- records a letter twice (it died before acknowledging) adds nothing.

CREATE TABLE dead_letters (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    stream      TEXT NOT NULL,
    stream_seq  INTEGER NOT NULL,
    subject     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    deliveries  INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    payload     TEXT NOT NULL,
    at          INTEGER NOT NULL,
    UNIQUE (stream, stream_seq)
);
