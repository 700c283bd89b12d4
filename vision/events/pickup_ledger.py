"""The pick-up ledger: recent pick-ups, so that a put-back can name the pick-up it reverses.

A put-back reverses, in this order of preference:

1. a pick-up at the same spot (boxes overlap) of the same shelf within ``same_spot_window_s``, the shopper's own
   first, then the latest: ``misplaced`` False;
2. else the shopper's own pick-up within ``return_window_s`` whose colour before it was taken is nearest the colour
   the put-back left: ``misplaced`` True unless the two boxes overlap.

A linked pick-up leaves the ledger, so that two put-backs never reverse one pick-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import numpy as np

from shelfsight.vision.events.reach import Box
from shelfsight.vision.events.shelf_event_builder import PickupLink
from shelfsight.vision.events.shelf_state import ShelfChange
from shelfsight.vision.events.spot_boxes import overlaps

Colour = tuple[float, float, float]


@dataclass(frozen=True)
class LedgerPickup:
    """One pick-up a put-back may still reverse.

    Attributes:
        event_id: The pick-up event's id.
        track_id: The shopper's track.
        shelf_id: The shelf it was taken from.
        box: Where the shelf changed, (x1, y1, x2, y2) reference pixels.
        colour_before: Mean BGR colour of that region before the item was taken.
        t: When the reach that took it ended, epoch seconds.
    """

    event_id: UUID
    track_id: int
    shelf_id: str
    box: Box
    colour_before: Colour
    t: float


def _colour_distance(a: Colour, b: Colour) -> float:
    """Sum of absolute BGR differences, grey levels."""
    return float(np.abs(np.subtract(a, b)).sum())


class PickupLedger:
    """Recent pick-ups of one camera.

    Args:
        same_spot_window_s: A put-back at the spot of a pick-up this recent reverses it, seconds.
        return_window_s: How long a pick-up stays in the ledger, seconds: a put-back elsewhere may reverse it.
    """

    def __init__(self, *, same_spot_window_s: float, return_window_s: float) -> None:
        self.same_spot_window_s = same_spot_window_s
        self.return_window_s = return_window_s
        self._pickups: list[LedgerPickup] = []

    def __len__(self) -> int:
        return len(self._pickups)

    def prune(self, t: float) -> None:
        """Forget the pick-ups older than ``return_window_s`` at time ``t`` (epoch seconds)."""
        self._pickups = [p for p in self._pickups if t - p.t <= self.return_window_s]

    def record(self, pickup: LedgerPickup) -> None:
        """Remember a pick-up a later put-back may reverse."""
        self._pickups.append(pickup)

    def link_putback(self, track_id: int, change: ShelfChange, t: float) -> PickupLink:
        """The pick-up that the put-back ``change`` by track ``track_id``, whose reach ended at ``t``, reverses."""
        same_spot = [
            p
            for p in self._pickups
            if p.shelf_id == change.shelf_id and t - p.t <= self.same_spot_window_s and overlaps(p.box, change.box)
        ]
        if same_spot:
            chosen = max(same_spot, key=lambda p: (p.track_id == track_id, p.t))
            self._pickups.remove(chosen)
            return PickupLink(chosen.event_id, misplaced=False)
        own = [p for p in self._pickups if p.track_id == track_id]
        if own:
            chosen = min(own, key=lambda p: _colour_distance(p.colour_before, change.after))
            self._pickups.remove(chosen)
            return PickupLink(chosen.event_id, misplaced=not overlaps(chosen.box, change.box))
        return PickupLink(None, misplaced=False)
