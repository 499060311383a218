-- Apps, their environments with every version of their own configuration, deploys with every
-- event they sent, the ledger of what each environment created, and the lease that lets one
-- process at a time deploy an environment.

CREATE TABLE app (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    -- The local git repository the app's images are built from.
    repo_path        TEXT NOT NULL UNIQUE,
    tracking_branch  TEXT NOT NULL,
    auto_deploy      INTEGER NOT NULL DEFAULT 0 CHECK (auto_deploy IN (0, 1)),
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- The app's default configuration (Application Template and variables), one row per save:
-- `version` is the first number of an environment's `v{default}.{specific}`.
CREATE TABLE app_config (
    app_id          INTEGER NOT NULL REFERENCES app (id) ON DELETE CASCADE,
    version         INTEGER NOT NULL CHECK (version >= 1),
    template_file   TEXT NOT NULL,
    template_yaml   TEXT NOT NULL,
    variables_file  TEXT,
    variables_yaml  TEXT NOT NULL,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (app_id, version)
) STRICT;

CREATE TABLE environment (
    id                    INTEGER PRIMARY KEY,
    -- `ted1bc4` for an ephemeral environment, a name for a permanent one; used in every
    -- object name the runtime creates.
    env_id                TEXT NOT NULL UNIQUE,
    app_id                INTEGER NOT NULL REFERENCES app (id),
    branch                TEXT NOT NULL,
    kind                  TEXT NOT NULL CHECK (kind IN ('ephemeral', 'permanent')),
    environment_template  TEXT NOT NULL,
    -- The app configuration version it was made from; never changes.
    default_version       INTEGER NOT NULL,
    runtime               TEXT NOT NULL,
    status                TEXT NOT NULL,
    -- NULL for permanent environments.
    expires_at            TEXT,
    created_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    FOREIGN KEY (app_id, default_version) REFERENCES app_config (app_id, version)
) STRICT;

-- The environment's own configuration, one row per save: `version` is the second number of
-- `v{default}.{specific}`.
CREATE TABLE environment_config (
    environment_id  INTEGER NOT NULL REFERENCES environment (id) ON DELETE CASCADE,
    version         INTEGER NOT NULL CHECK (version >= 1),
    config_yaml     TEXT NOT NULL,
    variables_yaml  TEXT NOT NULL,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (environment_id, version)
) STRICT;

CREATE TABLE deploy (
    id              INTEGER PRIMARY KEY,
    environment_id  INTEGER NOT NULL REFERENCES environment (id),
    stage           TEXT NOT NULL CHECK (stage IN ('build', 'setup', 'patch', 'teardown')),
    reason          TEXT NOT NULL,
    status          TEXT NOT NULL,
    -- The environment configuration version it deployed.
    config_version  INTEGER,
    outcome_json    TEXT,
    queued_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    started_at      TEXT,
    finished_at     TEXT
) STRICT;

CREATE INDEX deploy_by_environment ON deploy (environment_id, id);

-- Every event a deploy sent, numbered from 1 per deploy, so a window replays from a `seq`
-- and then follows without a gap or a duplicate.
CREATE TABLE deploy_event (
    deploy_id   INTEGER NOT NULL REFERENCES deploy (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    event_json  TEXT NOT NULL,
    PRIMARY KEY (deploy_id, seq)
) STRICT, WITHOUT ROWID;

-- Every object an environment created, written before it is created, so teardown removes
-- exactly these and nothing else.
CREATE TABLE ledger (
    environment_id  INTEGER NOT NULL REFERENCES environment (id),
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    recorded_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    removed_at      TEXT,
    PRIMARY KEY (environment_id, kind, name)
) STRICT;

-- Who deploys an environment now. A holder renews it while it works; a lease past its expiry
-- belongs to a process that died and may be taken over.
CREATE TABLE environment_lease (
    environment_id  INTEGER PRIMARY KEY REFERENCES environment (id),
    holder          TEXT NOT NULL,
    deploy_id       INTEGER NOT NULL REFERENCES deploy (id),
    expires_at      TEXT NOT NULL
) STRICT;

-- An environment as the app shows it: with its app's name and the version of its own
-- configuration, so every query reads one shape.
CREATE VIEW environment_view AS
SELECT e.id, e.env_id, e.app_id, a.name AS app, e.branch, e.kind, e.environment_template,
       e.default_version,
       (SELECT COALESCE(MAX(c.version), 0) FROM environment_config c WHERE c.environment_id = e.id)
           AS specific_version,
       e.runtime, e.status, e.expires_at, e.created_at
FROM environment e JOIN app a ON a.id = e.app_id;
