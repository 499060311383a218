-- What an environment tells its user outside of a deploy: "expires in less than a day".
CREATE TABLE environment_notice (
    id              INTEGER PRIMARY KEY,
    environment_id  INTEGER NOT NULL REFERENCES environment (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    message         TEXT NOT NULL,
    -- For an expiry warning: the expiry it warns about, so an Extend earns a new warning.
    about           TEXT,
    at              TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (environment_id, kind, about)
) STRICT;
