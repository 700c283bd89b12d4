"""Live integrations: webhooks and MQTT subscriptions on the stored event stream (docs/dashboard.md).

`config` reads the subscriptions file, `outbox` keeps the deliveries owed in the aggregator's database (written in
the ingest transaction, so an accepted event's deliveries survive a restart), `webhook` and `mqtt` send them, and
`delivery` runs one worker thread per subscription with retries and backoff.
"""
