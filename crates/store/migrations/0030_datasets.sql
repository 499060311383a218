-- Datasets (Release's "Instant datasets", local): named copies of volumes of one environment,
-- taken after its setup, that new environments' volumes start from. Their archives are in the
-- data folder (`datasets/<id>/`); a row says what they hold.
-- AUTOINCREMENT: an id is never given again, so a folder a crash left never becomes another
-- dataset's.
CREATE TABLE dataset (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
    app_id        INTEGER NOT NULL REFERENCES app (id) ON DELETE CASCADE,
    -- The environment it is taken from, by its id (kept when that environment goes).
    source_env_id TEXT NOT NULL,
    -- [{"service", "volume", "root", "file", "bytes"}]: each volume's archive.
    volumes_json  TEXT NOT NULL CHECK (json_valid(volumes_json) AND json_type(volumes_json) = 'array'),
    -- The setup jobs that had run in its environment: an environment seeded from it skips them.
    jobs_json     TEXT NOT NULL CHECK (json_valid(jobs_json) AND json_type(jobs_json) = 'array'),
    source_commit TEXT,
    bytes         INTEGER NOT NULL CHECK (bytes >= 0),
    -- Whether its environment was paused when it was taken (its files at rest).
    paused        INTEGER NOT NULL CHECK (paused IN (0, 1)),
    taken_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- The dataset an environment's volumes start from: its first successful setup is seeded from
-- it (by name: a dataset deleted later leaves the name, and the environment as it is).
CREATE TABLE environment_dataset (
    environment_id INTEGER PRIMARY KEY REFERENCES environment (id) ON DELETE CASCADE,
    dataset        TEXT NOT NULL
) STRICT;
