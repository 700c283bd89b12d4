"""Feed queries and pages."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from dashboard.schemas.common import MAX_EPOCH_S, ApiModel
from dashboard.storage.base import EventFilter
from vision.events.contract import Event, EventType


class EventQuery(ApiModel):
    """Feed filters; every one is optional and they combine with AND."""

    # Query-parameter model: other parameters (cursor, limit) share the query string, so extras are ignored.
    model_config = ConfigDict(frozen=True, extra="ignore")

    store: str | None = Field(default=None, description="Store id.")
    camera: str | None = Field(default=None, description="Camera id.")
    zone: str | None = Field(default=None, description="Zone id.")
    shelf: str | None = Field(default=None, description="Shelf id.")
    shopper: str | None = Field(default=None, description="Anonymous shopper id.")
    type: list[EventType] = Field(default_factory=list, description="Event types (repeat for several).")
    since: float | None = Field(
        default=None, ge=0, le=MAX_EPOCH_S, description="Events with ts at or after, UTC epoch seconds."
    )
    until: float | None = Field(
        default=None, ge=0, le=MAX_EPOCH_S, description="Events with ts before, UTC epoch seconds."
    )

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
