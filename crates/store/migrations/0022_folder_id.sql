-- A short random id of this database, put in the tags of the images its builds make, so two data
-- folders (two users, a database made anew) with an app of the same name never overwrite each
-- other's images. A database made before this gets one now; a new one when it is created.
ALTER TABLE store_meta ADD COLUMN folder_id TEXT;
UPDATE store_meta SET folder_id = lower(hex(randomblob(4))) WHERE folder_id IS NULL;
