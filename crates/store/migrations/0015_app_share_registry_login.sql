-- Whether the clusters the app's environments run on pull its built images with the user's
-- own Docker login for its registry (kept as a Secret in each environment's namespace). Off
-- until the user asks: it puts their registry credentials in the cluster.
ALTER TABLE app ADD COLUMN share_registry_login INTEGER NOT NULL DEFAULT 0
    CHECK (share_registry_login IN (0, 1));
