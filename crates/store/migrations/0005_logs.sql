-- Logs of builds, services and jobs, kept per resource up to a cap: past it the oldest lines
-- go, and how many went is recorded, so a reader knows the log is cut.

CREATE TABLE log_resource (
    -- "deploy 12 services.web", "build 3 web": who wrote the lines.
    resource        TEXT PRIMARY KEY,
    environment_id  INTEGER REFERENCES environment (id) ON DELETE CASCADE,
    kept            INTEGER NOT NULL DEFAULT 0,
    dropped         INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE log_line (
    resource  TEXT NOT NULL REFERENCES log_resource (resource) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    at        TEXT NOT NULL,
    stream    TEXT NOT NULL CHECK (stream IN ('stdout', 'stderr')),
    line      TEXT NOT NULL,
    PRIMARY KEY (resource, seq)
) STRICT, WITHOUT ROWID;
