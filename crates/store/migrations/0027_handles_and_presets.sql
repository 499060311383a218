-- Environment handles (Release's "environment handles"): pools of fixed names per app. An
-- environment whose template asks for a pool (`datasets: [{name: <pool>}]`) checks out a
-- free name of it at creation and takes it as its id, so its URLs are the same each time an
-- environment is made from the pool. A handle is held while an environment that is not torn
-- down has its name as id: the teardown releases it.
CREATE TABLE handle (
    app_id INTEGER NOT NULL REFERENCES app (id) ON DELETE CASCADE,
    pool TEXT NOT NULL CHECK (length(pool) > 0),
    name TEXT NOT NULL CHECK (length(name) > 0),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (app_id, pool, name)
) STRICT;

-- Presets: create options saved under a name (an app, and any of a branch, an environment
-- template, a TTL, a runtime and parameter values, as JSON), for `environments create
-- --preset NAME` and the New environment dialog.
CREATE TABLE preset (
    name TEXT PRIMARY KEY CHECK (length(name) > 0),
    app_id INTEGER NOT NULL REFERENCES app (id) ON DELETE CASCADE,
    options_json TEXT NOT NULL CHECK (json_valid(options_json) AND json_type(options_json) = 'object'),
    saved_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
