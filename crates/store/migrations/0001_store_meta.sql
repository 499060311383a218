-- One row that says when this database was created and by which Stagecraft: the first thing
-- support asks when a database misbehaves.
CREATE TABLE store_meta (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    created_by_version  TEXT NOT NULL
) STRICT;
