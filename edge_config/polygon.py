"""Plane geometry that decides whether a configured zone outline is usable.

Pure functions on normalised (x, y) points; `vision/` builds its own pixel-space zones from the config.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

logger = logging.getLogger(__name__)

Point = tuple[float, float]

MIN_POINTS: Final = 3
"""Fewer points enclose no area."""

MIN_AREA: Final = 1e-6
"""Smallest enclosed area as a fraction of the image (about 2 square pixels at 1920x1080).

Below it the outline is a line or a dot: repeated or collinear points, usually a copy-paste slip.
"""


@dataclass(frozen=True)
class PolygonDefect:
    """Why an outline is unusable.

    Attributes:
        at: Index of the offending point within the polygon, or None for the outline as a whole.
        message: What is wrong and what would be valid.
        fix: What to change.
    """

    at: int | None
    message: str
    fix: str


def signed_area(points: Sequence[Point]) -> float:
    """Shoelace area of a closed outline, positive when the points run anticlockwise (y up).

    Args:
        points: Outline vertices in order; the last connects back to the first.

    Returns:
        Area in the points' units squared (a fraction of the image for normalised points).
    """
    total = 0.0
    for index, (x0, y0) in enumerate(points):
        x1, y1 = points[(index + 1) % len(points)]
        total += x0 * y1 - x1 * y0
    return total / 2.0


def _orientation(a: Point, b: Point, c: Point) -> float:
    """Twice the signed area of triangle abc: > 0 anticlockwise, < 0 clockwise, 0 collinear."""
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """True when segments p1p2 and q1q2 cross at a single point inside both (touching does not count)."""
    d1, d2 = _orientation(q1, q2, p1), _orientation(q1, q2, p2)
    d3, d4 = _orientation(p1, p2, q1), _orientation(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def first_crossing(points: Sequence[Point]) -> tuple[int, int] | None:
    """Find two edges of the outline that cross each other, as in a bow-tie.

    Edge ``i`` runs from point ``i`` to point ``i + 1`` (the last edge closes the outline). A crossing
    outline usually means two points were listed in the wrong order; a filled mask of it covers a
    different area than the user drew.

    Args:
        points: Outline vertices in order.

    Returns:
        Indexes ``(i, j)`` of the first pair of crossing edges, or None. O(n^2), fine for zone outlines.
    """
    count = len(points)
    for i in range(count):
        for j in range(i + 2, count):
            if i == 0 and j == count - 1:
                continue  # adjacent through the closing edge
            if _segments_cross(points[i], points[(i + 1) % count], points[j], points[(j + 1) % count]):
                return i, j
    return None


def polygon_defect(points: Sequence[Point]) -> PolygonDefect | None:
    """Check a normalised zone outline; return the first defect a user must fix, or None.

    The checks run from the most basic up (point count, range, crossing, area), so the defect reported is
    the one to fix first.

    Args:
        points: Outline vertices, each (x, y) with x a fraction of the image width and y of its height.

    Returns:
        The defect, or None when the outline is usable.
    """
    if len(points) < MIN_POINTS:
        return PolygonDefect(
            None,
            f"polygon needs >= {MIN_POINTS} points, got {len(points)}",
            "list at least 3 [x, y] points around the zone's outline",
        )
    outside = [index for index, (x, y) in enumerate(points) if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0)]
    if outside:
        x, y = points[outside[0]]
        others = f" (also point(s) {', '.join(map(str, outside[1:]))})" if len(outside) > 1 else ""
        return PolygonDefect(
            outside[0],
            f"point {outside[0]} is [{x:g}, {y:g}]: coordinates are fractions of the image size, "
            f"so x and y must be within [0, 1]{others}",
            "divide pixel coordinates by the image width (x) and height (y)",
        )
    crossing = first_crossing(points)
    if crossing is not None:
        i, j = crossing
        count = len(points)
        return PolygonDefect(
            None,
            f"polygon edges {i}->{(i + 1) % count} and {j}->{(j + 1) % count} cross each other (a bow-tie outline)",
            "list the points in order around the outline, clockwise or anticlockwise",
        )
    if abs(signed_area(points)) < MIN_AREA:
        return PolygonDefect(
            None,
            f"polygon encloses no area (|area| < {MIN_AREA:g} of the image): its points are repeated or on one line",
            "spread the points around the zone's outline",
        )
    return None
