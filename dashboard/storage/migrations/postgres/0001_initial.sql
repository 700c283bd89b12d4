-- shelfsight aggregator schema v1 (postgres). Times are UTC epoch seconds; see docs/dashboard.md.

-- Raw events: indexed columns for filters and the canonical JSON payload. Deleted by retention.
CREATE TABLE events (
    event_id TEXT COLLATE "C" PRIMARY KEY,
    type TEXT NOT NULL,
    store_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    zone_id TEXT,
    shelf_id TEXT,
    shopper_id TEXT,
    spot_id TEXT,
    ts DOUBLE PRECISION NOT NULL,
    ts_start DOUBLE PRECISION,
    ts_end DOUBLE PRECISION,
    confidence DOUBLE PRECISION NOT NULL,
    dwell_s DOUBLE PRECISION,
    pickup_event_id TEXT,
    status TEXT,
    reversed SMALLINT NOT NULL DEFAULT 0,
    payload TEXT NOT NULL,
    received_at DOUBLE PRECISION NOT NULL
);

CREATE INDEX events_ts ON events (ts, event_id);
CREATE INDEX events_store_ts ON events (store_id, ts, event_id);
CREATE INDEX events_shopper ON events (store_id, shopper_id, ts_start);
CREATE INDEX events_pickup_ref ON events (pickup_event_id) WHERE pickup_event_id IS NOT NULL;

-- Additive rollups per (bucket size, bucket, store, shelf, zone, camera); never deleted.
CREATE TABLE rollups (
    bucket_s INTEGER NOT NULL,
    bucket_start BIGINT NOT NULL,
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
    dwell_sum_s DOUBLE PRECISION NOT NULL DEFAULT 0,
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
);

-- Seconds per camera status within each bucket, from closed intervals of camera_log.
CREATE TABLE coverage (
    bucket_s INTEGER NOT NULL,
    bucket_start BIGINT NOT NULL,
    store_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    online_s DOUBLE PRECISION NOT NULL,
    degraded_s DOUBLE PRECISION NOT NULL,
    offline_s DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (bucket_s, store_id, bucket_start, camera_id)
);

-- Every camera_status event, kept forever (small): coverage is recomputed from it.
CREATE TABLE camera_log (
    event_id TEXT COLLATE "C" PRIMARY KEY,
    store_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    ts DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    fps DOUBLE PRECISION
);
CREATE INDEX camera_log_camera_ts ON camera_log (store_id, camera_id, ts);

-- Which cameras report on which shelf and zone ("" when the event has none).
CREATE TABLE targets (
    store_id TEXT NOT NULL,
    shelf_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    first_ts DOUBLE PRECISION NOT NULL,
    last_ts DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (store_id, shelf_id, zone_id, camera_id)
);

-- dwell_started events whose dwell has not arrived: who is dwelling now. visit_key joins a visit's two events
-- in one column (store, shopper, zone, ts_start), so closing a batch of visits is one IN (...) everywhere.
CREATE TABLE open_visits (
    visit_key TEXT PRIMARY KEY,
    store_id TEXT NOT NULL,
    shopper_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    ts_start DOUBLE PRECISION NOT NULL,
    shelf_id TEXT,
    camera_id TEXT NOT NULL,
    confirmed_ts DOUBLE PRECISION NOT NULL
);
CREATE INDEX open_visits_store ON open_visits (store_id, confirmed_ts);

-- Events that failed validation, with their raw bytes; deleted by retention.
CREATE TABLE dead_letters (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at DOUBLE PRECISION NOT NULL,
    store_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    error TEXT NOT NULL,
    raw BYTEA NOT NULL
);

-- API tokens: the sha256 of the secret, never the secret.
CREATE TABLE api_tokens (
    token_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at DOUBLE PRECISION NOT NULL,
    revoked_at DOUBLE PRECISION
);
