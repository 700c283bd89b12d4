"""A box cut short from below (someone in front hides the legs) keeps its shopper where they stood."""

from __future__ import annotations

import numpy as np

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.events.dwell import DwellRule, DwellTracker, FloorZone
from shelfsight.vision.events.feet import FeetVisibility
from shelfsight.vision.zones import Zone

T0 = 1_767_603_600.0
FRAME = (480, 640)
FLOOR = Zone.from_normalised("floor", "standing", [(0.0, 0.7), (1.0, 0.7), (1.0, 1.0), (0.0, 1.0)], FRAME)


IN_FRONT = (280.0, 200.0, 360.0, 470.0)  # a nearer shopper (their box ends lower) overlapping the legs


def box(top: float, bottom: float, x: float = 300.0, front: bool = False) -> FrameDetections:
    boxes = [[x - 30, top, x + 30, bottom], *([IN_FRONT] if front else [])]
    return FrameDetections(
        np.array(boxes, np.float32), np.ones(len(boxes), np.float32), np.zeros(len(boxes), np.int64),
        tracker_id=np.array([1, 2][: len(boxes)]),
    )  # fmt: skip


def flags(boxes: list[tuple[float, float]], front: bool = True) -> list[bool]:
    feet = FeetVisibility()
    return [bool(feet.update(box(top, bottom, front=front), T0 + i / 5)[0]) for i, (top, bottom) in enumerate(boxes)]


def test_a_box_cut_short_from_below_by_someone_in_front_has_its_feet_hidden() -> None:
    cut = [(100.0, 400.0)] * 3 + [(100.0, 400.0 - 8 * i) for i in range(1, 12)]  # 8 px a frame: 2.7 % of 300
    hidden = flags(cut)
    assert not any(hidden[:7]) and all(hidden[8:])  # hidden once 36+ px (12 %) above where the feet were
    assert not any(flags(cut, front=False))  # nobody in front: a box whose bottom rises is someone walking away


def test_a_shopper_whose_legs_are_hidden_keeps_dwelling() -> None:
    """Foot point at y 400 (in the floor zone, y >= 336); someone in front cuts the box at y 250 for 4 s: the foot
    point would be out of the zone and end the visit; it is a hidden shopper instead, still dwelling."""
    script = [(100.0, 400.0, False)] * 15 + [(100.0, 250.0, True)] * 20 + [(100.0, 400.0, False)] * 15
    rule = DwellRule(min_dwell_s=5.0, entry_debounce_s=1.0, exit_grace_s=1.0, hidden_grace_s=6.0)
    with_feet, without = (DwellTracker(store_id="s", camera_id="c", zones=[FloorZone(FLOOR, rule)]) for _ in range(2))
    feet = FeetVisibility()
    events_with, events_without = [], []
    for i, (top, bottom, front) in enumerate(script):
        t, tracks = T0 + i / 5, box(top, bottom, front=front)
        events_with += with_feet.update(tracks[:1], t, feet.update(tracks, t)[:1].tolist())
        events_without += without.update(tracks[:1], t)
    dwells = [e for e in [*events_with, *with_feet.flush()] if e.type == "dwell"]
    assert [(e.ts_start, round(e.ts_end - T0, 1)) for e in dwells] == [(T0, 9.8)]
    assert [e.type for e in [*events_without, *without.flush()]].count("dwell") == 0  # split into two pass-bys
