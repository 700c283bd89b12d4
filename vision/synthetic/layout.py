"""The store in front of the camera: shelf units and their spots, standing zones, lanes and fixtures.

Built once per scenario from its `LayoutSpec` and camera preset. Everything here is geometry in world metres
and undistorted frame pixels; `SceneLayout.to_frame` applies the camera's motion (jitter and drift) and the
lens distortion (when there are any) so truth, zone outlines and spot boxes match the frames that are
finally written. Zones and spots use the first frame's geometry: a user draws zones once, on a still.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from shelfsight.vision.synthetic.camera import (
    VIEW_PRESETS,
    FisheyeLens,
    Lens,
    LensDistortion,
    PinholeCamera,
    Points,
    ViewPreset,
)
from shelfsight.vision.synthetic.scenario import (
    FixtureSpec,
    Scenario,
    ScenarioError,
    ShelfSpec,
    Side,
    Walk,
    parse_spot,
    spot_ids,
)
from shelfsight.vision.synthetic.shake import CameraMotion

logger = logging.getLogger(__name__)

PLINTH_M: Final = 0.12
"""Height of the kick plate under the lowest shelf board."""

CAP_M: Final = 0.06
"""Height of the top rail above the highest compartment."""

BOARD_M: Final = 0.035
"""Thickness of a shelf board (the price strip on its front edge)."""

EDGE_MARGIN_M: Final = 0.18
"""How far inside a shelf's ends a shopper stands at the most, so the feet stay within its standing zone."""

OFFSCREEN_M: Final = 0.9
"""How far beyond the image edge (at their depth) shoppers start and end, so they walk in and out whole."""

ARM_REACH_M: Final = 0.95
"""Furthest sideways distance between a shopper and the spot they reach into."""


@dataclass(frozen=True)
class Spot:
    """One facing position on a shelf.

    Attributes:
        shelf_id: Shelf it belongs to.
        spot_id: ``r{row}c{column}``.
        x_m: (left, right) world x of its column.
        y_m: (bottom, top) world height of its compartment, above the board.
        z_m: Depth of the shelf front.
        quad_px: (4, 2) corners top-left, top-right, bottom-right, bottom-left, undistorted pixels.
    """

    shelf_id: str
    spot_id: str
    x_m: tuple[float, float]
    y_m: tuple[float, float]
    z_m: float
    quad_px: Points

    @property
    def centre_m(self) -> tuple[float, float, float]:
        """World centre of the spot's front face."""
        return (sum(self.x_m) / 2, sum(self.y_m) / 2, self.z_m)

    def paint_box(self) -> tuple[int, int, int, int]:
        """(x1, y1, x2, y2) pixel box inside the quad (half-open) where this spot's product is painted.

        Rounded inwards, so the boxes of neighbouring spots (which share quad edges) never overlap: each
        spot's pixels then depend on its own content only, whatever order spots were drawn in.
        """
        tl, tr, br, bl = self.quad_px
        x0, x1 = math.ceil(max(tl[0], bl[0])), math.floor(min(tr[0], br[0]))
        y0, y1 = math.ceil(max(tl[1], tr[1])), math.floor(min(bl[1], br[1]))
        return x0, y0, max(x0, x1), max(y0, y1)


@dataclass(frozen=True)
class ShelfUnit:
    """One placed shelf unit.

    Attributes:
        spec: Its scenario entry.
        x_m: (left, right) world x.
        z_m: Depth of its front.
        spots: Spot id -> spot.
        face_px: (4, 2) outline of its front, undistorted pixels (top-left, top-right, bottom-right, bottom-left).
        standing_m: (x_left, x_right, z_near, z_far) of the floor in front of it where shoppers dwell.
        standing_px: (4, 2) outline of that floor area, undistorted pixels.
    """

    spec: ShelfSpec
    x_m: tuple[float, float]
    z_m: float
    spots: dict[str, Spot]
    face_px: Points
    standing_m: tuple[float, float, float, float]
    standing_px: Points

    @property
    def zone_id(self) -> str:
        """Id of the shelf zone (the shelf id)."""
        return self.spec.id

    @property
    def standing_zone_id(self) -> str:
        """Id of the standing zone in front of the shelf."""
        return f"{self.spec.id}-front"

    def row_y(self, row: int) -> tuple[float, float]:
        """(bottom, top) world height of compartment ``row`` (1 = top), above its board."""
        pitch = (self.spec.height_m - PLINTH_M - CAP_M) / self.spec.rows
        top = self.spec.height_m - CAP_M - (row - 1) * pitch
        return top - pitch + BOARD_M, top

    def in_standing_area(self, x: float, z: float) -> bool:
        """Whether floor point (x, z) lies in the standing area (world test, used to check scripts)."""
        x0, x1, z_near, z_far = self.standing_m
        return x0 <= x <= x1 and z_near <= z <= z_far


