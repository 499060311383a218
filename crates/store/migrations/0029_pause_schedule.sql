-- Pausing schedules: an environment paused and resumed at times of day (the machine's local
-- time, 'HH:MM'), on weekdays (bit 0 Monday … bit 6 Sunday). An app's row is the default of
-- its environments; an environment's own row overrides it, and one with neither time says
-- "no schedule", whatever the app's.
CREATE TABLE pause_schedule (
    id             INTEGER PRIMARY KEY,
    app_id         INTEGER REFERENCES app (id) ON DELETE CASCADE,
    environment_id INTEGER REFERENCES environment (id) ON DELETE CASCADE,
    pause_at       TEXT CHECK (pause_at IS NULL OR pause_at GLOB '[0-2][0-9]:[0-5][0-9]'),
    resume_at      TEXT CHECK (resume_at IS NULL OR resume_at GLOB '[0-2][0-9]:[0-5][0-9]'),
    days           INTEGER NOT NULL CHECK (days BETWEEN 0 AND 127),
    saved_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK ((app_id IS NULL) <> (environment_id IS NULL)),
    CHECK (app_id IS NULL OR ((pause_at IS NOT NULL OR resume_at IS NOT NULL) AND days > 0))
) STRICT;

CREATE UNIQUE INDEX pause_schedule_of_app ON pause_schedule (app_id) WHERE app_id IS NOT NULL;
CREATE UNIQUE INDEX pause_schedule_of_environment ON pause_schedule (environment_id)
    WHERE environment_id IS NOT NULL;

-- What the clock did with an environment's schedule: it acted on the schedule's times up to
-- `checked_until` (RFC 3339, UTC; a time missed while no clock ran is after it), and
-- `paused_by` is the pause it queued (its resume resumes only a pause of its own).
CREATE TABLE pause_schedule_state (
    environment_id INTEGER PRIMARY KEY REFERENCES environment (id) ON DELETE CASCADE,
    checked_until  TEXT NOT NULL,
    paused_by      INTEGER REFERENCES deploy (id) ON DELETE SET NULL
) STRICT;
