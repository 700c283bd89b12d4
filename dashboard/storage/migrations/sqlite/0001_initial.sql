-- shelfsight aggregator schema v1 (sqlite). Times are UTC epoch seconds; see docs/dashboard.md.
-- rollups, coverage and targets are WITHOUT ROWID: stored in primary-key order, so a store's hour rows for a
-- time range are neighbours on disk instead of scattered among the far more numerous minute rows.

-- Raw events: indexed columns for filters and the canonical JSON payload. Deleted by retention.
CREATE TABLE events (
    event_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    store_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    zone_id TEXT,
    shelf_id TEXT,
    shopper_id TEXT,
    spot_id TEXT,
    ts REAL NOT NULL,
    ts_start REAL,
    ts_end REAL,
    confidence REAL NOT NULL,
    dwell_s REAL,
    pickup_event_id TEXT,
    status TEXT,
    reversed SMALLINT NOT NULL DEFAULT 0,
    payload TEXT NOT NULL,
    received_at REAL NOT NULL
);

CREATE INDEX events_ts ON events (ts, event_id);
CREATE INDEX events_store_ts ON events (store_id, ts, event_id);
CREATE INDEX events_shopper ON events (store_id, shopper_id, ts_start);
CREATE INDEX events_pickup_ref ON events (pickup_event_id) WHERE pickup_event_id IS NOT NULL;

-- Additive rollups per (bucket size, bucket, store, shelf, zone, camera); never deleted.
CREATE TABLE rollups (
    bucket_s INTEGER NOT NULL,
    bucket_start INTEGER NOT NULL,
    store_id TEXT NOT NULL,
    shelf_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    entries INTEGER NOT NULL DEFAULT 0,
    visits INTEGER NOT NULL DEFAULT 0,
    passbys INTEGER NOT NULL DEFAULT 0,
    touches INTEGER NOT NULL DEFAULT 0,
    pickups INTEGER NOT NULL DEFAULT 0,
    putbacks INTEGER NOT NULL DEFAULT 0,
    reversed INTEGER NOT NULL DEFAULT 0,
    dwell_sum_s REAL NOT NULL DEFAULT 0,
    h00 INTEGER NOT NULL DEFAULT 0,
    h01 INTEGER NOT NULL DEFAULT 0,
    h02 INTEGER NOT NULL DEFAULT 0,
    h03 INTEGER NOT NULL DEFAULT 0,
    h04 INTEGER NOT NULL DEFAULT 0,
    h05 INTEGER NOT NULL DEFAULT 0,
    h06 INTEGER NOT NULL DEFAULT 0,
    h07 INTEGER NOT NULL DEFAULT 0,
    h08 INTEGER NOT NULL DEFAULT 0,
    h09 INTEGER NOT NULL DEFAULT 0,
    h10 INTEGER NOT NULL DEFAULT 0,
    h11 INTEGER NOT NULL DEFAULT 0,
    h12 INTEGER NOT NULL DEFAULT 0,
    h13 INTEGER NOT NULL DEFAULT 0,
    h14 INTEGER NOT NULL DEFAULT 0,
    h15 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket_s, store_id, bucket_start, shelf_id, zone_id, camera_id)
) WITHOUT ROWID;

-- Seconds per camera status within each bucket, from closed intervals of camera_log.
CREATE TABLE coverage (
    bucket_s INTEGER NOT NULL,
    bucket_start INTEGER NOT NULL,
    store_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    online_s REAL NOT NULL,
    degraded_s REAL NOT NULL,
    offline_s REAL NOT NULL,
    PRIMARY KEY (bucket_s, store_id, bucket_start, camera_id)
) WITHOUT ROWID;

-- Every camera_status event, kept forever (small): coverage is recomputed from it.
CREATE TABLE camera_log (
    event_id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    ts REAL NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    fps REAL
);
CREATE INDEX camera_log_camera_ts ON camera_log (store_id, camera_id, ts);

-- Which cameras report on which shelf and zone ("" when the event has none).
CREATE TABLE targets (
    store_id TEXT NOT NULL,
    shelf_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    first_ts REAL NOT NULL,
    last_ts REAL NOT NULL,
    PRIMARY KEY (store_id, shelf_id, zone_id, camera_id)
) WITHOUT ROWID;

-- dwell_started events whose dwell has not arrived: who is dwelling now. visit_key joins a visit's two events
-- in one column (store, shopper, zone, ts_start), so closing a batch of visits is one IN (...) everywhere.
CREATE TABLE open_visits (
    visit_key TEXT PRIMARY KEY,
    store_id TEXT NOT NULL,
    shopper_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    ts_start REAL NOT NULL,
    shelf_id TEXT,
    camera_id TEXT NOT NULL,
    confirmed_ts REAL NOT NULL
);
CREATE INDEX open_visits_store ON open_visits (store_id, confirmed_ts);

-- Events that failed validation, with their raw bytes; deleted by retention.
CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at REAL NOT NULL,
    store_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    error TEXT NOT NULL,
    raw BLOB NOT NULL
);

-- API tokens: the sha256 of the secret, never the secret.
CREATE TABLE api_tokens (
    token_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    revoked_at REAL
);
