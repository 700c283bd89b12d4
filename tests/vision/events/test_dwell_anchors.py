"""Which part of a box decides floor-zone membership, and the border hysteresis of a shopper who walks off."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.events.contract import DwellEvent
from shelfsight.vision.events.dwell import DwellRule, DwellTracker, FloorZone
from shelfsight.vision.zones import Anchor, Zone

FRAME = (480, 640)
T0 = 1_767_603_600.0  # 2026-01-05T09:00:00Z
FPS = 5.0
RULE = DwellRule(min_dwell_s=3.0, entry_debounce_s=1.0, exit_grace_s=2.0, border_margin_px=10.0)
# Floor in front of a shelf, pixels x 160..480, y 240..480 (the bottom of the picture).
FLOOR = Zone.from_normalised("floor-1", "standing", [(0.25, 0.5), (0.75, 0.5), (0.75, 1.0), (0.25, 1.0)], FRAME)
# A zone in the middle of the picture, pixels x 160..480, y 120..360 (for an overhead view).
MIDDLE = Zone.from_normalised("lane-1", "checkout", [(0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75)], FRAME)

Person = tuple[int, Sequence[float]]  # track id, xyxy box in pixels


def feet_at(x: float, y: float) -> list[float]:
    """A standing shopper's box (40 x 150 px) with the feet at (x, y)."""
    return [x - 20, y - 150, x + 20, y]


def frame(*people: Person) -> FrameDetections:
    ids = np.array([p[0] for p in people], np.int64)
    xyxy = np.array([p[1] for p in people], np.float32).reshape(-1, 4)
    return FrameDetections(xyxy, np.ones(len(ids), np.float32), np.zeros(len(ids), np.int64), tracker_id=ids)


def dwells(script: Sequence[Sequence[Person]], zone: FloorZone) -> tuple[DwellTracker, list[DwellEvent]]:
    machine = DwellTracker(store_id="s", camera_id="cam1", zones=[zone])
    events: list[object] = []
    for i, people in enumerate(script):
        events += machine.update(frame(*people), T0 + i / FPS)
    events += machine.flush()
    return machine, [e for e in events if isinstance(e, DwellEvent)]


def test_walking_off_along_the_zone_edge_ends_the_visit() -> None:
    """A shopper stands at the shelf for 6 s, steps to the zone's top edge and strolls off along it (50 px/s),
    the feet a few pixels either side of the 10 px margin line as they walk. The visit ends where they first
    went beyond the margin: before, every step back within it re-counted as inside and the exit grace bridged the
    rest, so the dwell went on (by 3 s here) for as long as they walked along the zone."""
    stand = [[(1, feet_at(320, 400))]] * 30
    approach = [[(1, feet_at(320, y))] for y in (330, 280, 245)]
    stroll = [[(1, feet_at(310 - 10 * i, 236 if i % 2 == 0 else 226))] for i in range(25)]  # 4 px / 14 px out
    _, events = dwells([*stand, *approach, *stroll, *[[]] * 15], FloorZone(FLOOR, RULE))
    (dwell,) = events
    last_within_margin = len(stand) + len(approach)  # the stroll's first step (4 px out); the next is 14 px out
    assert dwell.ts_start == T0
    assert dwell.ts_end - T0 == pytest.approx(last_within_margin / FPS)
    assert dwell.dwell_s == pytest.approx(33 / FPS)


def test_stepping_out_and_back_inside_within_the_exit_grace_keeps_one_visit() -> None:
    inside, out = [[(1, feet_at(320, 400))]] * 20, [[(1, feet_at(320, 220))]] * 3  # 20 px beyond the border
    _, events = dwells([*inside, *out, *inside, *[[]] * 15], FloorZone(FLOOR, RULE))
    (dwell,) = events
    assert dwell.dwell_s == pytest.approx(42 / FPS)


def test_back_within_the_margin_but_not_inside_is_still_out() -> None:
    """Out beyond the margin once, then standing 5 px outside the outline: outside, whatever the margin."""
    inside, beyond, near = [[(1, feet_at(320, 400))]] * 20, [[(1, feet_at(320, 220))]], [[(1, feet_at(320, 235))]]
    _, events = dwells([*inside, *beyond, *near * 20, *[[]] * 15], FloorZone(FLOOR, RULE))
    (dwell,) = events
    assert dwell.ts_end - T0 == pytest.approx(19 / FPS)


# Across the middle zone's bottom border (y 360): feet 20 px below it, centre 80 px above it, 7/8 of it inside.
OVERHEAD = [300.0, 220.0, 340.0, 380.0]
# Across its top border (y 120): feet 80 px inside, centre on the border, exactly half of it inside.
TALL = [300.0, 40.0, 340.0, 200.0]


@pytest.mark.parametrize(
    ("anchor", "box", "dwelt"),
    [
        (Anchor.BOTTOM_CENTRE, OVERHEAD, False),
        (Anchor.CENTRE, OVERHEAD, True),
        (Anchor.BOX_OVERLAP, OVERHEAD, True),
        (Anchor.BOTTOM_CENTRE, TALL, True),
        (Anchor.CENTRE, TALL, False),
        (Anchor.BOX_OVERLAP, TALL, False),
    ],
)
def test_the_anchor_decides_who_is_in_the_zone(anchor: Anchor, box: list[float], dwelt: bool) -> None:
    machine, events = dwells([[(1, box)]] * 30 + [[]] * 15, FloorZone(MIDDLE, RULE, anchor))
    assert len(events) == (1 if dwelt else 0)
    assert machine.pass_bys["lane-1"] == 0


def test_box_overlap_hysteresis_uses_the_margin_in_pixels() -> None:
    """With box overlap, a shopper already in stays while their box is less than the margin past half out."""
    inside = [[(1, [300.0, 150.0, 340.0, 310.0])]] * 20
    # the box's bottom half straddles the bottom border by +-8 px: depth +-8 px, within the 10 px margin
    jitter = [[(1, [300.0, 280.0 + d, 340.0, 440.0 + d])] for d in (8, -8) * 10]
    _, events = dwells([*inside, *jitter, *[[]] * 15], FloorZone(MIDDLE, RULE, Anchor.BOX_OVERLAP))
    (dwell,) = events
    assert dwell.dwell_s == pytest.approx(39 / FPS)
