"""The flat ``events`` row of an event: indexed columns for filters, plus the canonical JSON payload."""

from __future__ import annotations

from typing import Any, Final

from shelfsight.vision.events.codec import to_json
from shelfsight.vision.events.contract import AnyEvent

EVENT_COLUMNS: Final[tuple[str, ...]] = (
    "event_id",
    "type",
    "store_id",
    "camera_id",
    "zone_id",
    "shelf_id",
    "shopper_id",
    "spot_id",
    "ts",
    "ts_start",
    "ts_end",
    "confidence",
    "dwell_s",
    "pickup_event_id",
    "status",
    "reversed",
    "payload",
    "received_at",
)
"""Columns of the ``events`` table in insert order. ``payload`` is the event's canonical JSON, so feeds return
exactly what the edge sent; the other columns exist to filter and sort."""


def event_row(event: AnyEvent, received_at: float) -> tuple[Any, ...]:
    """The ``events`` row of ``event`` in `EVENT_COLUMNS` order (absent fields as None, ``reversed`` 0).

    Ids stay `uuid.UUID` objects: each backend binds them in its id column type (`shelfsight.dashboard.storage.ids`).
    """
    # The model's field values; .get() avoids pydantic's slow __getattr__ path for fields a type lacks.
    fields: dict[str, Any] = event.__dict__
    spot = fields.get("spot")
    return (
        event.event_id,
        event.type,
        event.store_id,
        event.camera_id,
        fields.get("zone_id"),
        fields.get("shelf_id"),
        fields.get("shopper_id"),
        spot.spot_id if spot is not None else None,
        event.ts,
        fields.get("ts_start"),
        fields.get("ts_end"),
        event.confidence,
        fields.get("dwell_s"),
        fields.get("pickup_event_id"),
        fields.get("status"),
        0,
        to_json(event),
        received_at,
    )
