-- How many times a task was tried: a runtime failure that is transient (the engine or API
-- server briefly unreachable) is tried again, and each attempt is on the timeline.
ALTER TABLE deploy_task ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1);
