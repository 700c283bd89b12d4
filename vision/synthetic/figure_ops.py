"""The drawing operations of a figure: anti-aliased OpenCV primitives, the `Figure` that holds them, and painting.

A `Figure` is a list of operations in painting order, the subset whose union is its outline, the box around
that outline, its arms' joints, and which runs of operations draw which part (for motion blur). `paint_ops`
draws any run of operations on a frame (anti-aliased) or into a mask (one colour), so paint and silhouette
always agree. Coordinates are frame pixels (float), drawn at 1/16 pixel precision (OpenCV ``shift=4``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Final, NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

from shelfsight.vision.synthetic.look import BGR

logger = logging.getLogger(__name__)

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
    """A filled ellipse, turned by ``angle`` degrees (clockwise in the image) from axis-aligned."""

    centre: Point
    axes: Point
    colour: BGR
    angle: float = 0.0

    def extent(self) -> Point:
        """Half width and half height of the box around the turned ellipse."""
        if self.angle == 0.0:
            return self.axes
        c, s = math.cos(math.radians(self.angle)), math.sin(math.radians(self.angle))
        a, b = self.axes
        return (math.hypot(a * c, b * s), math.hypot(a * s, b * c))


Op = Line | Poly | Ellipse


@dataclass(frozen=True)
class ArmJoints:
    """Where one arm's joints are drawn, frame pixels (before lens and camera motion).

    Attributes:
        shoulder: Top of the upper arm.
        elbow: Between upper arm and forearm.
        wrist: Where the forearm meets the hand.
        hand: Centre of the hand.
    """

    shoulder: Point
    elbow: Point
    wrist: Point
    hand: Point


PartKey = str
"""Which part of a figure a run of operations draws: ``body``, or ``arm-1`` / ``arm+1`` (image side)."""


@dataclass
class Figure:
    """Drawing operations of one posed figure and the box around them.

    Attributes:
        ops: Operations in painting order.
        silhouette: The operations whose union is the figure's outline.
        bbox: (x1, y1, x2, y2) around every operation, frame pixels, unclipped.
        arms: Joints of each arm by image side (-1 left, +1 right).
        parts: (part, first op, end op) runs covering ``ops`` in order (motion blur moves parts separately).
    """

    ops: list[Op] = field(default_factory=list)
    silhouette: list[Op] = field(default_factory=list)
    bbox: list[float] = field(default_factory=lambda: [math.inf, math.inf, -math.inf, -math.inf])
    arms: dict[int, ArmJoints] = field(default_factory=dict)
    parts: list[tuple[PartKey, int, int]] = field(default_factory=list)

    def mark(self, part: PartKey, start: int) -> None:
        """Record that ops ``start`` up to now draw ``part`` (runs of one part are merged)."""
        end = len(self.ops)
        if end == start:
            return
        if self.parts and self.parts[-1][0] == part and self.parts[-1][2] == start:
            self.parts[-1] = (part, self.parts[-1][1], end)
        else:
            self.parts.append((part, start, end))

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

    def ellipse(self, centre: Point, axes: Point, colour: BGR, *, outline: bool = False, angle: float = 0.0) -> None:
        op = Ellipse(centre, axes, colour, angle)
        self.ops.append(op)
        if outline:
            self.silhouette.append(op)
            ex, ey = op.extent()
            self._grow(centre[0] - ex, centre[1] - ey, centre[0] + ex, centre[1] + ey)


def ops_bounds(ops: list[Op]) -> tuple[float, float, float, float]:
    """(x1, y1, x2, y2) around drawing operations, pixels (lines include half their thickness)."""
    xs: list[float] = []
    ys: list[float] = []
    for op in ops:
        if isinstance(op, Line):
            r = op.thickness / 2.0
            xs += [min(op.a[0], op.b[0]) - r, max(op.a[0], op.b[0]) + r]
            ys += [min(op.a[1], op.b[1]) - r, max(op.a[1], op.b[1]) + r]
        elif isinstance(op, Poly):
            xs += [p[0] for p in op.points]
            ys += [p[1] for p in op.points]
        else:
            ex, ey = op.extent()
            xs += [op.centre[0] - ex, op.centre[0] + ex]
            ys += [op.centre[1] - ey, op.centre[1] + ey]
    if not xs:
        return (math.inf, math.inf, -math.inf, -math.inf)
    return min(xs), min(ys), max(xs), max(ys)


def _fixed(point: Point, dx: float, dy: float) -> tuple[int, int]:
    return round((point[0] + dx) * SCALE), round((point[1] + dy) * SCALE)


def paint_ops(
    image: npt.NDArray[np.uint8], ops: list[Op], origin: Point, colour: BGR | None, *, antialias: bool = False
) -> None:
    """Paint ``ops`` shifted by ``-origin``; with ``colour`` set, in that colour and without anti-aliasing
    (unless ``antialias``: a coverage mask)."""
    dx, dy = -origin[0], -origin[1]
    line_type = cv2.LINE_AA if colour is None or antialias else cv2.LINE_8
    for op in ops:
        paint = op.colour if colour is None else colour
        if isinstance(op, Line):
            cv2.line(image, _fixed(op.a, dx, dy), _fixed(op.b, dx, dy), paint, op.thickness, line_type, SHIFT)
        elif isinstance(op, Poly):
            pts = np.array([_fixed(p, dx, dy) for p in op.points], np.int32)
            cv2.fillPoly(image, [pts], paint, line_type, SHIFT)
        else:
            size = (max(1, round(op.axes[0] * SCALE)), max(1, round(op.axes[1] * SCALE)))
            cv2.ellipse(image, _fixed(op.centre, dx, dy), size, op.angle, 0, 360, paint, -1, line_type, SHIFT)


def draw_figure(image: npt.NDArray[np.uint8], figure: Figure) -> None:
    """Paint the figure on a BGR frame, anti-aliased, in place."""
    paint_ops(image, figure.ops, (0.0, 0.0), None)


def draw_silhouette(mask: npt.NDArray[np.uint8], figure: Figure, origin: Point, value: int = 255) -> None:
    """Rasterise the figure's outline into ``mask`` (single channel) whose pixel (0, 0) is frame ``origin``."""
    paint_ops(mask, figure.silhouette, origin, (value, value, value))
