-- The commit of the app's tracking branch Stagecraft saw last: a different one is a new
-- commit, which patches the app's environments when auto_deploy is on.
ALTER TABLE app ADD COLUMN last_commit TEXT;
