-- The local ingress's ports as the window's System screen sets them, for every process of this
-- data folder (each reads them as it starts). No row: the defaults (7480, HTTPS off).
-- STAGECRAFT_INGRESS_PORT and STAGECRAFT_INGRESS_HTTPS_PORT, where a process has them, win.
CREATE TABLE ingress_setting (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    port        INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    -- NULL: HTTPS off.
    https_port  INTEGER CHECK (https_port BETWEEN 1 AND 65535 AND https_port <> port),
    changed_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- The ports the data folder's ingress listens on now, and the process serving it (a `holder`
-- name). A process that opens the folder while that one lives uses these, not the saved ones:
-- every process of the folder names one ingress until the one serving it stops (its row is
-- removed then; a row whose process died is not believed).
CREATE TABLE ingress_served (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    port        INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    https_port  INTEGER CHECK (https_port BETWEEN 1 AND 65535),
    holder      TEXT NOT NULL
) STRICT;
