-- When the aggregator last heard each camera's edge box (its publisher's beat), and how long it may stay silent
-- before the camera's status counts as unknown instead of its last status (docs/dashboard.md, "Coverage").
CREATE TABLE edge_liveness (
    store_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    last_seen REAL NOT NULL,
    stale_after_s REAL NOT NULL,
    PRIMARY KEY (store_id, camera_id)
) WITHOUT ROWID;

-- Page sign-in sessions are read-scope tokens that expire (and that sign-out revokes); API tokens never expire.
ALTER TABLE api_tokens ADD COLUMN expires_at REAL;
