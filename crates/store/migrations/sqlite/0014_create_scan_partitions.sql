-- Partitioned rescans (scale-out: workers on NATS JetStream share them).
-- A rescan is split into ranges of listing ids; each range is one partition
-- job, done by any worker, possibly twice (a redelivery after a crash). Its
-- counts are written once, when it is first done, and the scan's totals are
-- the sums over its done partitions; the scan is finished when all are done.

-- The scan that last changed a finding in a reconciliation (inserted,
-- reopened or resolved it): a partition scanned again after a crash counts
-- the findings its first attempt wrote as new (or resolved) again, not as
-- already known, so a scan's counts do not depend on crashes.
ALTER TABLE findings ADD COLUMN scan_id TEXT;

-- How many partitions the scan was split into (NULL: run in one piece).
ALTER TABLE scans ADD COLUMN partitions BIGINT;

CREATE TABLE scan_partitions (
    scan_id     TEXT NOT NULL REFERENCES scans (id),
    part        BIGINT NOT NULL,
    -- Listings with after_id < id <= upto_id ('' after: from the first;
    -- NULL upto: to the last).
    after_id    TEXT NOT NULL,
    upto_id     TEXT,
    done_at     BIGINT,
    listings    BIGINT NOT NULL DEFAULT 0,
    found_new   BIGINT NOT NULL DEFAULT 0,
    found_known BIGINT NOT NULL DEFAULT 0,
    resolved    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (scan_id, part)
);
