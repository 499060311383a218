-- What a deploy's build reads: the commit its environment's branch names (the default, so
-- environments of different branches coexist), or the repository's working tree as it is.
ALTER TABLE deploy ADD COLUMN build_source TEXT NOT NULL DEFAULT 'commit'
    CHECK (build_source IN ('commit', 'working_tree'));
