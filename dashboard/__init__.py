"""The FastAPI aggregator: ingest, storage, rollups, pages and analyst feeds."""
