-- The local ingress's ports as the System screen (or `stagecraft ingress ports`) saves them,
-- for every process of this data folder. No row: the defaults (7480, HTTPS off).
-- STAGECRAFT_INGRESS_PORT and STAGECRAFT_INGRESS_HTTPS_PORT, where a process has them, win.
CREATE TABLE ingress_setting (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    port        INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    -- NULL: HTTPS off.
    https_port  INTEGER CHECK (https_port BETWEEN 1 AND 65535 AND https_port <> port),
    changed_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- The ports each process uses the data folder's ingress at: the one serving it (`serving` 1:
-- the ports it listens on) and those that found it served and stand by to take it over. A
-- process that opens the folder while one of them lives takes their ports, not the saved
-- ones, so the folder's processes name one ingress until all of these have stopped (each
-- removes its row as it closes; a row whose process died is not believed).
CREATE TABLE ingress_served (
    holder      TEXT PRIMARY KEY,
    port        INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    https_port  INTEGER CHECK (https_port BETWEEN 1 AND 65535),
    serving     INTEGER NOT NULL CHECK (serving IN (0, 1)),
    since       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
