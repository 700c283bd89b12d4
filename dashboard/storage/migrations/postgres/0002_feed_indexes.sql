-- Feed filters that keep the feed's order: an index per selective equality filter, ending in (ts, event_id), so
-- a page is a seek and a read of the next rows instead of a scan that throws most rows away. Measured with 10 M
-- events (bench/bench_query_latency.py): a store + shelf + type page was an index scan of events_ts removing
-- ~23,000 rows for the 100 it kept (p95 81 ms, p99 181 ms for deep pages).

CREATE INDEX events_store_shelf_ts ON events (store_id, shelf_id, ts, event_id);

-- Replaces events_shopper (store_id, shopper_id, ts_start): the same lookups for the journey and the ingest's
-- stored-dwell check, and the feed's shopper filter in feed order (SQLite scanned the whole store without it).
DROP INDEX events_shopper;
CREATE INDEX events_store_shopper_ts ON events (store_id, shopper_id, ts, event_id);
