"""Box arithmetic of the shelf-event modules: boxes are (x1, y1, x2, y2) in reference pixels."""

from __future__ import annotations

from shelfsight.vision.events.reach import Box


def overlaps(a: Box, b: Box, margin: float = 0.0) -> bool:
    """True when box ``a`` grown by ``margin`` pixels on every side overlaps box ``b`` (touching is not enough)."""
    width = min(a[2] + margin, b[2]) - max(a[0] - margin, b[0])
    height = min(a[3] + margin, b[3]) - max(a[1] - margin, b[1])
    return width > 0 and height > 0


def grow(box: Box, margin: float) -> Box:
    """``box`` grown by ``margin`` pixels on every side."""
    return box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin


def intersection(a: Box, b: Box) -> Box:
    """The common part of two overlapping boxes."""
    return max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])


def union(a: Box, b: Box) -> Box:
    """The smallest box holding both."""
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])
