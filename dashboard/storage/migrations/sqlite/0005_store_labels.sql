-- The labels edge boxes send in their beats (pipeline/transport/liveness.py): each store's time zone and the
-- display names of its zones, from the box's config (timezone:, a zone's name:). Pages show names instead of
-- ids and times in the store's zone (docs/dashboard.md, "Names and time zone"). Latest beat wins.
CREATE TABLE store_time_zones (
    store_id TEXT NOT NULL PRIMARY KEY,
    timezone TEXT NOT NULL,
    updated_at REAL NOT NULL
) WITHOUT ROWID;

CREATE TABLE zone_names (
    store_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    name TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (store_id, zone_id)
) WITHOUT ROWID;
