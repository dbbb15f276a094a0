-- A resource's history by id: when a Megaport service went LIVE or was decommissioned
-- (`liveDate`, `terminateDate`) is read from its events.
CREATE INDEX events_resource ON events (resource_id, seq);
