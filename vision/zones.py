"""Zone geometry in frame pixels: which tracks stand in a floor zone, how much of a box covers a shelf.

Zones are configured as polygons in normalised 0..1 image coordinates; a ``Zone`` is built once per camera
and frame size, validates its polygon, and precomputes what the per-frame tests need (edges for point tests,
an integral image of the polygon mask for box-overlap shares). Zones hold no per-track state: counting and
dwell live in ``vision/events/``.

Which part of a shopper's box decides whether they are in a floor zone is the zone's ``Anchor`` (supervision's
``PolygonZone`` calls the same idea its triggering anchors): the feet by default, the box centre, or half of
the box. ``Zone.depth`` puts all three on one scale, signed pixels, so hysteresis works the same for each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

OVERLAP_GRID_PX = 4  # the shelf-overlap mask is kept at 1/4 resolution: ample for boxes tens of pixels wide

HALF_INSIDE = 0.5  # with the box-overlap anchor, a shopper is in the zone while more than half their box is


class Anchor(StrEnum):
    """Which part of a shopper's box decides whether they are in a floor zone."""

    BOTTOM_CENTRE = "bottom_centre"
    """The feet (bottom-centre of the box): where a standing shopper meets the floor. Right for cameras that see
    the floor at an angle (eye level, oblique)."""
    CENTRE = "centre"
    """The box centre: for a camera looking straight down, where the box is the shopper seen from above."""
    BOX_OVERLAP = "box_overlap"
    """More than half of the box inside: for zones drawn around whole shoppers, or where the feet are hidden
    (a counter, a trolley)."""


def anchor_points(xyxy: FloatArray, anchor: Anchor) -> FloatArray:
    """(n, 2) pixel point of each (n, 4) box that stands for it: the feet, or the centre (also for box overlap)."""
    centre_x = (xyxy[:, 0] + xyxy[:, 2]) / 2
    y = xyxy[:, 3] if anchor is Anchor.BOTTOM_CENTRE else (xyxy[:, 1] + xyxy[:, 3]) / 2
    return np.stack([centre_x, y], axis=1).astype(np.float32)


@dataclass(frozen=True)
class Zone:
    """One zone of one camera, in frame pixels.

    Attributes:
        zone_id: Config id, unique in the store.
        kind: ``shelf``, ``standing``, ``aisle``, ``entrance``, ``checkout``.
        polygon: (k, 2) float32 vertices in frame pixels.
        frame_size: (height, width) in pixels.
        shelf_id: For a standing zone, the shelf it belongs to.
    """

    zone_id: str
    kind: str
    polygon: FloatArray
    frame_size: tuple[int, int]
    shelf_id: str | None = None
    _integral: npt.NDArray[np.int32] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.polygon.ndim != 2 or self.polygon.shape[1] != 2 or len(self.polygon) < 3:
            raise ValueError(f"zone {self.zone_id}: polygon must be (k >= 3, 2) pixels, got {self.polygon.shape}")
        height, width = self.frame_size
        small = (max(1, height // OVERLAP_GRID_PX), max(1, width // OVERLAP_GRID_PX))
        mask = np.zeros(small, np.uint8)
        cv2.fillPoly(mask, [np.round(self.polygon / OVERLAP_GRID_PX).astype(np.int32)], 1)
        object.__setattr__(self, "_integral", cv2.integral(mask))

    @classmethod
    def from_normalised(
        cls,
        zone_id: str,
        kind: str,
        points: Sequence[tuple[float, float]],
        frame_size: tuple[int, int],
        shelf_id: str | None = None,
    ) -> Zone:
        """Build a zone from a config polygon in 0..1 coordinates for frames of (height, width) pixels."""
        height, width = frame_size
        polygon = np.asarray(points, np.float32) * np.array([width, height], np.float32)
        return cls(zone_id, kind, polygon, frame_size, shelf_id)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(x1, y1, x2, y2) of the polygon in pixels."""
        lo, hi = self.polygon.min(axis=0), self.polygon.max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])

    def contains(self, points: FloatArray) -> BoolArray:
        """(n,) True for each (n, 2) pixel point inside the polygon (even-odd rule, vectorised)."""
        if len(points) == 0:
            return np.zeros(0, bool)
        x, y = points[:, 0:1], points[:, 1:2]
        x1, y1 = self.polygon[:, 0], self.polygon[:, 1]
        x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at_y = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        inside: BoolArray = (np.count_nonzero(crosses & (x < x_at_y), axis=1) % 2) == 1
        return inside

    def distance_inside(self, points: FloatArray) -> FloatArray:
        """(n,) signed distance in pixels from each (n, 2) point to the border: > 0 inside, < 0 outside."""
        if len(points) == 0:
            return np.zeros(0, np.float32)
        start = self.polygon
        edge = np.roll(start, -1, axis=0) - start  # (k, 2)
        rel = points[:, None, :] - start[None, :, :]  # (n, k, 2)
        length2 = np.maximum((edge**2).sum(axis=1), 1e-12)
        t = np.clip((rel * edge[None]).sum(axis=2) / length2, 0.0, 1.0)
        nearest = rel - t[..., None] * edge[None]
        distance = np.sqrt((nearest**2).sum(axis=2)).min(axis=1)
        signed: FloatArray = np.where(self.contains(points), distance, -distance).astype(np.float32)
        return signed

    def depth(self, xyxy: FloatArray, anchor: Anchor) -> FloatArray:
        """(n,) how deep each (n, 4) pixel box is in the zone by ``anchor``, signed pixels: > 0 in, <= 0 out.

        For a point anchor it is the point's signed distance to the border (``distance_inside``). For box overlap
        it is the share of the box inside beyond one half, times the box height: the pixels the box would move
        across a horizontal border before only half of it was inside. Hysteresis margins in pixels therefore
        mean about the same for every anchor.
        """
        if anchor is not Anchor.BOX_OVERLAP:
            return self.distance_inside(anchor_points(xyxy, anchor))
        height = np.maximum(xyxy[:, 3] - xyxy[:, 1], 1.0)
        depth: FloatArray = ((self.overlap_share(xyxy) - HALF_INSIDE) * height).astype(np.float32)
        return depth

    def overlap_share(self, xyxy: FloatArray) -> FloatArray:
        """(n,) share 0..1 of each (n, 4) pixel box's area that lies inside the polygon (1/4-pixel grid)."""
        if len(xyxy) == 0:
            return np.zeros(0, np.float32)
        integral = self._integral
        rows, cols = integral.shape[0] - 1, integral.shape[1] - 1
        grid = np.round(xyxy / OVERLAP_GRID_PX).astype(np.int64)
        x1, x2 = np.clip(grid[:, 0], 0, cols), np.clip(grid[:, 2], 0, cols)
        y1, y2 = np.clip(grid[:, 1], 0, rows), np.clip(grid[:, 3], 0, rows)
        inside = integral[y2, x2] - integral[y1, x2] - integral[y2, x1] + integral[y1, x1]
        area = np.maximum((grid[:, 2] - grid[:, 0]) * (grid[:, 3] - grid[:, 1]), 1)
        return np.clip(inside / area, 0.0, 1.0).astype(np.float32)
