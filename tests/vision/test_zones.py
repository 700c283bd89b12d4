"""Zone geometry: point membership, signed distance to the border, box overlap share."""

from __future__ import annotations

import numpy as np
import pytest

from vision.zones import Zone

FRAME = (480, 640)
SQUARE = [(0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75)]  # pixels 160..480 x 120..360
L_SHAPE = [(0.1, 0.1), (0.5, 0.1), (0.5, 0.3), (0.3, 0.3), (0.3, 0.6), (0.1, 0.6)]


@pytest.mark.parametrize(
    ("polygon", "point", "inside"),
    [
        (SQUARE, (320, 240), True),
        (SQUARE, (100, 240), False),
        (SQUARE, (479, 359), True),
        (SQUARE, (481, 240), False),
        (L_SHAPE, (100, 100), True),  # in the vertical bar
        (L_SHAPE, (250, 100), True),  # in the top bar
        (L_SHAPE, (250, 200), False),  # in the notch of the L
    ],
)
def test_contains(polygon: list[tuple[float, float]], point: tuple[float, float], inside: bool) -> None:
    zone = Zone.from_normalised("z", "standing", polygon, FRAME)
    assert zone.contains(np.array([point], np.float32)).tolist() == [inside]


def test_distance_inside_is_signed() -> None:
    zone = Zone.from_normalised("z", "standing", SQUARE, FRAME)
    distance = zone.distance_inside(np.array([[320, 240], [150, 240], [170, 130]], np.float32))
    np.testing.assert_allclose(distance, [120, -10, 10], atol=1e-4)


def test_overlap_share_of_boxes() -> None:
    zone = Zone.from_normalised("shelf", "shelf", SQUARE, FRAME)
    boxes = np.array([[200, 150, 300, 250], [0, 0, 100, 100], [80, 120, 240, 360]], np.float32)
    np.testing.assert_allclose(zone.overlap_share(boxes), [1.0, 0.0, 0.5], atol=0.03)
    assert zone.overlap_share(np.zeros((0, 4), np.float32)).shape == (0,)


def test_rejects_degenerate_polygon() -> None:
    with pytest.raises(ValueError, match="polygon must be"):
        Zone("z", "shelf", np.zeros((2, 2), np.float32), FRAME)
