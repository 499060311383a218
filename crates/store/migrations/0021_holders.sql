-- Each Stagecraft process that opened this data folder, as the operating system knows it: who
-- it is when it holds a lease or runs a build. Another process on the same machine then tells at
-- once that it died (no process has its pid, or the one that has it started at another time)
-- instead of waiting for its lease to expire.
CREATE TABLE holder (
    name       TEXT PRIMARY KEY,
    pid        INTEGER NOT NULL,
    -- When the operating system started the process, as it counts it (Linux: clock ticks from
    -- boot; elsewhere: seconds since the Unix epoch). Compared only on the same host.
    started    INTEGER NOT NULL,
    host       TEXT NOT NULL,
    opened_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- The process that runs a build: a build its process left running is marked failed.
ALTER TABLE build ADD COLUMN holder TEXT;
