-- The 127.0.0.1 port a service's port is published on when it is not its stable one: a patch
-- without downtime starts the new container beside the old, on the service's other port, and
-- the local ingress switches to it. No row: the stable port.
CREATE TABLE published_port (
    environment_id  INTEGER NOT NULL REFERENCES environment (id) ON DELETE CASCADE,
    service         TEXT NOT NULL,
    port            INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    host_port       INTEGER NOT NULL CHECK (host_port BETWEEN 1 AND 65535),
    PRIMARY KEY (environment_id, service, port)
) STRICT;
