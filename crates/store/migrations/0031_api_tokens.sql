-- The HTTP API's tokens (`stagecraft auth token create`): only a SHA-256 of each is kept; the
-- token itself is shown once, when it is made. A revoked token stays listed, refused.
-- AUTOINCREMENT: an id is never given again, so requests logged under a revoked token never
-- name another.
CREATE TABLE api_token (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL CHECK (length(name) > 0),
    -- Lowercase hex SHA-256 of the token.
    hash         TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
    -- Its first characters, so a list tells tokens apart without holding them.
    prefix       TEXT NOT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_used_at TEXT,
    revoked_at   TEXT
) STRICT;
-- A name is taken by one token not revoked: a revoked one's name may be used again.
CREATE UNIQUE INDEX api_token_live_name ON api_token (name) WHERE revoked_at IS NULL;

-- The API's last requests, for the window (the newest few hundred are kept), and how many
-- were refused for want of a valid token since the database was made.
CREATE TABLE api_request (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    method    TEXT NOT NULL,
    path      TEXT NOT NULL,
    status    INTEGER NOT NULL,
    millis    INTEGER NOT NULL CHECK (millis >= 0),
    token_id  INTEGER REFERENCES api_token (id) ON DELETE SET NULL
) STRICT;

CREATE TABLE api_refusals (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    count INTEGER NOT NULL CHECK (count >= 0)
) STRICT;
INSERT INTO api_refusals (id, count) VALUES (1, 0);
