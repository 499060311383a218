-- no-transaction
-- A deploy may pause an environment (stage 'pause': its containers stopped and kept) or resume
-- it (stage 'resume': its services started again). The CHECK on `stage` changes, so the table
-- is rebuilt as 0024 did (SQLite's documented procedure: foreign keys off so dropping the old
-- table cascades to nothing, the copy in one transaction keeping every id and column).
PRAGMA foreign_keys = OFF;

BEGIN;

CREATE TABLE deploy_new (
    id              INTEGER PRIMARY KEY,
    environment_id  INTEGER NOT NULL REFERENCES environment (id),
    stage           TEXT NOT NULL
        CHECK (stage IN ('build', 'setup', 'patch', 'teardown', 'workflow', 'cron', 'pause',
                         'resume')),
    reason          TEXT NOT NULL,
    status          TEXT NOT NULL,
    -- The environment configuration version it deployed.
    config_version  INTEGER,
    outcome_json    TEXT,
    queued_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    started_at      TEXT,
    finished_at     TEXT,
    build_id        INTEGER REFERENCES build (id),
    build_source    TEXT NOT NULL DEFAULT 'commit'
        CHECK (build_source IN ('commit', 'working_tree')),
    cancel_requested_at TEXT,
    build_commit    TEXT,
    rollback        INTEGER NOT NULL DEFAULT 0 CHECK (rollback IN (0, 1)),
    -- The custom workflow or the cron job a 'workflow' or 'cron' deploy runs; no other deploy
    -- names one.
    target          TEXT CHECK ((stage IN ('workflow', 'cron')) = (target IS NOT NULL)),
    -- The schedule's time a cron run queued by the clock is for (RFC 3339, UTC): the clock's
    -- next run is due after the latest of these, whatever runs were asked for by hand.
    scheduled_for   TEXT CHECK (scheduled_for IS NULL OR stage = 'cron')
) STRICT;

INSERT INTO deploy_new (id, environment_id, stage, reason, status, config_version, outcome_json,
                        queued_at, started_at, finished_at, build_id, build_source,
                        cancel_requested_at, build_commit, rollback, target, scheduled_for)
SELECT id, environment_id, stage, reason, status, config_version, outcome_json,
       queued_at, started_at, finished_at, build_id, build_source,
       cancel_requested_at, build_commit, rollback, target, scheduled_for
FROM deploy;

DROP TABLE deploy;
ALTER TABLE deploy_new RENAME TO deploy;

CREATE INDEX deploy_by_environment ON deploy (environment_id, id);
CREATE INDEX deploy_active ON deploy (environment_id, id) WHERE status IN ('queued', 'running');
CREATE INDEX deploy_by_build ON deploy (build_id);

COMMIT;

PRAGMA foreign_keys = ON;
