-- The environments list asks every few seconds what each environment is doing: only the
-- deploys that run or wait, a handful among thousands, are read.
CREATE INDEX deploy_active ON deploy (environment_id, id) WHERE status IN ('queued', 'running');
