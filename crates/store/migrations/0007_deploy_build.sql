-- The build whose images a deploy ran: the one it made, or, for a rollback, the earlier build
-- it names.
ALTER TABLE deploy ADD COLUMN build_id INTEGER REFERENCES build (id);
