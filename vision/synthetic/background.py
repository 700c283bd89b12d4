"""The still parts of a scene: wall, floor, shelf units with their boards and backing, and fixtures.

`draw_background` paints the store with every spot bare (the backing shows); `ShelfCanvas` keeps a copy with
the current products drawn in and updates only the spots that changed, so a frame starts from one array copy.
Fixtures (a promotion bin, a pillar) are painted once into a layer and a mask that the renderer pastes in
depth order, because they hide shoppers standing behind them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

from shelfsight.vision.synthetic.camera import PinholeCamera
from shelfsight.vision.synthetic.layout import BOARD_M, CAP_M, PLINTH_M, Fixture, SceneLayout, ShelfUnit, Spot
from shelfsight.vision.synthetic.look import BGR
from shelfsight.vision.synthetic.products import ProductLook, draw_product

logger = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]
SpotKey = tuple[str, str]

SHIFT: Final = 4
WALL_DEPTH_M: Final = 0.45
"""The back wall stands this far behind the shelf fronts (the shelves' depth)."""

TILE_M: Final = 0.6
UPRIGHT_M: Final = 0.05
"""Width of a shelf unit's side panels."""

WALL: Final[BGR] = (196, 204, 210)
FLOOR_NEAR: Final[BGR] = (168, 176, 180)
FLOOR_FAR: Final[BGR] = (142, 150, 156)
UPRIGHT: Final[BGR] = (72, 74, 78)
BOARD: Final[BGR] = (205, 207, 206)
PRICE_STRIP: Final[BGR] = (235, 238, 240)
HEADER_COLOURS: Final[tuple[BGR, ...]] = ((60, 110, 200), (150, 90, 40), (60, 150, 70), (40, 60, 170), (140, 60, 130))
BACKINGS: Final[tuple[BGR, ...]] = ((120, 126, 128), (96, 104, 112), (132, 128, 118))


def _fixed(points: npt.ArrayLike) -> npt.NDArray[np.int32]:
    return np.round(np.asarray(points, np.float64) * (1 << SHIFT)).astype(np.int32)


def _fill(image: Image, points: npt.ArrayLike, colour: BGR) -> None:
    cv2.fillPoly(image, [_fixed(points)], colour, cv2.LINE_AA, SHIFT)


def _rect(camera: PinholeCamera, x0: float, x1: float, y0: float, y1: float, z: float) -> npt.NDArray[np.float64]:
    """Pixel quad of the upright world rectangle x0..x1, y0..y1 at depth z (TL, TR, BR, BL)."""
    return camera.project([[x0, y1, z], [x1, y1, z], [x1, y0, z], [x0, y0, z]])


def _scaled(colour: BGR, factor: float) -> BGR:
    return (round(colour[0] * factor), round(colour[1] * factor), round(colour[2] * factor))


def _wall_and_floor(image: Image, layout: SceneLayout) -> None:
    """Wall above the line where it meets the floor (a horizontal line: the camera does not roll), floor below."""
    camera, h = layout.camera, layout.height
    z_wall = layout.shelf_z + WALL_DEPTH_M
    base = int(np.clip(round(float(camera.project([0.0, 0.0, z_wall])[1])), 0, h))
    wall_ramp = np.linspace(1.06, 0.94, max(1, base), dtype=np.float32)[:, None, None]
    image[:base] = np.clip(np.array(WALL, np.float32) * wall_ramp, 0, 255).astype(np.uint8)
    floor_ramp = np.linspace(0.0, 1.0, max(1, h - base), dtype=np.float32)[:, None, None]
    far, near = np.array(FLOOR_FAR, np.float32), np.array(FLOOR_NEAR, np.float32)
    image[base:] = (far + (near - far) * floor_ramp).astype(np.uint8)
    grout = (128, 134, 138)
    z_near = 0.5
    for x in np.arange(-20 * TILE_M, 20 * TILE_M + 1e-9, TILE_M):
        a, b = camera.project([[x, 0.0, z_near], [x, 0.0, z_wall]])
        cv2.line(image, _point(a), _point(b), grout, 1, cv2.LINE_AA, SHIFT)
    for z in np.arange(z_wall, z_near, -TILE_M):
        a, b = camera.project([[-50.0, 0.0, z], [50.0, 0.0, z]])
        cv2.line(image, _point(a), _point(b), grout, 1, cv2.LINE_AA, SHIFT)
    skirting = camera.project([[-50.0, 0.09, z_wall], [50.0, 0.09, z_wall], [50.0, 0.0, z_wall], [-50.0, 0.0, z_wall]])
    _fill(image, skirting, (110, 114, 118))


def _point(p: npt.ArrayLike) -> tuple[int, int]:
    fixed = _fixed(p)
    return int(fixed[0]), int(fixed[1])


def _pegboard(image: Image, camera: PinholeCamera, unit: ShelfUnit, row: int, backing: BGR) -> None:
    x0, x1 = unit.x_m[0] + UPRIGHT_M, unit.x_m[1] - UPRIGHT_M
    y0, y1 = unit.row_y(row)
    z = unit.z_m
    _fill(image, _rect(camera, x0, x1, y0, y1, z), backing)
    _fill(image, _rect(camera, x0, x1, y1 - (y1 - y0) * 0.16, y1, z), _scaled(backing, 0.62))
    hole = _scaled(backing, 0.7)
    for x in np.arange(x0 + 0.04, x1 - 0.02, 0.06):
        for y in np.arange(y0 + 0.04, y1 - (y1 - y0) * 0.18, 0.06):
            u, v = camera.project([x, y, z])
            cv2.circle(image, (round(float(u)), round(float(v))), 1, hole, -1, cv2.LINE_8)


def _shelf_unit(image: Image, camera: PinholeCamera, unit: ShelfUnit, index: int) -> None:
    spec, z = unit.spec, unit.z_m
    x0, x1 = unit.x_m
    header = HEADER_COLOURS[index % len(HEADER_COLOURS)]
    _fill(image, _rect(camera, x0 + 0.1, x1 - 0.1, spec.height_m + 0.12, spec.height_m + 0.34, z), header)
    _fill(image, unit.face_px, UPRIGHT)
    backing = BACKINGS[index % len(BACKINGS)]
    for row in range(1, spec.rows + 1):
        _pegboard(image, camera, unit, row, backing)
        y0, _ = unit.row_y(row)
        _fill(image, _rect(camera, x0, x1, y0 - BOARD_M, y0, z), BOARD)
        _fill(
            image, _rect(camera, x0 + UPRIGHT_M, x1 - UPRIGHT_M, y0 - BOARD_M * 0.8, y0 - BOARD_M * 0.2, z), PRICE_STRIP
        )
        column = spec.width_m / spec.columns
        for col in range(spec.columns):
            cx = x0 + (col + 0.5) * column
            _fill(
                image,
                _rect(camera, cx - 0.025, cx + 0.025, y0 - BOARD_M * 0.75, y0 - BOARD_M * 0.25, z),
                (60, 200, 240),
            )
    _fill(image, _rect(camera, x0, x1, 0.0, PLINTH_M - BOARD_M, z), (52, 54, 58))
    _fill(image, _rect(camera, x0, x1, spec.height_m - CAP_M, spec.height_m, z), (88, 90, 96))


def draw_background(layout: SceneLayout) -> Image:
    """The scene without shoppers, every spot bare: (H, W, 3) uint8 BGR, undistorted."""
    image = np.zeros((layout.height, layout.width, 3), np.uint8)
    _wall_and_floor(image, layout)
    for index, unit in enumerate(layout.shelves):
        _shelf_unit(image, layout.camera, unit, index)
    return image


class ShelfCanvas:
    """The background with the current products drawn in.

    ``apply`` redraws only the spots whose content differs from what is drawn. Each product is painted
    into a fresh copy of its spot's bare patch (`Spot.paint_box`; patches never overlap), so moving
    through time in any order (forwards, jumping, backwards) gives the same pixels for the same state.
    ``detail`` is the packaging detail (`LayoutSpec.packaging_detail`).
    """

    def __init__(self, empty: Image, spots: dict[SpotKey, Spot], detail: float = 0.0) -> None:
        self.empty, self.detail = empty, detail
        self.image = empty.copy()
        self.spots = spots
        self.drawn: dict[SpotKey, ProductLook | None] = dict.fromkeys(spots)

    def apply(self, state: dict[SpotKey, ProductLook | None]) -> None:
        """Bring the drawn products in line with ``state`` (spot -> product, or None for a bare spot)."""
        h, w = self.image.shape[:2]
        for key, product in state.items():
            if self.drawn[key] == product:
                continue
            spot = self.spots[key]
            x0, y0, x1, y1 = spot.paint_box()
            x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
            patch = self.empty[y0:y1, x0:x1].copy()
            if product is not None and patch.size:
                draw_product(patch, product, spot.quad_px - np.array([x0, y0], np.float64), self.detail)
            self.image[y0:y1, x0:x1] = patch
            self.drawn[key] = product


@dataclass(frozen=True)
class FixtureLayer:
    """A fixture painted once: its pixels and mask within ``roi`` (x1, y1, x2, y2), and its depth."""

    z_m: float
    roi: tuple[int, int, int, int]
    pixels: Image
    mask: npt.NDArray[np.bool_]


def paint_fixture(layout: SceneLayout, fixture: Fixture, rng: np.random.Generator) -> FixtureLayer | None:
    """Paint a fixture into its own layer; None when it is entirely out of view."""
    camera, spec, z = layout.camera, fixture.spec, fixture.z_m
    layer = np.zeros((layout.height, layout.width, 3), np.uint8)
    mask = np.zeros((layout.height, layout.width), np.uint8)
    x0, x1 = fixture.x_m
    parts: list[tuple[npt.NDArray[np.float64], BGR]]
    if spec.kind == "pillar":
        face = _rect(camera, x0, x1, 0.0, 4.0, z)
        parts = [(face, (176, 182, 186)), (_rect(camera, x1 - 0.08, x1, 0.0, 4.0, z), (140, 146, 150))]
    else:
        y = spec.height_m
        top = camera.project([[x0, y, z], [x1, y, z], [x1, y, z + 0.6], [x0, y, z + 0.6]])
        band = _rect(camera, x0, x1, y * 0.55, y * 0.8, z)
        parts = [(top, (70, 80, 90)), (fixture.face_px, (40, 110, 210)), (band, (230, 235, 240))]
        for _ in range(14):
            u, v = top[0] + (top[2] - top[0]) * rng.uniform(0.1, 0.9, 2)
            b, g, r = (int(c) for c in rng.integers(40, 240, 3))
            parts.append((np.array([[u - 4, v - 3], [u + 4, v - 3], [u + 4, v + 3], [u - 4, v + 3]]), (b, g, r)))
    for outline, colour in parts:
        _fill(layer, outline, colour)
        cv2.fillPoly(mask, [_fixed(outline)], 255, cv2.LINE_8, SHIFT)
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    roi = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    sl = (slice(roi[1], roi[3]), slice(roi[0], roi[2]))
    return FixtureLayer(z, roi, layer[sl].copy(), mask[sl] > 0)
