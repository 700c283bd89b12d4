"""Who gets a pose: tracks seen at a shelf (standing in front of it where it has a standing zone), nearest first."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from shelfsight.vision.pose.selection import SelectionSettings, select_for_pose
from shelfsight.vision.zones import Zone
from tests.builders import make_tracks

FRAME_HW = (480, 640)
SHELF = Zone.from_normalised("shelf-a", "shelf", [(0.1, 0.2), (0.5, 0.2), (0.5, 0.55), (0.1, 0.55)], FRAME_HW)
FLOOR = Zone.from_normalised("floor-a", "standing", [(0.1, 0.7), (0.5, 0.7), (0.5, 0.9), (0.1, 0.9)], FRAME_HW,
                             "shelf-a")  # fmt: skip
# in pixels: shelf x 64-320, y 96-264; its standing zone x 64-320, y 336-432

AT_SHELF = [100, 200, 160, 400]  # overlaps the shelf, feet (130, 400) in the standing zone
BIG_AT_SHELF = [180, 150, 280, 420]  # nearer the camera: larger
WALKER = [400, 200, 460, 400]  # right of the shelf, feet on the aisle floor
BELOW_HIGH_SHELF = [150, 300, 200, 420]  # box top below the shelf; a raised arm reaches 0.3 x 120 px above


def _select(boxes: list[list[float]], settings: SelectionSettings | None = None, standing: bool = True) -> list[int]:
    tracks = make_tracks(boxes, list(range(1, len(boxes) + 1)))
    rows = select_for_pose(tracks, [SHELF], {"shelf-a": FLOOR} if standing else {}, settings or SelectionSettings())
    assert rows.dtype == np.int64
    return rows.tolist()


def test_only_shoppers_at_a_shelf_are_chosen_nearest_first() -> None:
    assert _select([WALKER, AT_SHELF, BIG_AT_SHELF]) == [2, 1]


def test_a_box_below_the_shelf_is_chosen_for_the_arm_it_may_raise() -> None:
    assert _select([BELOW_HIGH_SHELF]) == [0]
    assert _select([BELOW_HIGH_SHELF], SelectionSettings(reach_up=0.0)) == []


def test_feet_outside_the_standing_zone_are_not_chosen_unless_asked() -> None:
    in_front_of_shelf_far_back = [100, 100, 150, 300]  # overlaps the shelf, feet at y 300: not in its standing zone
    assert _select([in_front_of_shelf_far_back]) == []
    assert _select([in_front_of_shelf_far_back], SelectionSettings(require_standing=False)) == [0]
    assert _select([in_front_of_shelf_far_back], standing=False) == [0]  # a shelf without standing zone: anyone


def test_feet_just_outside_the_standing_zone_count_within_the_margin() -> None:
    near = [100, 130, 160, 330]  # feet 6 px above the standing zone; margin 0.1 x 200 px = 20 px
    assert _select([near]) == [0]
    assert _select([near], SelectionSettings(standing_margin=0.0)) == []


def test_hidden_tracks_are_never_chosen() -> None:
    tracks = make_tracks([AT_SHELF, BIG_AT_SHELF], [1, 2])
    hidden = replace(tracks, data={**tracks.data, "detection_index": np.array([0, -1], np.int64)})
    assert select_for_pose(hidden, [SHELF], {"shelf-a": FLOOR}, SelectionSettings()).tolist() == [0]


def test_the_cap_keeps_the_largest() -> None:
    boxes = [[80 + 10 * i, 220 - 10 * i, 120 + 12 * i, 400] for i in range(6)]  # each larger than the one before
    assert _select(boxes, SelectionSettings(max_people=3)) == [5, 4, 3]


def test_no_tracks_or_no_shelves_choose_nobody() -> None:
    assert _select([]) == []
    tracks = make_tracks([AT_SHELF], [1])
    assert select_for_pose(tracks, [], {}, SelectionSettings()).tolist() == []


@pytest.mark.parametrize("changes", [{"reach_up": -0.1}, {"standing_margin": -1.0}, {"max_people": 0}])
def test_bad_selection_settings_are_refused(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="SelectionSettings"):
        SelectionSettings(**changes)  # type: ignore[arg-type]
