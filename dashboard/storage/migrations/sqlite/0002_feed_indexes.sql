-- Feed filters that keep the feed's order: an index per selective equality filter, ending in (ts, event_id), so
-- a page is a seek and a read of the next rows instead of a scan that throws most rows away. Measured with 10 M
-- events (bench/bench_query_latency.py): store + shelf + type pages read ~20,000 rows of events_store_ts for
-- 100 kept; a shopper filter read the whole store (7.7 s), because SQLite preferred the index that gives the
-- order over events_shopper (store_id, shopper_id, ts_start), which does not.

CREATE INDEX events_store_shelf_ts ON events (store_id, shelf_id, ts, event_id);

-- Replaces events_shopper: serves the feed's shopper filter in order, the journey (store + shopper) and the
-- ingest's lookup of a shopper's stored dwells just as well.
DROP INDEX events_shopper;
CREATE INDEX events_store_shopper_ts ON events (store_id, shopper_id, ts, event_id);
