-- Live integrations (dashboard/integrations): the outbox of deliveries owed to webhook and MQTT subscriptions.
-- A row is written in the same transaction as the event it names, only for events stored for the first time, so
-- an accepted event's deliveries survive a restart and a resent one owes nothing again. Rows are small (the
-- payload is read from events when sending): ingest pays little for them. A row is deleted once the target
-- acknowledged it, or kept with failed_at set after its last attempt.
CREATE SEQUENCE deliveries_id START 1;

CREATE TABLE deliveries (
    id BIGINT PRIMARY KEY DEFAULT nextval('deliveries_id'),
    subscription TEXT NOT NULL,
    event_id TEXT NOT NULL,
    created_at DOUBLE NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DOUBLE NOT NULL,
    failed_at DOUBLE,
    last_error TEXT
);

CREATE INDEX deliveries_due ON deliveries (subscription, next_attempt_at);
