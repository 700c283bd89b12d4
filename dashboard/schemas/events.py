"""Feed queries and pages."""

from __future__ import annotations

from pydantic import Field

from shelfsight.dashboard.schemas.common import ApiModel, TimeBounds
from shelfsight.dashboard.schemas.times import TIME_HELP, QueryTime
from shelfsight.dashboard.storage.base import EventFilter
from shelfsight.vision.events.contract import Event, EventType


class EventQuery(TimeBounds):
    """Feed filters; every one is optional and they combine with AND (``until`` later than ``since``).

    ``store`` and ``shelf`` here are filters, not resources: an unknown one matches nothing (an empty page), so
    a feed or live stream can be opened for a store before its first event arrives.
    """

    store: str | None = Field(default=None, description="Store id.")
    camera: str | None = Field(default=None, description="Camera id.")
    zone: str | None = Field(default=None, description="Zone id.")
    shelf: str | None = Field(default=None, description="Shelf id.")
    shopper: str | None = Field(default=None, description="Anonymous shopper id.")
    type: list[EventType] = Field(default_factory=list, description="Event types (repeat for several).")
    since: QueryTime | None = Field(default=None, description="Events with ts at or after this time. " + TIME_HELP)
    until: QueryTime | None = Field(default=None, description="Events with ts before this time. " + TIME_HELP)

    def to_filter(self) -> EventFilter:
        return EventFilter(
            store_id=self.store,
            camera_id=self.camera,
            zone_id=self.zone,
            shelf_id=self.shelf,
            shopper_id=self.shopper,
            types=tuple(self.type),
            since=self.since,
            until=self.until,
        )


class EventPageOut(ApiModel):
    """One page of the feed in stable ``(ts, event_id)`` order."""

    events: list[Event] = Field(description="v1 events exactly as the edge sent them (docs/events.md).")
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")
