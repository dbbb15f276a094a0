-- How the reconciler behaves, per resource type, for every process on this data.
CREATE TABLE transition_policies (
    resource_type TEXT PRIMARY KEY,
    policy        TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL
);
