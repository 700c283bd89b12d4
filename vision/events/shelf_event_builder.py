"""The one place that builds touch, pick-up and put-back events from a reach.

Every shelf event is the reach's own: its times (``ts`` = the reach's end), its shopper and its reach source. The
event id is derived (`shelfsight.vision.events.ids.event_id_for`) from the type, the shopper, the reach's start and
where it happened (the shelf for a touch, shelf and spot for a pick-up or put-back), so a replay gives the same ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal
from uuid import UUID

from shelfsight.vision.events.contract import PickupEvent, PutbackEvent, ShelfSpot, TouchEvent
from shelfsight.vision.events.ids import event_id_for, shopper_id_for
from shelfsight.vision.events.reach import Box, Reach
from shelfsight.vision.zones import Zone

MIN_SPOT_SIZE: Final = 0.001
"""Smallest width and height of a spot's box, fractions of the frame: a hand box cut by the frame's edge keeps an
area (the contract wants x1 < x2 and y1 < y2)."""

MAX_SPOT_START: Final = 1.0 - MIN_SPOT_SIZE
"""Largest x1 / y1 of a spot's box, fractions of the frame, so that a spot at the edge still fits inside it."""


@dataclass(frozen=True)
class PickupLink:
    """What a put-back reverses (`shelfsight.vision.events.pickup_ledger.PickupLedger.link_putback`).

    Attributes:
        pickup_event_id: The reversed pick-up's event id; None when no pick-up matched.
        misplaced: The item went back to a different spot than it was taken from.
    """

    pickup_event_id: UUID | None
    misplaced: bool


@dataclass(frozen=True)
class ShelfEventBuilder:
    """Builds the shelf events of one camera.

    Attributes:
        store_id: Written into events.
        camera_id: Written into events; shopper ids are ``{camera_id}-{track id}``.
        frame_size: (height, width) of the reference frame, pixels: spot boxes are written as fractions of it.
        standing_zones: {shelf id: the standing zone in front of it}: a touch names the zone its shopper reached
            from (the shelf itself when it has none).
    """

    store_id: str
    camera_id: str
    frame_size: tuple[int, int]
    standing_zones: Mapping[str, Zone]

    def spot(self, box: Box) -> ShelfSpot:
        """The spot of a box in reference pixels: its box as fractions of the frame, clipped to it, named by its
        centre."""
        height, width = self.frame_size
        x1 = min(max(box[0] / width, 0.0), MAX_SPOT_START)
        y1 = min(max(box[1] / height, 0.0), MAX_SPOT_START)
        x2 = max(min(box[2] / width, 1.0), x1 + MIN_SPOT_SIZE)
        y2 = max(min(box[3] / height, 1.0), y1 + MIN_SPOT_SIZE)
        return ShelfSpot(spot_id=f"x{(x1 + x2) / 2:.2f}y{(y1 + y2) / 2:.2f}", box=(x1, y1, x2, y2))

    def pickup(self, reach: Reach, *, shelf_id: str, spot: ShelfSpot, confidence: float) -> PickupEvent:
        """An item gone from ``spot`` of ``shelf_id`` after ``reach``."""
        return PickupEvent.model_validate(self._fields("pickup", reach, shelf_id, spot, confidence))

    def putback(
        self, reach: Reach, *, shelf_id: str, spot: ShelfSpot, confidence: float, link: PickupLink
    ) -> PutbackEvent:
        """An item back at ``spot`` of ``shelf_id`` after ``reach``, reversing the pick-up ``link`` names."""
        fields = self._fields("putback", reach, shelf_id, spot, confidence)
        return PutbackEvent.model_validate(
            {**fields, "pickup_event_id": link.pickup_event_id, "misplaced": link.misplaced}
        )

    def touch(self, reach: Reach, *, confidence: float) -> TouchEvent:
        """A reach after which nothing changed at its spot (or nothing could be seen: a low ``confidence``)."""
        zone = self.standing_zones.get(reach.shelf_id)
        fields = self._fields("touch", reach, reach.shelf_id, self.spot(reach.hand_box), confidence)
        return TouchEvent.model_validate({**fields, "zone_id": zone.zone_id if zone else reach.shelf_id})

    def _fields(
        self,
        kind: Literal["touch", "pickup", "putback"],
        reach: Reach,
        shelf_id: str,
        spot: ShelfSpot,
        confidence: float,
    ) -> dict[str, object]:
        """The fields every shelf event has, its id included."""
        shopper = shopper_id_for(camera_id=self.camera_id, track_id=reach.track_id)
        place = shelf_id if kind == "touch" else f"{shelf_id}/{spot.spot_id}"
        event_id = event_id_for(
            store_id=self.store_id,
            camera_id=self.camera_id,
            type=kind,
            shopper_id=shopper,
            ts_start=reach.start,
            extra=place,
        )
        return {
            "event_id": event_id,
            "store_id": self.store_id,
            "camera_id": self.camera_id,
            "ts": reach.end,
            "ts_start": reach.start,
            "ts_end": reach.end,
            "confidence": confidence,
            "shopper_id": shopper,
            "shelf_id": shelf_id,
            "spot": spot,
            "reach_source": reach.source,
        }
