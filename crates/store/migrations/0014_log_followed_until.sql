-- The runtime's time of the newest line kept from a followed service's log, in nanoseconds
-- since the Unix epoch: a Stagecraft that starts again follows the log on from there, so
-- the lines written while none ran are kept too, and none twice.
ALTER TABLE log_resource ADD COLUMN followed_until_ns INTEGER;
