-- How far a relay has published the outbox elsewhere (e.g. `serve --nats`
-- to JetStream): the `seq` of the last outbox event the other side
-- acknowledged, per relay name. A relay resumes after it, so a restart
-- neither loses nor (beyond the stream's de-duplication) repeats events.

CREATE TABLE outbox_cursors (
    name  TEXT PRIMARY KEY,
    seq   INTEGER NOT NULL
);
