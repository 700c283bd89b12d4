-- Live integrations (dashboard/integrations): the outbox of deliveries owed to webhook and MQTT subscriptions.
-- A row is written in the same transaction as the event it carries, so an accepted event's deliveries survive a
-- restart; it is deleted once the target acknowledged it, or kept with failed_at set after the last attempt.
CREATE SEQUENCE deliveries_id START 1;

CREATE TABLE deliveries (
    id BIGINT PRIMARY KEY DEFAULT nextval('deliveries_id'),
    subscription TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at DOUBLE NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DOUBLE NOT NULL,
    failed_at DOUBLE,
    last_error TEXT,
    UNIQUE (subscription, event_id)
);

CREATE INDEX deliveries_due ON deliveries (subscription, next_attempt_at);
