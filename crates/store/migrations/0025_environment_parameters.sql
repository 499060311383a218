-- The values an environment's parameters were given (a JSON object, name to value), kept with
-- each version of its configuration: a change is a new version, so the next deploy runs setup.
-- Versions made before parameters existed were given none.
ALTER TABLE environment_config ADD COLUMN parameters_json TEXT NOT NULL DEFAULT '{}'
    CHECK (json_valid(parameters_json) AND json_type(parameters_json) = 'object');
