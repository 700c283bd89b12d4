"""Who stands at which shelf: only a shopper whose feet are in a shelf's standing zone can reach into it.

A shopper whose feet are hidden (`shelfsight.vision.events.feet`) stands where they stood when last seen whole; that
memory is kept for ``memory_s`` after the sighting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.zones import Zone


@dataclass(frozen=True)
class Sighting:
    """Where a track stood when last seen whole, as to one shelf.

    Attributes:
        standing: Its feet were in the shelf's standing zone (within the margin).
        t: When, epoch seconds.
    """

    standing: bool
    t: float


class StandingMemory:
    """Per (track, shelf), whether the track stands in front of the shelf.

    Args:
        standing_zones: {shelf id: the standing zone in front of it}; a shelf without one lets everyone reach it.
        margin_px: How far outside its standing zone a shopper's feet may be and still reach the shelf, pixels.
        memory_s: How long a sighting is remembered, seconds.
    """

    def __init__(self, standing_zones: Mapping[str, Zone], *, margin_px: float, memory_s: float) -> None:
        self.standing_zones = standing_zones
        self.margin_px = margin_px
        self.memory_s = memory_s
        self._sightings: dict[tuple[int, str], Sighting] = {}

    def prune(self, t: float) -> None:
        """Forget the sightings older than ``memory_s`` at time ``t`` (epoch seconds)."""
        self._sightings = {key: s for key, s in self._sightings.items() if t - s.t <= self.memory_s}

    def rows(
        self, shelf_id: str, tracks: FrameDetections, feet_hidden: npt.NDArray[np.bool_] | None = None
    ) -> set[int]:
        """Rows of ``tracks`` standing in front of the shelf (feet in its standing zone): only they can reach it.
        A row whose feet are hidden (``feet_hidden``) stands where it stood last."""
        zone = self.standing_zones.get(shelf_id)
        if zone is None:
            return set(range(len(tracks)))
        assert tracks.tracker_id is not None
        inside = zone.distance_inside(tracks.foot_points) >= -self.margin_px
        rows = set()
        for row, track_id in enumerate(tracks.tracker_id.tolist()):
            key = (track_id, shelf_id)
            if feet_hidden is None or not feet_hidden[row]:
                self._sightings[key] = Sighting(bool(inside[row]), tracks.captured_at)
            sighting = self._sightings.get(key)
            if sighting is not None and sighting.standing:
                rows.add(row)
        return rows

    def standing_tracks(self) -> set[int]:
        """Tracks that stood at a shelf when last seen whole."""
        return {track_id for (track_id, _), sighting in self._sightings.items() if sighting.standing}
