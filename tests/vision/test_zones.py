"""Zone geometry: point membership, signed distance to the border, box overlap share, membership by anchor."""

from __future__ import annotations

import numpy as np
import pytest

from shelfsight.vision.zones import Anchor, Zone, anchor_points

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


# A shopper seen from above at the zone's bottom border (y = 360): centre inside, feet 20 px below the border.
ACROSS_BOTTOM = [300.0, 220.0, 340.0, 380.0]
# The same box 120 px higher: wholly inside.
WHOLLY_INSIDE = [300.0, 150.0, 340.0, 310.0]


def test_anchor_points() -> None:
    boxes = np.array([ACROSS_BOTTOM], np.float32)
    assert anchor_points(boxes, Anchor.BOTTOM_CENTRE).tolist() == [[320.0, 380.0]]
    assert anchor_points(boxes, Anchor.CENTRE).tolist() == [[320.0, 300.0]]
    assert anchor_points(boxes, Anchor.BOX_OVERLAP).tolist() == [[320.0, 300.0]]


@pytest.mark.parametrize(
    ("anchor", "expected", "tolerance"),
    [
        (Anchor.BOTTOM_CENTRE, [-20.0, 50.0], 1e-4),  # the feet: 20 px below the border; 50 px above it
        (Anchor.CENTRE, [60.0, 110.0], 1e-4),  # the centre: 60 px in; 110 px below the top border
        # 140 of 160 px inside: (140 / 160 - 0.5) * 160 px; wholly inside: 0.5 * 160 px (1/4-grid rounding)
        (Anchor.BOX_OVERLAP, [60.0, 80.0], 4.0),
    ],
)
def test_depth_by_anchor_is_signed_pixels(anchor: Anchor, expected: list[float], tolerance: float) -> None:
    zone = Zone.from_normalised("z", "standing", SQUARE, FRAME)
    depth = zone.depth(np.array([ACROSS_BOTTOM, WHOLLY_INSIDE], np.float32), anchor)
    assert depth.dtype == np.float32 and depth.shape == (2,)
    np.testing.assert_allclose(depth, expected, atol=tolerance)


def test_box_overlap_depth_is_zero_at_half_inside_and_negative_beyond() -> None:
    zone = Zone.from_normalised("z", "standing", SQUARE, FRAME)
    half, mostly_out = [300.0, 280.0, 340.0, 440.0], [300.0, 340.0, 340.0, 480.0]  # 80 of 160 px; 20 of 140 px in
    depth = zone.depth(np.array([half, mostly_out], np.float32), Anchor.BOX_OVERLAP)
    np.testing.assert_allclose(depth, [0.0, (20 / 140 - 0.5) * 140], atol=4.0)
    assert zone.depth(np.zeros((0, 4), np.float32), Anchor.BOX_OVERLAP).shape == (0,)
