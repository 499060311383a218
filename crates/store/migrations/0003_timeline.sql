-- The steps and tasks of each deploy, kept current from its events as they are stored, so a
-- timeline of hundreds of deploys reads a few thousand rows instead of every event.

CREATE TABLE deploy_step (
    deploy_id        INTEGER NOT NULL REFERENCES deploy (id) ON DELETE CASCADE,
    step             INTEGER NOT NULL,
    name             TEXT NOT NULL,
    wait_for_finish  INTEGER NOT NULL CHECK (wait_for_finish IN (0, 1)),
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    outcome          TEXT,
    PRIMARY KEY (deploy_id, step)
) STRICT, WITHOUT ROWID;

CREATE TABLE deploy_task (
    deploy_id    INTEGER NOT NULL REFERENCES deploy (id) ON DELETE CASCADE,
    step         INTEGER NOT NULL,
    task         TEXT NOT NULL,
    status       TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT,
    -- What a waiting task waits for: "waiting for readiness: http :8080/health, attempt 3".
    wait_reason  TEXT,
    -- Why it failed, timed out or was skipped.
    detail       TEXT,
    PRIMARY KEY (deploy_id, step, task)
) STRICT, WITHOUT ROWID;
