-- Portable schema: text UUIDs, integer epoch milliseconds. Every resource row carries its tenant.
CREATE TABLE vpcs (
    seq         INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    team        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    ip_range    TEXT    NOT NULL,
    ip_start    INTEGER NOT NULL,
    ip_end      INTEGER NOT NULL,
    is_default  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (team, name)
);
CREATE INDEX vpcs_team_start ON vpcs (team, ip_start);
CREATE INDEX vpcs_team_region ON vpcs (team, region);
CREATE INDEX vpcs_team_seq ON vpcs (team, seq);

CREATE TABLE vpc_peerings (
    seq                INTEGER PRIMARY KEY,
    id                 TEXT    NOT NULL UNIQUE,
    team               TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    vpc_a              TEXT    NOT NULL,
    vpc_b              TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    generation         INTEGER NOT NULL,
    next_transition_at INTEGER,
    lease_owner        TEXT,
    lease_until        INTEGER,
    last_error         TEXT,
    created_at         INTEGER NOT NULL,
    UNIQUE (team, name)
);
CREATE INDEX peerings_due ON vpc_peerings (next_transition_at) WHERE next_transition_at IS NOT NULL;
CREATE INDEX peerings_vpc_a ON vpc_peerings (team, vpc_a);
CREATE INDEX peerings_vpc_b ON vpc_peerings (team, vpc_b);

CREATE TABLE events (
    seq           INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    team          TEXT    NOT NULL,
    resource_type TEXT    NOT NULL,
    resource_id   TEXT    NOT NULL,
    from_status   TEXT,
    to_status     TEXT
);

CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    team       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    scopes     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
