-- GitOps: an app whose configuration follows the Release files of the commit each deploy builds
-- (on for an app added from Release files; off keeps the stored template, edited in the app).
ALTER TABLE app ADD COLUMN gitops INTEGER NOT NULL DEFAULT 0 CHECK (gitops IN (0, 1));

-- The app configuration version an environment configuration was made from: with GitOps the
-- first number of `v{default}.{specific}` moves when the branch's files change, and
-- `environment.default_version` follows the newest. NULL: `environment.default_version`, as
-- every configuration saved before this migration was made from it.
ALTER TABLE environment_config ADD COLUMN default_version INTEGER;
