-- The branch chosen for each app an environment's template imports (`app_imports`), once,
-- when the environment first reads that import (at its creation, or the first deploy after
-- a configuration that adds it), as Release chooses it at creation: `rule` says which of
-- Release's four rules chose it. Kept by app name: an app removed and added again is still
-- the one the template names. Removed with the environment.
CREATE TABLE environment_import (
    environment_id INTEGER NOT NULL REFERENCES environment (id) ON DELETE CASCADE,
    app_name TEXT NOT NULL CHECK (length(app_name) > 0),
    branch TEXT NOT NULL CHECK (length(branch) > 0),
    rule TEXT NOT NULL CHECK (rule IN ('template', 'matching', 'tracking', 'default')),
    PRIMARY KEY (environment_id, app_name)
) STRICT;

-- What each imported app's configuration was (a digest of its template and variables as the
-- environment read them) when a setup ran: a later change in it alone makes the next deploy a
-- setup, as a change of the environment's own configuration does.
CREATE TABLE deploy_import (
    deploy_id INTEGER NOT NULL REFERENCES deploy (id) ON DELETE CASCADE,
    app_name TEXT NOT NULL CHECK (length(app_name) > 0),
    digest TEXT NOT NULL CHECK (length(digest) > 0),
    PRIMARY KEY (deploy_id, app_name)
) STRICT;

-- The branch and commit of each imported app a build built from (none: its working tree): a
-- deploy that runs that build again (a rollback, a custom workflow, a cron job's run) reads
-- the imported apps' files at those commits, as it runs their images.
CREATE TABLE build_import (
    build_id INTEGER NOT NULL REFERENCES build (id) ON DELETE CASCADE,
    app_name TEXT NOT NULL CHECK (length(app_name) > 0),
    branch TEXT NOT NULL,
    git_commit TEXT,
    PRIMARY KEY (build_id, app_name)
) STRICT;
