-- What the runtime last said of a deployed environment's services: how many are ready of how
-- many it should run (NULL before anyone looked). The environments list shows "2 of 3 ready"
-- from here, as the clock's health round last saw it, without asking every runtime per view.
ALTER TABLE environment ADD COLUMN services_ready INTEGER;
ALTER TABLE environment ADD COLUMN services_total INTEGER;

-- A build's deploys (the one that made it, the rollbacks to it), found by build.
CREATE INDEX deploy_by_build ON deploy (build_id);
