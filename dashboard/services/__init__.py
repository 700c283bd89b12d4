"""Queries and aggregation behind the routers and pages; no HTTP here."""
