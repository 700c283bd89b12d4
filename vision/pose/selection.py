"""Who gets a pose: only shoppers at a shelf, so the pose model's cost grows with them, not with cameras.

A top-down pose model costs one crop per person. Reaches only happen at shelves, so only tracks seen on this
frame whose box (grown upwards for a raised arm) touches a shelf zone are candidates, and, where the shelf has a
standing zone, only those whose feet are in it or near it (the shelf event machine reads reaches only of shoppers
standing there). A cap keeps a crowded frame's cost bounded: the largest boxes (nearest the camera, with the
most pixels to read a wrist from) go first.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.pose.crop import grow_boxes_up
from shelfsight.vision.tracking.bytetrack import DETECTION_INDEX_COLUMN
from shelfsight.vision.zones import Zone

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SelectionSettings:
    """Which tracks are estimated.

    Attributes:
        reach_up: Box heights added above a box before testing whether it touches a shelf: an arm raised over the
            head reaches this far. Higher poses shoppers further below a high shelf; lower misses reaches into it.
        standing_margin: How far outside its shelf's standing zone a shopper's feet may be, in box heights, and
            still be estimated. Keep it at least as wide as the shelf event machine's margin (15 px), or reaches
            it would accept lose their wrists.
        require_standing: Estimate only shoppers standing at the shelf where it has a standing zone (shelves
            without one accept any box that touches them). Off poses people walking past in front of a shelf too.
        max_people: Most people estimated per frame (nearest first); the rest get no keypoints on that frame.
    """

    reach_up: float = 0.3
    standing_margin: float = 0.1
    require_standing: bool = True
    max_people: int = 4

    def __post_init__(self) -> None:
        if self.reach_up < 0 or self.standing_margin < 0 or self.max_people < 1:
            raise ValueError(
                "SelectionSettings needs reach_up >= 0, standing_margin >= 0 and max_people >= 1, got "
                f"{self.reach_up}, {self.standing_margin}, {self.max_people}"
            )


def select_for_pose(
    tracks: FrameDetections,
    shelves: Sequence[Zone],
    standing: Mapping[str, Zone],
    settings: SelectionSettings,
    standing_ids: Collection[int] = (),
) -> IntArray:
    """Rows of ``tracks`` to estimate a pose for, nearest (largest box) first, at most ``settings.max_people``.

    Args:
        tracks: One frame's tracks (boxes in frame pixels). Rows with a ``detection_index`` column below 0 are
            tracks the tracker only predicted on this frame (hidden): they are never chosen.
        shelves: The camera's shelf zones in pixels.
        standing: {shelf id: its standing zone}; a shelf missing here accepts any box that touches it.
        settings: See `SelectionSettings`.
        standing_ids: Track ids known to stand at a shelf although their feet may not show it on this frame
            (someone in front cuts their box short: `shelfsight.vision.events.feet`); they need only touch a shelf.

    Returns:
        (k,) int64 row indices.
    """
    n = len(tracks)
    if n == 0 or not shelves:
        return np.zeros(0, np.int64)
    grown = grow_boxes_up(tracks.xyxy, settings.reach_up)
    heights = tracks.xyxy[:, 3] - tracks.xyxy[:, 1]
    feet = tracks.foot_points
    known = np.zeros(n, bool)
    if standing_ids and tracks.tracker_id is not None:
        known = np.isin(tracks.tracker_id, np.fromiter(standing_ids, np.int64))
    chosen = np.zeros(n, bool)
    for shelf in shelves:
        at_shelf = shelf.overlap_share(grown) > 0
        zone = standing.get(shelf.zone_id)
        if settings.require_standing and zone is not None:
            at_shelf &= known | (zone.distance_inside(feet) >= -settings.standing_margin * heights)
        chosen |= at_shelf
    seen = tracks.data.get(DETECTION_INDEX_COLUMN)
    if seen is not None:
        chosen &= seen >= 0
    rows = np.flatnonzero(chosen)
    nearest_first = rows[np.argsort(-tracks.area[rows], kind="stable")]
    return nearest_first[: settings.max_people].astype(np.int64)
