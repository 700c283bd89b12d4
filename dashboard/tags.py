"""OpenAPI tags: one per router."""

from __future__ import annotations

from enum import StrEnum


class Tag(StrEnum):
    EVENTS = "events"
    SHELVES = "shelves"
    SHOPPERS = "shoppers"
    CAMERAS = "cameras"
    STORES = "stores"
    ADMIN = "admin"
    HEALTH = "health"
    PAGES = "pages"
