-- The Megaport API: products (ports, MCRs, MVEs), VXCs, API keys, order approvals and
-- notifications. What an order fixes and an update changes is one JSON document per row
-- (`spec`); what queries select on is a column. Lifecycle columns as on every async table.

CREATE TABLE products (
    seq                INTEGER PRIMARY KEY,
    uid                TEXT    NOT NULL UNIQUE,
    company_uid        TEXT    NOT NULL,
    product_type       TEXT    NOT NULL,
    location_id        INTEGER NOT NULL,
    diversity_zone     TEXT    NOT NULL,
    spec               TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    generation         INTEGER NOT NULL,
    next_transition_at INTEGER,
    lease_owner        TEXT,
    lease_until        INTEGER,
    last_error         TEXT,
    created_at         INTEGER NOT NULL
);
CREATE INDEX products_due ON products (next_transition_at) WHERE next_transition_at IS NOT NULL;
CREATE INDEX products_company ON products (company_uid, seq);
CREATE INDEX products_partner ON products (company_uid, location_id, diversity_zone);

-- DigitalOcean's partner ports become products of the built-in company.
INSERT INTO products (uid, company_uid, product_type, location_id, diversity_zone, spec, status, generation, created_at)
SELECT uid, company_uid, 'MEGAPORT',
       CASE metro WHEN 'nyc' THEN 61 WHEN 'sfo' THEN 71 WHEN 'fra' THEN 81 WHEN 'ams' THEN 91 ELSE 101 END,
       diversity_zone,
       json_object('name', name, 'speed_mbps', speed_mbps, 'term_months', 1, 'cost_centre', '',
                   'marketplace_visibility', json('true'), 'live_at', created_at),
       'LIVE', 1, created_at
FROM ports ORDER BY created_at, uid;
DROP TABLE ports;

CREATE TABLE vxcs (
    seq                INTEGER PRIMARY KEY,
    uid                TEXT    NOT NULL UNIQUE,
    a_company          TEXT    NOT NULL,
    a_product          TEXT    NOT NULL,
    b_company          TEXT    NOT NULL,
    b_product          TEXT    NOT NULL,
    service_key_id     TEXT,
    attachment_id      TEXT,
    spec               TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    generation         INTEGER NOT NULL,
    next_transition_at INTEGER,
    lease_owner        TEXT,
    lease_until        INTEGER,
    last_error         TEXT,
    created_at         INTEGER NOT NULL
);
CREATE INDEX vxcs_due ON vxcs (next_transition_at) WHERE next_transition_at IS NOT NULL;
CREATE INDEX vxcs_a ON vxcs (a_product);
CREATE INDEX vxcs_b ON vxcs (b_product);
CREATE INDEX vxcs_a_company ON vxcs (a_company);
CREATE INDEX vxcs_b_company ON vxcs (b_company);
CREATE INDEX vxcs_attachment ON vxcs (attachment_id) WHERE attachment_id IS NOT NULL;

ALTER TABLE service_keys ADD COLUMN vlan INTEGER;
ALTER TABLE service_keys ADD COLUMN pre_approved INTEGER NOT NULL DEFAULT 0;
ALTER TABLE service_keys ADD COLUMN config TEXT;
CREATE INDEX service_keys_product ON service_keys (product_uid, seq);

-- Minted for --auth strict (`crosslink admin megaport-keys create`); only the secret's hash.
CREATE TABLE megaport_api_keys (
    access_key  TEXT PRIMARY KEY,
    secret_hash TEXT    NOT NULL,
    company_uid TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Values shared by every process on this data (the token signing secret).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE order_approvals (
    seq               INTEGER PRIMARY KEY,
    uid               TEXT    NOT NULL UNIQUE,
    vxc_uid           TEXT    NOT NULL,
    requester_company TEXT    NOT NULL,
    approver_company  TEXT    NOT NULL,
    type              TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    detail            TEXT    NOT NULL,
    comment           TEXT,
    created_at        INTEGER NOT NULL,
    decided_at        INTEGER
);
CREATE INDEX order_approvals_approver ON order_approvals (approver_company, seq);
CREATE INDEX order_approvals_requester ON order_approvals (requester_company, seq);

CREATE TABLE notifications (
    seq         INTEGER PRIMARY KEY,
    company_uid TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    product_uid TEXT
);
CREATE INDEX notifications_company ON notifications (company_uid, seq);
