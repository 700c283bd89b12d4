"""The dwell state machine on scripted frame sequences: debounce, grace, pass-bys, hysteresis, ids."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.events.contract import DwellEvent, DwellStartedEvent, PassByEvent
from shelfsight.vision.events.dwell import DwellRule, DwellTracker, FloorZone
from shelfsight.vision.zones import Zone

FRAME = (480, 640)
T0 = 1_767_603_600.0  # 2026-01-05T09:00:00Z
FLOOR = Zone.from_normalised("floor-1", "standing", [(0.25, 0.5), (0.75, 0.5), (0.75, 1.0), (0.25, 1.0)], FRAME, "s1")
RULE = DwellRule(min_dwell_s=3.0, entry_debounce_s=1.0, exit_grace_s=2.0, border_margin_px=10.0)
INSIDE_X, OUTSIDE_X = 320.0, 50.0


def tracks(*people: tuple[int, float]) -> FrameDetections:
    """Tracks standing with their feet at (x, 400) px: (track id, foot x)."""
    ids = np.array([p[0] for p in people], np.int64)
    xyxy = np.array([[x - 20, 250, x + 20, 400] for _, x in people], np.float32).reshape(-1, 4)
    return FrameDetections(xyxy, np.ones(len(ids), np.float32), np.zeros(len(ids), np.int64), tracker_id=ids)


def run(script: Sequence[Sequence[tuple[int, float]]], fps: float = 5.0) -> tuple[DwellTracker, list[object]]:
    machine = DwellTracker(store_id="s", camera_id="cam1", zones=[FloorZone(FLOOR, RULE)])
    events: list[object] = []
    for i, people in enumerate(script):
        events += machine.update(tracks(*people), T0 + i / fps)
    events += machine.flush()
    return machine, events


def test_visit_with_debounce_and_end_at_last_seen_inside() -> None:
    script = [[(1, INSIDE_X)]] * 25 + [[(1, OUTSIDE_X)]] * 15  # 5 s inside at 5 fps, then leaves
    machine, events = run(script)
    started, dwell = events
    assert isinstance(started, DwellStartedEvent) and isinstance(dwell, DwellEvent)
    assert started.ts_start == T0 and started.ts == T0 + 1.0  # confirmed after the 1 s debounce
    assert dwell.ts_start == T0 and dwell.ts_end == T0 + 24 / 5  # last frame seen inside
    assert dwell.shopper_id == "cam1-1" and dwell.zone_id == "floor-1" and dwell.shelf_id == "s1"
    assert machine.open_visits == 0 and machine.pass_bys["floor-1"] == 0


def test_short_visit_is_a_pass_by() -> None:
    machine, events = run([[(1, INSIDE_X)]] * 10 + [[(1, OUTSIDE_X)]] * 15)  # 2 s inside < 3 s minimum
    assert [type(e) for e in events] == [DwellStartedEvent, PassByEvent]
    started, passed = events
    assert isinstance(started, DwellStartedEvent) and isinstance(passed, PassByEvent)
    # It closes the visit its dwell_started opened: same shopper, zone and entry time.
    assert (passed.shopper_id, passed.zone_id, passed.ts_start) == (started.shopper_id, started.zone_id, T0)
    assert passed.confirmed and passed.shelf_id == "s1" and passed.schema_version == "1.2"
    assert passed.ts_end == T0 + 9 / 5 and abs(passed.dwell_s - 9 / 5) < 1e-6 < RULE.min_dwell_s - passed.dwell_s
    assert passed.event_id not in {started.event_id} and machine.pass_bys["floor-1"] == 1 and machine.open_visits == 0


def test_walk_through_shorter_than_the_debounce_is_an_unconfirmed_pass_by() -> None:
    _, events = run([[(1, INSIDE_X)]] * 3 + [[(1, OUTSIDE_X)]] * 15)  # 0.4 s inside < 1 s debounce
    (passed,) = events
    assert isinstance(passed, PassByEvent) and not passed.confirmed and abs(passed.dwell_s - 0.4) < 1e-6


def test_a_visit_at_the_minimum_dwell_is_a_dwell_not_a_pass_by() -> None:
    machine, events = run([[(1, INSIDE_X)]] * 16 + [[(1, OUTSIDE_X)]] * 15)  # 3.0 s inside = the 3 s minimum
    assert [type(e) for e in events] == [DwellStartedEvent, DwellEvent]
    assert machine.pass_bys["floor-1"] == 0


def test_a_track_born_inside_starts_its_visit_at_its_first_box() -> None:
    """The tracker confirms a shopper some frames after their first box (its ``age_s`` column says how long ago):
    a shopper standing there when the stream started dwelt from that box, not from the confirmation. A track seen
    in an earlier frame keeps the time it was first seen inside."""
    machine = DwellTracker(store_id="s", camera_id="cam1", zones=[FloorZone(FLOOR, RULE)])
    events: list[object] = []
    for i in range(14):  # confirmed 0.4 s after its first box, then 2.6 s more inside: 3.0 s in all
        rows = tracks((1, INSIDE_X))
        rows = FrameDetections(
            rows.xyxy, rows.confidence, rows.class_id, tracker_id=rows.tracker_id,
            data={"age_s": np.array([0.4 + i / 5], np.float32)},
        )  # fmt: skip
        events += machine.update(rows, T0 + 0.4 + i / 5)
    events += machine.flush()
    started, dwell = events
    assert isinstance(started, DwellStartedEvent) and isinstance(dwell, DwellEvent)
    assert abs(dwell.ts_start - T0) < 1e-4 and abs(dwell.dwell_s - 3.0) < 1e-4  # the 3 s minimum: a dwell


def test_pass_by_ids_are_stable_across_runs() -> None:
    script = [[(1, INSIDE_X)]] * 10 + [[(1, OUTSIDE_X)]] * 15
    assert [e.event_id for e in run(script)[1]] == [e.event_id for e in run(script)[1]]  # type: ignore[attr-defined]


def test_visits_open_at_the_end_of_the_stream_close_as_pass_bys_or_dwells() -> None:
    _, events = run([[(1, INSIDE_X), (2, INSIDE_X + 60)]] * 10 + [[(2, INSIDE_X + 60)]] * 20)
    kinds = sorted((e.shopper_id, type(e).__name__) for e in events if not isinstance(e, DwellStartedEvent))
    assert kinds == [("cam1-1", "PassByEvent"), ("cam1-2", "DwellEvent")]


def test_occlusion_within_grace_keeps_one_visit() -> None:
    script = [[(1, INSIDE_X)]] * 10 + [[]] * 7 + [[(1, INSIDE_X)]] * 10 + [[]] * 15  # hidden 1.4 s < 2 s grace
    _, events = run(script)
    dwells = [e for e in events if isinstance(e, DwellEvent)]
    assert len(dwells) == 1
    assert abs(dwells[0].dwell_s - 26 / 5) < 1e-6 and 1.3 < (dwells[0].occluded_s or 0) < 1.7


def test_hidden_beyond_the_exit_grace_keeps_one_visit_until_the_hidden_grace() -> None:
    """Not seen at all for 3 s (> exit grace 2 s, < hidden grace 6 s): hidden behind someone, one visit."""
    script = [[(1, INSIDE_X)]] * 20 + [[]] * 15 + [[(1, INSIDE_X)]] * 20 + [[]] * 35
    _, events = run(script)
    (dwell,) = [e for e in events if isinstance(e, DwellEvent)]
    assert abs(dwell.dwell_s - 54 / 5) < 1e-6 and 2.9 < (dwell.occluded_s or 0) < 3.3


def test_occlusion_beyond_the_hidden_grace_splits_the_visit() -> None:
    script = [[(1, INSIDE_X)]] * 20 + [[]] * 35 + [[(1, INSIDE_X)]] * 20 + [[]] * 35  # hidden 7 s > 6 s
    _, events = run(script)
    assert len([e for e in events if isinstance(e, DwellEvent)]) == 2


def test_seen_outside_beyond_the_exit_grace_splits_the_visit() -> None:
    """Seen walking out for 3 s, then back: the exit grace applies, not the hidden grace (two visits)."""
    script = [[(1, INSIDE_X)]] * 20 + [[(1, OUTSIDE_X)]] * 15 + [[(1, INSIDE_X)]] * 20 + [[]] * 35
    _, events = run(script)
    assert len([e for e in events if isinstance(e, DwellEvent)]) == 2


def test_standing_on_the_border_does_not_flip_flop() -> None:
    edge = 160.0  # the zone's left border; jitter of +-5 px around it stays within the 10 px margin
    script = [[(1, INSIDE_X)]] * 5 + [[(1, edge + (5 if i % 2 else -5))] for i in range(30)] + [[]] * 15
    machine, events = run(script)
    assert len([e for e in events if isinstance(e, DwellEvent)]) == 1 and machine.pass_bys["floor-1"] == 0


def test_two_shoppers_and_stable_ids() -> None:
    script = [[(1, INSIDE_X), (2, INSIDE_X + 40)]] * 25 + [[]] * 15
    _, first = run(script)
    _, second = run(script)
    assert [e.event_id for e in first] == [e.event_id for e in second]  # type: ignore[attr-defined]
    assert len({e.event_id for e in first}) == 4  # type: ignore[attr-defined]


def test_dwell_time_does_not_depend_on_fps() -> None:
    for fps in (2.0, 5.0, 10.0):
        frames = int(6 * fps)
        _, events = run([[(1, INSIDE_X)]] * frames + [[]] * int(3 * fps), fps=fps)
        (dwell,) = [e for e in events if isinstance(e, DwellEvent)]
        assert abs(dwell.dwell_s - 6.0) <= 1 / fps + 1e-6  # one frame interval at most


def test_flush_closes_open_visits() -> None:
    machine, events = run([[(1, INSIDE_X)]] * 25)
    assert any(isinstance(e, DwellEvent) for e in events) and machine.open_visits == 0


def test_a_new_track_where_one_vanished_continues_its_visit() -> None:
    # the tracker loses shopper 1 behind someone and starts track 9 at the same spot 0.8 s later
    script = [[(1, INSIDE_X)]] * 20 + [[]] * 4 + [[(9, INSIDE_X + 5)]] * 20 + [[]] * 15
    machine, events = run(script)
    dwells = [e for e in events if isinstance(e, DwellEvent)]
    assert len(dwells) == 1 and dwells[0].shopper_id == "cam1-1"
    assert abs(dwells[0].dwell_s - 43 / 5) < 1e-6 and machine.pass_bys["floor-1"] == 0


def test_a_new_track_elsewhere_starts_its_own_visit() -> None:
    script = [[(1, INSIDE_X)]] * 20 + [[]] * 4 + [[(9, INSIDE_X + 140)]] * 20 + [[]] * 15
    _, events = run(script)
    assert sorted(e.shopper_id for e in events if isinstance(e, DwellEvent)) == ["cam1-1", "cam1-9"]


def test_a_newcomer_where_a_shopper_walked_out_starts_its_own_visit() -> None:
    # shopper 1 is seen walking out past the border; shopper 2 comes in there within the exit grace
    edge = 0.25 * FRAME[1]
    script = (
        [[(1, edge + 40)]] * 30 + [[(1, edge - 30)]] * 2 + [[]] * 2 + [[(2, edge + 20)]] * 30 + [[]] * 15
    )  # fmt: skip
    _, events = run(script)
    assert sorted(e.shopper_id for e in events if isinstance(e, DwellEvent)) == ["cam1-1", "cam1-2"]


def test_a_shopper_walking_in_where_one_vanished_starts_its_own_visit() -> None:
    # shopper 1 vanishes at the spot (hidden); shopper 2, already tracked outside the zone, walks onto it
    walk_in = [[(2, OUTSIDE_X + 20 * i)] for i in range(3)]
    script = [[(1, INSIDE_X)]] * 30 + walk_in + [[(2, INSIDE_X + 5)]] * 30 + [[]] * 15
    _, events = run(script)
    assert sorted(e.shopper_id for e in events if isinstance(e, DwellEvent)) == ["cam1-1", "cam1-2"]
