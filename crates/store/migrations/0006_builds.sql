-- Builds of an app and the image of each built service: what it is made from (the inputs
-- digest, so an unchanged service reuses its image), what it is (id, size, layers, steps),
-- and, for a reused one, the build it comes from and why.

CREATE TABLE build (
    id           INTEGER PRIMARY KEY,
    app_id       INTEGER NOT NULL REFERENCES app (id) ON DELETE CASCADE,
    -- The commit built, when known.
    git_commit   TEXT,
    -- Why it ran: "deploy of ted1bc4", "new commit 1a2b3c4 on main", ...
    trigger      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
    started_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    finished_at  TEXT
) STRICT;

CREATE INDEX build_by_app ON build (app_id, id);

CREATE TABLE build_image (
    build_id           INTEGER NOT NULL REFERENCES build (id) ON DELETE CASCADE,
    service            TEXT NOT NULL,
    tag                TEXT NOT NULL,
    inputs_digest      TEXT,
    image_id           TEXT,
    size_bytes         INTEGER,
    -- [{instruction, size_bytes}]
    layers_json        TEXT NOT NULL DEFAULT '[]',
    -- [{instruction, millis, cached}]
    steps_json         TEXT NOT NULL DEFAULT '[]',
    cache_hits         INTEGER NOT NULL DEFAULT 0,
    outcome            TEXT NOT NULL CHECK (outcome IN ('built', 'reused', 'failed', 'cancelled')),
    reused_from_build  INTEGER REFERENCES build (id),
    -- Why it was reused, or why it failed.
    detail             TEXT,
    PRIMARY KEY (build_id, service)
) STRICT, WITHOUT ROWID;
