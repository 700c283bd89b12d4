"""Drawing one shopper: a human figure built from anti-aliased OpenCV primitives, in one pose.

The figure is made to be seen as a person by a detector trained on COCO photos: human proportions (head 1/7.5
of the height), limbs as shaded capsules, a skin-coloured face and hands, dark hair, shoes, a visible gap
between the legs, and anti-aliased edges. `build_figure` turns a `Pose` into a list of drawing operations and
their bounding box; `draw_figure` paints them on a frame and `draw_silhouette` rasterises the outline into a
mask (for visibility), so both always agree.

All coordinates are frame pixels (float); they are drawn at 1/16 pixel precision (OpenCV ``shift=4``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Final, Literal, NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

from vision.synthetic.look import BGR, Look

logger = logging.getLogger(__name__)

Facing = Literal["left", "right", "toward", "away"]
"""Which way the shopper faces in the image: walking left or right (seen from the side), or towards or
away from the camera (a shopper at a shelf faces away, showing their back)."""

SHIFT: Final = 4
SCALE: Final = 1 << SHIFT

Point = tuple[float, float]


class Line(NamedTuple):
    """A stroke from ``a`` to ``b`` with round ends."""

    a: Point
    b: Point
    thickness: int
    colour: BGR


class Poly(NamedTuple):
    """A filled polygon."""

    points: list[Point]
    colour: BGR


class Ellipse(NamedTuple):
    """A filled axis-aligned ellipse."""

    centre: Point
    axes: Point
    colour: BGR


Op = Line | Poly | Ellipse


@dataclass(frozen=True)
class Pose:
    """Where and how one shopper stands in one frame, in pixels.

    Attributes:
        foot: Point on the floor between the feet.
        height_px: Standing height in the image (foot to top of the head).
        facing: Which way they face.
        gait_phase: Walking cycle angle in radians (one cycle = two steps).
        walking: Whether the legs and arms swing.
        reach: Where the reaching hand goes, or None.
        reach_side: -1 for the arm on the image's left, +1 for the right one.
        extension: How far the reach has got, 0 (arm down) to 1 (hand at ``reach``).
        carrying: Colour of an item held in the hand, or None.
    """

    foot: Point
    height_px: float
    facing: Facing = "toward"
    gait_phase: float = 0.0
    walking: bool = False
    reach: Point | None = None
    reach_side: int = 1
    extension: float = 0.0
    carrying: BGR | None = None


@dataclass
class Figure:
    """Drawing operations of one posed figure and the box around them.

    Attributes:
        ops: Operations in painting order.
        silhouette: The operations whose union is the figure's outline.
        bbox: (x1, y1, x2, y2) around every operation, frame pixels, unclipped.
    """

    ops: list[Op] = field(default_factory=list)
    silhouette: list[Op] = field(default_factory=list)
    bbox: list[float] = field(default_factory=lambda: [math.inf, math.inf, -math.inf, -math.inf])

    def _grow(self, x0: float, y0: float, x1: float, y1: float) -> None:
        box = self.bbox
        box[0], box[1] = min(box[0], x0), min(box[1], y0)
        box[2], box[3] = max(box[2], x1), max(box[3], y1)

    def line(self, a: Point, b: Point, thickness: float, colour: BGR, *, outline: bool = False) -> None:
        op = Line(a, b, max(1, round(thickness)), colour)
        self.ops.append(op)
        if outline:
            r = thickness / 2.0
            self.silhouette.append(op)
            self._grow(min(a[0], b[0]) - r, min(a[1], b[1]) - r, max(a[0], b[0]) + r, max(a[1], b[1]) + r)

    def poly(self, points: list[Point], colour: BGR, *, outline: bool = False) -> None:
        op = Poly(points, colour)
        self.ops.append(op)
        if outline:
            self.silhouette.append(op)
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            self._grow(min(xs), min(ys), max(xs), max(ys))

    def ellipse(self, centre: Point, axes: Point, colour: BGR, *, outline: bool = False) -> None:
        op = Ellipse(centre, axes, colour)
        self.ops.append(op)
        if outline:
            self.silhouette.append(op)
            self._grow(centre[0] - axes[0], centre[1] - axes[1], centre[0] + axes[0], centre[1] + axes[1])


def _shade(colour: BGR, factor: float) -> BGR:
    return (
        min(255, round(colour[0] * factor)),
        min(255, round(colour[1] * factor)),
        min(255, round(colour[2] * factor)),
    )


def _limb(fig: Figure, a: Point, b: Point, colour: BGR, thickness: float) -> None:
    """A shaded capsule: a darker full-width stroke, then a lighter one shifted towards the light (top left)."""
    fig.line(a, b, thickness, _shade(colour, 0.72), outline=True)
    dx, dy = b[0] - a[0], b[1] - a[1]
    norm = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / norm, dx / norm
    if nx > 0:  # keep the highlight on the left side of the limb
        nx, ny = -nx, -ny
    off = thickness * 0.16
    fig.line((a[0] + nx * off, a[1] + ny * off), (b[0] + nx * off, b[1] + ny * off), thickness * 0.58, colour)


class _Body:
    """Joint positions of one pose, derived from the foot point, height and facing."""

    def __init__(self, pose: Pose, look: Look) -> None:
        self.pose, self.look = pose, look
        self.h = pose.height_px
        self.fx, self.fy = pose.foot
        self.turn = {"left": -0.85, "right": 0.85}.get(pose.facing, 0.0)
        self.side_view = abs(self.turn) > 0.5
        self.swing = math.sin(pose.gait_phase) if pose.walking else 0.0
        self.shoulder = 0.125 * look.shoulders * (1 - 0.3 * abs(self.turn)) * self.h
        self.hip = 0.095 * (1 - 0.35 * abs(self.turn)) * self.h

    def y(self, fraction: float) -> float:
        """Image y of a height given as a fraction of the body height above the feet."""
        return self.fy - fraction * self.h


def _legs(fig: Figure, body: _Body) -> None:
    h, look, turn = body.h, body.look, body.turn
    at = abs(turn)
    lower = look.legwear if look.bottom_style == "skirt" else look.bottom
    for side in (-1, 1):
        s = body.swing * at * side
        hip = (body.fx + side * body.hip * 0.5 * (1 - 0.6 * at), body.y(0.5))
        angle = s * 0.45 + side * 0.105 * (1 - at)
        knee = (hip[0] + math.sin(angle) * 0.24 * h, hip[1] + math.cos(angle) * 0.24 * h)
        lift = 0.03 * h * max(0.0, body.swing * side) if body.pose.walking and not body.side_view else 0.0
        bend = 0.3 * max(0.0, s) * (1 if turn >= 0 else -1)
        ankle = (knee[0] + math.sin(angle - bend) * 0.23 * h, min(body.fy - 0.03 * h - lift, knee[1] + 0.23 * h))
        upper = look.bottom if look.bottom_style == "trousers" else lower
        _limb(fig, hip, knee, upper, 0.105 * h)
        _limb(fig, knee, ankle, lower, 0.084 * h)
        toe = 0.025 * h * (1 if turn > 0 else -1 if turn < 0 else 0)
        shoe_w = 0.05 * h if body.side_view else 0.036 * h
        fig.ellipse((ankle[0] + toe, ankle[1] + 0.012 * h), (shoe_w, 0.024 * h), look.shoes, outline=True)
    if look.bottom_style == "skirt":
        fx, sh = body.fx, body.hip
        skirt = [
            (fx - sh * 1.05, body.y(0.52)),
            (fx + sh * 1.05, body.y(0.52)),
            (fx + sh * 1.5, body.y(0.3)),
            (fx - sh * 1.5, body.y(0.3)),
        ]
        fig.poly(skirt, _shade(look.bottom, 0.8), outline=True)
        fig.poly([(p[0] * 0.9 + fx * 0.1, p[1]) for p in skirt[:2]] + skirt[2:], look.bottom)


def _torso(fig: Figure, body: _Body) -> None:
    fx, sw, hw, top = body.fx, body.shoulder, body.hip, body.look.top
    fig.poly(
        [
            (fx - sw, body.y(0.82)),
            (fx + sw, body.y(0.82)),
            (fx + hw * 1.1, body.y(0.48)),
            (fx - hw * 1.1, body.y(0.48)),
        ],
        _shade(top, 0.76),
        outline=True,
    )
    fig.poly(
        [
            (fx - sw * 0.85, body.y(0.81)),
            (fx + sw * 0.6, body.y(0.81)),
            (fx + hw * 0.7, body.y(0.49)),
            (fx - hw * 0.95, body.y(0.49)),
        ],
        top,
    )
    cap = (0.045 * body.h, 0.03 * body.h)
    fig.ellipse((fx - sw * 0.82, body.y(0.795)), cap, top, outline=True)
    fig.ellipse((fx + sw * 0.82, body.y(0.795)), cap, _shade(top, 0.86), outline=True)


def _arm(fig: Figure, body: _Body, side: int) -> None:
    pose, look, h = body.pose, body.look, body.h
    shoulder = (body.fx + side * body.shoulder * 0.88, body.y(0.8))
    s = body.swing * abs(body.turn) * side
    elbow = (shoulder[0] + side * 0.03 * h + s * 0.06 * h, body.y(0.63))
    hand = (shoulder[0] + side * 0.048 * h + s * 0.13 * h, body.y(0.465))
    if pose.reach is not None and side == pose.reach_side and pose.extension > 0:
        e = pose.extension
        hand = (hand[0] + (pose.reach[0] - hand[0]) * e, hand[1] + (pose.reach[1] - hand[1]) * e)
        elbow = ((shoulder[0] + hand[0]) / 2 + side * 0.03 * h, (shoulder[1] + hand[1]) / 2 + 0.03 * h)
    forearm = look.skin if look.top_style == "short_sleeve" else look.top
    _limb(fig, shoulder, elbow, look.top, 0.07 * h)
    _limb(fig, elbow, hand, forearm, 0.058 * h)
    fig.ellipse((hand[0], hand[1] + 0.018 * h), (0.024 * h, 0.032 * h), look.skin, outline=True)
    holds = pose.carrying is not None and (side == pose.reach_side)
    if holds and pose.carrying is not None:
        w, ih = 0.04 * h, 0.06 * h
        cx, cy = hand[0] + side * 0.02 * h, hand[1] + 0.03 * h
        box = [(cx - w, cy - ih), (cx + w, cy - ih), (cx + w, cy + ih), (cx - w, cy + ih)]
        fig.poly(box, _shade(pose.carrying, 0.6), outline=True)
        fig.poly([(x * 0.8 + cx * 0.2, y * 0.8 + cy * 0.2) for x, y in box], pose.carrying)


def _head(fig: Figure, body: _Body) -> None:
    look, h, turn = body.look, body.h, body.turn
    back = body.pose.facing == "away"
    fig.line((body.fx, body.y(0.83)), (body.fx, body.y(0.875)), 0.05 * h, _shade(look.skin, 0.8), outline=True)
    centre = (body.fx + 0.015 * h * turn, body.y(0.93))
    if look.hair_style == "long":
        _long_hair(fig, body, centre, back)
    fig.ellipse(centre, (0.053 * h, 0.067 * h), _shade(look.skin, 0.75), outline=True)
    if back:
        for d in (-1, 1):  # ears
            ear = (centre[0] + d * 0.052 * h, centre[1] + 0.004 * h)
            fig.ellipse(ear, (0.011 * h, 0.018 * h), look.skin, outline=True)
        fig.ellipse((centre[0], centre[1] - 0.012 * h), (0.056 * h, 0.06 * h), look.hair, outline=True)
    else:
        fig.ellipse((centre[0] - 0.005 * h, centre[1]), (0.047 * h, 0.062 * h), look.skin)
        fig.ellipse(
            (centre[0] - 0.02 * h * turn, centre[1] - 0.033 * h), (0.056 * h, 0.036 * h), look.hair, outline=True
        )
        _face(fig, centre, h, turn)
    if look.hair_style == "bun":
        fig.ellipse(
            (centre[0] - 0.03 * h * turn, centre[1] - 0.07 * h), (0.025 * h, 0.022 * h), look.hair, outline=True
        )


def _long_hair(fig: Figure, body: _Body, centre: Point, back: bool) -> None:
    """Hair down to the shoulders, behind the head: one fall seen from behind or the side, two from the front."""
    h, turn, hair = body.h, body.turn, body.look.hair
    if back or body.side_view:
        fig.ellipse((centre[0] - 0.03 * h * turn, body.y(0.87)), (0.058 * h, 0.075 * h), hair, outline=True)
        return
    for d in (-1, 1):
        fig.ellipse((centre[0] + d * 0.05 * h, body.y(0.9)), (0.02 * h, 0.055 * h), hair, outline=True)


def _face(fig: Figure, centre: Point, h: float, turn: float) -> None:
    eye_x = centre[0] + 0.02 * h * turn
    for d in (-1, 1):
        if abs(turn) < 0.5 or d * turn > 0:
            fig.ellipse((eye_x + d * 0.02 * h, centre[1] - 0.003 * h), (0.007 * h, 0.005 * h), (40, 40, 50))
    fig.ellipse((eye_x, centre[1] + 0.035 * h), (0.014 * h, 0.005 * h), (70, 80, 130))


def build_figure(look: Look, pose: Pose) -> Figure:
    """The drawing operations of a shopper in a pose, back to front.

    In a side view the far arm goes behind the torso; a reaching arm is always drawn last, over the body.
    """
    body = _Body(pose, look)
    fig = Figure()
    reach_side = pose.reach_side if pose.reach is not None and pose.extension > 0 else 0
    far = -1 if body.turn > 0 else 1
    if body.side_view and far != reach_side:
        _arm(fig, body, far)
    _legs(fig, body)
    _torso(fig, body)
    for side in (-1, 1):
        if side != reach_side and not (body.side_view and side == far):
            _arm(fig, body, side)
    _head(fig, body)
    if reach_side:
        _arm(fig, body, reach_side)
    return fig


def _fixed(point: Point, dx: float, dy: float) -> tuple[int, int]:
    return round((point[0] + dx) * SCALE), round((point[1] + dy) * SCALE)


def _paint(image: npt.NDArray[np.uint8], ops: list[Op], origin: Point, colour: BGR | None) -> None:
    """Paint ``ops`` shifted by ``-origin``; with ``colour`` set, in that colour and without anti-aliasing."""
    dx, dy = -origin[0], -origin[1]
    line_type = cv2.LINE_AA if colour is None else cv2.LINE_8
    for op in ops:
        paint = op.colour if colour is None else colour
        if isinstance(op, Line):
            cv2.line(image, _fixed(op.a, dx, dy), _fixed(op.b, dx, dy), paint, op.thickness, line_type, SHIFT)
        elif isinstance(op, Poly):
            pts = np.array([_fixed(p, dx, dy) for p in op.points], np.int32)
            cv2.fillPoly(image, [pts], paint, line_type, SHIFT)
        else:
            size = (max(1, round(op.axes[0] * SCALE)), max(1, round(op.axes[1] * SCALE)))
            cv2.ellipse(image, _fixed(op.centre, dx, dy), size, 0, 0, 360, paint, -1, line_type, SHIFT)


def draw_figure(image: npt.NDArray[np.uint8], figure: Figure) -> None:
    """Paint the figure on a BGR frame, anti-aliased, in place."""
    _paint(image, figure.ops, (0.0, 0.0), None)


def draw_silhouette(mask: npt.NDArray[np.uint8], figure: Figure, origin: Point, value: int = 255) -> None:
    """Rasterise the figure's outline into ``mask`` (single channel) whose pixel (0, 0) is frame ``origin``."""
    _paint(mask, figure.silhouette, origin, (value, value, value))


SHADOW_DEPTH: Final = 0.35
"""How much the floor shadow under a shopper darkens the floor at its centre."""


def draw_shadow(image: npt.NDArray[np.uint8], pose: Pose) -> None:
    """Darken a soft ellipse of floor under the feet (people stand on the floor, not float over it)."""
    h = pose.height_px
    ax, ay = 0.2 * h, 0.035 * h
    x0, y0 = math.floor(pose.foot[0] - ax) - 2, math.floor(pose.foot[1] - ay) - 2
    x1, y1 = math.ceil(pose.foot[0] + ax) + 2, math.ceil(pose.foot[1] + ay) + 2
    H, W = image.shape[:2]
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
    if cx0 >= cx1 or cy0 >= cy1:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    centre = (round((pose.foot[0] - x0) * SCALE), round((pose.foot[1] - y0) * SCALE))
    cv2.ellipse(mask, centre, (round(ax * SCALE), round(ay * SCALE)), 0, 0, 360, 255, -1, cv2.LINE_AA, SHIFT)
    part = mask[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0].astype(np.float32) * (SHADOW_DEPTH / 255.0)
    roi = image[cy0:cy1, cx0:cx1]
    roi[:] = (roi * (1.0 - part[..., None])).astype(np.uint8)
