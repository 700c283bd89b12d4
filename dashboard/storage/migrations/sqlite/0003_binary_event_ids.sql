-- Event ids as 16-byte BLOBs instead of 36-character text (events.event_id and events.pickup_event_id).
-- Ids are random UUIDs, so the primary-key index takes its inserts all over the file and an ingest commit of
-- 8000 events rewrote thousands of its pages; the id is also the tie-breaker of every (..., ts, event_id) index.
-- Measured with bench/bench_ingest.py: see bench/README.md, "Sustained ingest". Big-endian bytes sort like the
-- canonical lowercase text, so the feed order (ts, event_id) is unchanged. SQLite cannot change a column's type
-- in place: the table is rebuilt in rowid (arrival) order; uuid_blob() is registered by the SQLite adapter.

CREATE TABLE events_v3 (
    event_id BLOB PRIMARY KEY,
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
    pickup_event_id BLOB,
    status TEXT,
    reversed SMALLINT NOT NULL DEFAULT 0,
    payload TEXT NOT NULL,
    received_at REAL NOT NULL
);

INSERT INTO events_v3 (event_id, type, store_id, camera_id, zone_id, shelf_id, shopper_id, spot_id, ts, ts_start,
                       ts_end, confidence, dwell_s, pickup_event_id, status, reversed, payload, received_at)
SELECT uuid_blob(event_id), type, store_id, camera_id, zone_id, shelf_id, shopper_id, spot_id, ts, ts_start,
       ts_end, confidence, dwell_s, uuid_blob(pickup_event_id), status, reversed, payload, received_at
FROM events ORDER BY rowid;

DROP TABLE events;
ALTER TABLE events_v3 RENAME TO events;

CREATE INDEX events_ts ON events (ts, event_id);
CREATE INDEX events_store_ts ON events (store_id, ts, event_id);
CREATE INDEX events_store_shelf_ts ON events (store_id, shelf_id, ts, event_id);
CREATE INDEX events_store_shopper_ts ON events (store_id, shopper_id, ts, event_id);
CREATE INDEX events_pickup_ref ON events (pickup_event_id) WHERE pickup_event_id IS NOT NULL;