@dataclass(frozen=True)
class Fixture:
    """A placed fixture: its spec, world box and front-face outline in undistorted pixels."""

    spec: FixtureSpec
    x_m: tuple[float, float]
    z_m: float
    face_px: Points


class SceneLayout:
    """World and image geometry of one scenario.

    Args:
        scenario: A checked scenario.

    Raises:
        ScenarioError: When a shelf, its standing zone or a fixture falls outside the camera's view.
    """

    def __init__(self, scenario: Scenario) -> None:
        cam = scenario.camera
        self.width, self.height = cam.width, cam.height
        self.preset: ViewPreset = VIEW_PRESETS[cam.view]
        self.camera = PinholeCamera(cam.width, cam.height, self.preset)
        self.lens = self._lens(scenario)
        self.motion = CameraMotion(cam.effects, cam.fps, scenario.seed)
        self.reference_offset = self.motion.offset(0)
        self.shelf_z = self.preset.shelf_z_m
        self.shelves = self._place_shelves(scenario)
        self.fixtures = tuple(self._place_fixture(f) for f in scenario.layout.fixtures)
        problems = self._view_problems()
        if problems:
            raise ScenarioError(problems, scenario.name)

    def _lens(self, scenario: Scenario) -> Lens | None:
        cam = scenario.camera
        if self.preset.fisheye:
            return FisheyeLens(cam.width, cam.height, self.camera.focal_px)
        k1 = cam.effects.lens_k1
        return LensDistortion(cam.width, cam.height, k1) if k1 > 0 else None

    def _place_shelves(self, scenario: Scenario) -> tuple[ShelfUnit, ...]:
        specs = scenario.layout.shelves
        gap = scenario.layout.gap_m
        total = sum(s.width_m for s in specs) + gap * (len(specs) - 1)
        left = -total / 2.0
        units = []
        for spec in specs:
            units.append(self._shelf_unit(spec, left))
            left += spec.width_m + gap
        return tuple(units)

    def _shelf_unit(self, spec: ShelfSpec, left: float) -> ShelfUnit:
        z, right = self.shelf_z, left + spec.width_m
        near, far = (z - d for d in self.preset.standing_depth_m)
        face = self.camera.project([[left, spec.height_m, z], [right, spec.height_m, z], [right, 0, z], [left, 0, z]])
        floor = self.camera.project([[left, 0, far], [right, 0, far], [right, 0, near], [left, 0, near]])
        unit = ShelfUnit(spec, (left, right), z, {}, face, (left, right, near, far), floor)
        column = spec.width_m / spec.columns
        for spot_id in spot_ids(spec):
            row, col = parse_spot(spot_id) or (0, 0)
            x0 = left + (col - 1) * column
            y0, y1 = unit.row_y(row)
            corners = [[x0, y1, z], [x0 + column, y1, z], [x0 + column, y0, z], [x0, y0, z]]
            unit.spots[spot_id] = Spot(spec.id, spot_id, (x0, x0 + column), (y0, y1), z, self.camera.project(corners))
        return unit

    def _place_fixture(self, spec: FixtureSpec) -> Fixture:
        z = self.shelf_z - spec.depth_m
        x0, x1 = spec.x_m - spec.width_m / 2, spec.x_m + spec.width_m / 2
        face = self.camera.project([[x0, spec.height_m, z], [x1, spec.height_m, z], [x1, 0, z], [x0, 0, z]])
        return Fixture(spec, (x0, x1), z, face)

    def _view_problems(self) -> list[str]:
        problems = []
        for i, unit in enumerate(self.shelves):
            for what, outline in (("shelf", unit.face_px), ("standing zone", unit.standing_px)):
                if not self._inside(outline):
                    near = unit.standing_m[2]
                    lo, hi = self.camera.floor_x_at(0, near), self.camera.floor_x_at(self.width, near)
                    span = f"x {unit.x_m[0]:.2f}..{unit.x_m[1]:.2f} m"
                    problems.append(
                        f"layout.shelves[{i}]: the {what} of {unit.spec.id!r} ({span}) leaves the image; this camera"
                        f" sees about x {lo:.2f}..{hi:.2f} m there (use fewer or narrower shelves)"
                    )
        return problems

    def _inside(self, outline: Points) -> bool:
        pts = self.to_frame(outline)
        return bool(
            np.all(pts >= -0.5) and np.all(pts[:, 0] <= self.width + 0.5) and np.all(pts[:, 1] <= self.height + 0.5)
        )

    def shelf(self, shelf_id: str) -> ShelfUnit:
        """The shelf unit called ``shelf_id`` (KeyError naming the known ones otherwise)."""
        for unit in self.shelves:
            if unit.spec.id == shelf_id:
                return unit
        raise KeyError(f"no shelf {shelf_id!r}; shelves: {', '.join(u.spec.id for u in self.shelves)}")

    def to_frame(self, points_px: npt.ArrayLike, index: int | None = None) -> Points:
        """Drawn (pinhole) pixel positions -> positions in the written frames.

        Args:
            points_px: (..., 2) positions where things are drawn.
            index: Frame whose camera offset (jitter, drift) applies; None = the first frame's, where zones
                are drawn.
        """
        dx, dy = self.reference_offset if index is None else self.motion.offset(index)
        pts = np.asarray(points_px, np.float64)
        if dx or dy:
            pts = pts + np.array([dx, dy])
        return self.lens.distort_points(pts) if self.lens is not None else pts

    def normalised(self, points_px: npt.ArrayLike) -> Points:
        """Undistorted pixel positions -> normalised 0..1 coordinates of the written frames."""
        pts = self.to_frame(points_px) / np.array([self.width, self.height], np.float64)
        out: Points = np.clip(pts, 0.0, 1.0)
        return out

    def spot_box(self, spot: Spot) -> tuple[float, float, float, float]:
        """Normalised (x1, y1, x2, y2) box of a spot in the written frames (for `ShelfSpot`)."""
        pts = self.normalised(spot.quad_px)
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        return (round(float(lo[0]), 4), round(float(lo[1]), 4), round(float(hi[0]), 4), round(float(hi[1]), 4))

    def reach_z(self) -> float:
        """Depth at which a shopper stands to reach into a shelf."""
        return self.shelf_z - self.preset.reach_distance_m

    def lane_z(self, lane_m: float | None) -> float:
        """Depth of a walking lane ``lane_m`` in front of the shelves (None = the middle lane)."""
        return self.shelf_z - (lane_m if lane_m is not None else sum(self.preset.lanes_m) / 2)

    def offscreen_x(self, side: Side, z: float) -> float:
        """World x just out of view on ``side`` at depth ``z``, where shoppers appear and vanish."""
        if side == "left":
            return self.camera.floor_x_at(0.0, z) - OFFSCREEN_M
        return self.camera.floor_x_at(float(self.width), z) + OFFSCREEN_M

    def stand_point(self, walk: Walk, from_x: float) -> tuple[float, float]:
        """Floor point (x, z) a walk step leads to; ``from_x`` decides which side of a spot to stand on."""
        if walk.shelf is None:
            return float(walk.x_m or 0.0), self.shelf_z - float(walk.depth_m or 0.0)
        unit = self.shelf(walk.shelf)
        lo, hi = unit.x_m[0] + EDGE_MARGIN_M, unit.x_m[1] - EDGE_MARGIN_M
        if walk.spot is not None:
            centre = unit.spots[walk.spot].centre_m[0]
            x = centre - walk.offset_m if from_x < centre else centre + walk.offset_m
            if not lo <= x <= hi:
                x = centre + walk.offset_m if x < lo else centre - walk.offset_m
        else:
            x = unit.x_m[0] + float(walk.at or 0.0) * (unit.x_m[1] - unit.x_m[0])
        return float(np.clip(x, lo, hi)), self.reach_z()

    def standing_shelf_at(self, x: float, z: float) -> ShelfUnit | None:
        """The shelf whose standing area holds floor point (x, z), if any."""
        return next((u for u in self.shelves if u.in_standing_area(x, z)), None)
