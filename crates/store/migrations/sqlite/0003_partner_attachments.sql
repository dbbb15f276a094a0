-- Partner Network Connect and the Megaport side it needs: the built-in company's partner
-- ports and the service keys issued on them. Lifecycle columns are the same on every
-- asynchronous resource table (status, generation, next_transition_at, lease, last_error).

CREATE TABLE companies (
    uid        TEXT PRIMARY KEY,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE ports (
    uid            TEXT PRIMARY KEY,
    company_uid    TEXT    NOT NULL REFERENCES companies (uid),
    name           TEXT    NOT NULL,
    metro          TEXT    NOT NULL,
    diversity_zone TEXT    NOT NULL,
    speed_mbps     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX ports_metro ON ports (metro, diversity_zone);

CREATE TABLE partner_attachments (
    seq                INTEGER PRIMARY KEY,
    id                 TEXT    NOT NULL UNIQUE,
    team               TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    metro              TEXT    NOT NULL,
    naas_provider      TEXT    NOT NULL,
    bandwidth_mbps     INTEGER NOT NULL,
    redundancy_zone    TEXT    NOT NULL,
    parent_id          TEXT,
    local_asn          INTEGER NOT NULL,
    local_router_ip    TEXT    NOT NULL,
    peer_asn           INTEGER NOT NULL,
    peer_router_ip     TEXT    NOT NULL,
    auth_key           TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    generation         INTEGER NOT NULL,
    next_transition_at INTEGER,
    lease_owner        TEXT,
    lease_until        INTEGER,
    last_error         TEXT,
    created_at         INTEGER NOT NULL,
    UNIQUE (team, name)
);
CREATE INDEX attachments_due ON partner_attachments (next_transition_at) WHERE next_transition_at IS NOT NULL;
CREATE INDEX attachments_team_seq ON partner_attachments (team, seq);
CREATE INDEX attachments_parent ON partner_attachments (parent_id) WHERE parent_id IS NOT NULL;

-- An attachment's VPCs in the order the request gave them.
CREATE TABLE attachment_vpcs (
    attachment_id TEXT    NOT NULL REFERENCES partner_attachments (id) ON DELETE CASCADE,
    team          TEXT    NOT NULL,
    vpc_id        TEXT    NOT NULL,
    position      INTEGER NOT NULL,
    PRIMARY KEY (attachment_id, vpc_id)
);
CREATE INDEX attachment_vpcs_vpc ON attachment_vpcs (team, vpc_id);

-- `id` names the key in events and logs; `key` is the secret a customer takes to Megaport.
CREATE TABLE service_keys (
    seq                INTEGER PRIMARY KEY,
    id                 TEXT    NOT NULL UNIQUE,
    key                TEXT    NOT NULL UNIQUE,
    company_uid        TEXT    NOT NULL,
    product_uid        TEXT    NOT NULL,
    description        TEXT    NOT NULL,
    max_speed          INTEGER NOT NULL,
    single_use         INTEGER NOT NULL,
    active             INTEGER NOT NULL,
    valid_from         INTEGER NOT NULL,
    valid_until        INTEGER,
    attachment_id      TEXT,
    used_at            INTEGER,
    status             TEXT    NOT NULL,
    generation         INTEGER NOT NULL,
    next_transition_at INTEGER,
    lease_owner        TEXT,
    lease_until        INTEGER,
    last_error         TEXT,
    created_at         INTEGER NOT NULL
);
CREATE INDEX service_keys_due ON service_keys (next_transition_at) WHERE next_transition_at IS NOT NULL;
CREATE INDEX service_keys_attachment ON service_keys (attachment_id, seq) WHERE attachment_id IS NOT NULL;
CREATE INDEX service_keys_active ON service_keys (attachment_id, seq) WHERE active = 1;
CREATE INDEX service_keys_company ON service_keys (company_uid, seq);

-- Events name their tenant, a DigitalOcean team or a Megaport company.
ALTER TABLE events RENAME COLUMN team TO tenant;
UPDATE events SET tenant = 'team:' || tenant;
