-- A deploy that ran an earlier build's images, building nothing (a rollback): the environment
-- is then pinned to that build until a deploy that builds moves it.
ALTER TABLE deploy ADD COLUMN rollback INTEGER NOT NULL DEFAULT 0 CHECK (rollback IN (0, 1));

-- Rollbacks queued before the column existed said so in their reason.
UPDATE deploy SET rollback = 1 WHERE reason LIKE '%rollback to the images of build %';
