-- Live integrations (dashboard/integrations): the outbox of deliveries owed to webhook and MQTT subscriptions.
-- A row is written in the same transaction as the event it names, only for events stored for the first time, so
-- an accepted event's deliveries survive a restart and a resent one owes nothing again. Rows are small (the
-- payload is read from events when sending): ingest pays little for them. A row is deleted once the target
-- acknowledged it, or kept with failed_at set after its last attempt.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    subscription TEXT NOT NULL,
    event_id BLOB NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    failed_at REAL,
    last_error TEXT
);

CREATE INDEX deliveries_due ON deliveries (subscription, next_attempt_at) WHERE failed_at IS NULL;
