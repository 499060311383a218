-- The clock (expiry, expiry warnings, auto_deploy) runs in one process at a time: the app, or a
-- headless `stagecraft serve`. Whoever holds this row runs it; a holder that stops renewing it
-- (closed, killed) lets another take it once it expires.
CREATE TABLE clock_lease (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    holder      TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) STRICT;

-- The commit of its own branch an environment's clock saw last: a newer one patches it when
-- its app has auto_deploy on (Release's branch environments).
ALTER TABLE environment ADD COLUMN last_commit TEXT;
-- An environment of its app's tracking branch has seen what the app saw.
UPDATE environment SET last_commit = (
    SELECT app.last_commit FROM app
    WHERE app.id = environment.app_id AND app.tracking_branch = environment.branch
);
