-- What kind of runtime failure failed a task (`unreachable`, `refused`, `not_found`,
-- `conflict`, `timed_out`, `failed`), when the runtime said: the window turns it into the
-- error code, and the code into what to do.
ALTER TABLE deploy_task ADD COLUMN error_kind TEXT;
