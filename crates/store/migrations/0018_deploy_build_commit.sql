-- The commit a deploy builds, when it was chosen as the deploy was asked for (GitOps: the
-- commit whose Release files made its configuration). NULL: the commit the environment's
-- branch names when the build starts, as before.
ALTER TABLE deploy ADD COLUMN build_commit TEXT;
