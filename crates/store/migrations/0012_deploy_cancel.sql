-- A user asked to cancel the deploy: the process that runs it (this one, or the app while the
-- command asks) sees it within a moment and stops the stage.
ALTER TABLE deploy ADD COLUMN cancel_requested_at TEXT;
