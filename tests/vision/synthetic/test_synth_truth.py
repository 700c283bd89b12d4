"""Ground truth is self-consistent: reaches behind every pickup, put-backs after their pickups, dwells where
the shoppers' feet are, MOT rows well formed, visibility that means what it says."""

from __future__ import annotations

from collections import defaultdict
from functools import cache

import numpy as np
import pytest

from shelfsight.edge_config import load_config_text
from shelfsight.vision.events import from_json, to_json
from shelfsight.vision.events.contract import DwellEvent, DwellStartedEvent, PickupEvent, PutbackEvent, TouchEvent
from shelfsight.vision.synthetic.library import library_names
from shelfsight.vision.synthetic.random_scenario import random_scenario
from shelfsight.vision.synthetic.scenario import CrowdSpec
from shelfsight.vision.synthetic.synthesis import Synthesis, synthesize
from shelfsight.vision.synthetic.true_events import true_shopper_id
from shelfsight.vision.synthetic.truth import MotRow, points_in_polygon
from shelfsight.vision.synthetic.writer import edge_config_yaml

pytestmark = pytest.mark.slow  # tens of seconds of computation on 2 cores

SCENARIOS = library_names()


@cache
def run(name: str) -> Synthesis:
    return synthesize(name, keep_every=0)


def zone_outlines(syn: Synthesis) -> dict[str, np.ndarray]:
    """Standing and shelf zone outlines in pixels, read back from the written edge config (as a consumer would)."""
    config = load_config_text(edge_config_yaml(syn.story, "synthetic:x"))
    size = np.array([syn.story.layout.width, syn.story.layout.height], np.float64)
    return {zone.id: np.array(zone.polygon, np.float64) * size for _, zone in config.iter_zones()}


def rows_by_shopper(syn: Synthesis) -> dict[str, dict[int, MotRow]]:
    out: dict[str, dict[int, MotRow]] = defaultdict(dict)
    for row in syn.truth.rows:
        out[true_shopper_id(row.shopper_id)][row.frame - 1] = row
    return out


def frame_of(syn: Synthesis, ts: float) -> int:
    """0-based index of the frame at epoch time ``ts`` (rounded to the frame grid)."""
    return round((ts - syn.story.scenario.start_epoch_s) * syn.story.fps)


def foot(row: MotRow) -> np.ndarray:
    """The box's bottom-centre where the zones see it: in the first frame's geometry (the camera may move)."""
    return np.array([row.foot])


def overlaps(box: tuple[float, float, float, float], other: np.ndarray) -> bool:
    return box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]


EXPECTED = {
    # name: (dwell, pass_by >= , touch, pickup, putback, take, misplaced)
    "empty_aisle": (0, 0, 0, 0, 0, 0, 0),
    "one_passes_by": (0, 2, 0, 0, 0, 0, 0),
    "one_dwells": (1, 0, 0, 0, 0, 0, 0),
    "one_takes_item": (1, 0, 0, 1, 0, 1, 0),
    "one_takes_and_returns": (1, 0, 0, 1, 1, 0, 0),
    "one_misplaces_item": (1, 0, 0, 1, 1, 0, 1),
    "two_cross_and_occlude": (2, 0, 1, 1, 0, 1, 0),
    "oblique_effects": (2, 0, 1, 1, 1, 0, 1),
    "camera_faults": (3, 0, 1, 2, 1, 1, 1),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_library_scenario_has_the_events_it_describes(name: str) -> None:
    counts = run(name).truth.summary["counts"]
    dwell, pass_by, touch, pickup, putback, take, misplaced = EXPECTED[name]
    assert (counts["dwell"], counts["touch"], counts["pickup"], counts["putback"]) == (dwell, touch, pickup, putback)
    assert (counts["take"], counts["misplaced"]) == (take, misplaced)
    assert counts["pass_by"] >= pass_by


def test_busy_hour_has_every_kind_of_event() -> None:
    counts = run("busy_hour").truth.summary["counts"]
    assert counts["shoppers"] >= 30
    assert all(counts[kind] > 0 for kind in ("dwell", "pass_by", "touch", "pickup", "putback", "take", "misplaced"))


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_pickup_and_putback_has_a_reach_by_that_shopper_at_that_shelf(name: str) -> None:
    syn = run(name)
    zones, rows = zone_outlines(syn), rows_by_shopper(syn)
    w, h = syn.story.layout.width, syn.story.layout.height
    reaches = [e for e in syn.truth.events if isinstance(e, PickupEvent | PutbackEvent | TouchEvent)]
    for event in reaches:
        mid = frame_of(syn, (event.ts_start + event.ts_end) / 2)  # the hand is deepest in the shelf here
        row = rows[event.shopper_id][mid]
        assert event.spot is not None
        spot = np.array(event.spot.box) * [w, h, w, h]
        assert overlaps(row.box, spot), f"{name}: {event.type} at {event.spot.spot_id}: box {row.box} misses {spot}"
        standing = zones[f"{event.shelf_id}-front"]
        for f in range(frame_of(syn, event.ts_start), frame_of(syn, event.ts_end)):
            assert points_in_polygon(foot(rows[event.shopper_id][f]), standing)[0], f"{name}: reach from outside"


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_putback_follows_its_pickup(name: str) -> None:
    events = run(name).truth.events
    pickups = {e.event_id: e for e in events if isinstance(e, PickupEvent)}
    for putback in (e for e in events if isinstance(e, PutbackEvent)):
        assert putback.pickup_event_id is not None
        pickup = pickups[putback.pickup_event_id]
        assert pickup.shopper_id == putback.shopper_id
        assert pickup.ts_end <= putback.ts_start
        assert putback.misplaced == ((pickup.shelf_id, pickup.spot.spot_id) != (putback.shelf_id, putback.spot.spot_id))
    linked = [e.pickup_event_id for e in events if isinstance(e, PutbackEvent)]
    assert len(linked) == len(set(linked))  # an item goes back once


@pytest.mark.parametrize("name", SCENARIOS)
def test_shelf_contents_change_at_the_reach_the_events_report(name: str) -> None:
    syn = run(name)
    epoch = syn.story.scenario.start_epoch_s
    for event in syn.truth.events:
        if not isinstance(event, PickupEvent | PutbackEvent | TouchEvent):
            continue
        assert event.spot is not None
        key = (event.shelf_id, event.spot.spot_id)
        before = syn.story.shelf_state_at(event.ts_start - epoch)[key]
        after = syn.story.shelf_state_at(event.ts_end - epoch)[key]
        expected = {"pickup": (True, False), "putback": (False, True)}.get(event.type)
        if expected is not None:
            assert (before is not None, after is not None) == expected, f"{name}: {event.type} {key}"
        else:
            assert before == after


@pytest.mark.parametrize("name", SCENARIOS)
def test_dwell_intervals_match_the_shoppers_positions(name: str) -> None:
    syn = run(name)
    zones, rows = zone_outlines(syn), rows_by_shopper(syn)
    rules, fps = syn.story.scenario.dwell, syn.story.fps
    started = {(e.shopper_id, e.zone_id, e.ts_start) for e in syn.truth.events if isinstance(e, DwellStartedEvent)}
    for dwell in (e for e in syn.truth.events if isinstance(e, DwellEvent)):
        assert dwell.dwell_s >= rules.min_dwell_s
        assert (dwell.shopper_id, dwell.zone_id, dwell.ts_start) in started
        first, end = frame_of(syn, dwell.ts_start), frame_of(syn, dwell.ts_end)
        mine, outline = rows[dwell.shopper_id], zones[dwell.zone_id]

        def inside(f: int, mine: dict[int, MotRow] = mine, outline: np.ndarray = outline) -> bool:
            return f in mine and bool(points_in_polygon(foot(mine[f]), outline)[0])

        assert inside(first) and inside(end - 1)
        assert not inside(first - 1) and not inside(end)
        outside = [f for f in range(first, end) if not inside(f)]
        longest_gap = max((len(list(g)) for g in _runs(outside)), default=0)
        assert longest_gap / fps <= rules.exit_grace_s


def _runs(frames: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for f in frames:
        if runs and f == runs[-1][-1] + 1:
            runs[-1].append(f)
        else:
            runs.append([f])
    return runs


@pytest.mark.parametrize("name", SCENARIOS)
def test_pass_bys_are_short_visits_listed_in_the_summary(name: str) -> None:
    syn = run(name)
    rules = syn.story.scenario.dwell
    for visit in syn.truth.summary["pass_bys"]:
        assert rules.entry_debounce_s <= visit["dwell_s"] < rules.min_dwell_s
    dwells = sum(isinstance(e, DwellEvent) for e in syn.truth.events)
    assert syn.truth.summary["counts"]["visits"] == dwells + len(syn.truth.summary["pass_bys"])


@pytest.mark.parametrize("name", SCENARIOS)
def test_mot_rows_are_well_formed(name: str) -> None:
    syn = run(name)
    w, h = syn.story.layout.width, syn.story.layout.height
    lines = syn.truth.mot_text().splitlines()
    assert len(lines) == len(syn.truth.rows)
    seen = set()
    for line in lines:
        frame, sid, left, top, width, height, conf, cls, vis = line.split(",")
        assert 1 <= int(frame) <= syn.story.frame_count and int(sid) >= 1
        assert (int(frame), int(sid)) not in seen
        seen.add((int(frame), int(sid)))
        assert float(left) >= 0 and float(left) + float(width) <= w + 0.01
        assert float(top) >= 0 and float(top) + float(height) <= h + 0.01
        assert (conf, cls) == ("1", "1") and 0.0 <= float(vis) <= 1.0


def test_visibility_measures_occlusion() -> None:
    alone = run("one_dwells").truth.rows
    in_middle = [r for r in alone if 100 < (r.box[0] + r.box[2]) / 2 < 540]
    assert in_middle and all(r.visibility == 1.0 for r in in_middle)  # nobody and nothing in front
    crossing = run("two_cross_and_occlude").truth.rows
    assert any(r.visibility < 0.7 for r in crossing if r.box[0] > 5 and r.box[2] < 635)  # hidden by the other / bin
    entering = run("one_takes_item").truth.rows[0]
    assert entering.box[0] == 0.0 and entering.visibility < 0.3  # mostly outside the frame


@pytest.mark.parametrize("name", SCENARIOS)
def test_true_events_are_valid_v1_events_with_stable_ids(name: str) -> None:
    events = run(name).truth.events
    assert [from_json(to_json(e)) for e in events] == events
    assert len({e.event_id for e in events}) == len(events)
    assert all(e.shopper_id.startswith("gt-") for e in events if hasattr(e, "shopper_id"))
    assert [e.ts for e in events] == sorted(e.ts for e in events)


@cache
def in_place() -> Synthesis:
    """Clean camera, two arrivals, and three shoppers already standing at a shelf when the video starts."""
    crowd = CrowdSpec(arrivals_per_min=6.0, window_s=20.0, standing_at_start=3)
    return synthesize(random_scenario(64, crowd, clean=True), keep_every=0)


def test_shoppers_in_place_at_the_start_are_seen_and_dwell_from_the_first_frame() -> None:
    syn = in_place()
    epoch, rules = syn.story.scenario.start_epoch_s, syn.story.scenario.dwell
    early = [p for p in syn.story.shoppers if p.t_enter < 0]
    assert [p.spec.id for p in early] == [3, 4, 5]  # after the two arrivals
    zones, rows = zone_outlines(syn), rows_by_shopper(syn)
    for plan in early:
        state = plan.state_at(0.0)
        assert state is not None and not state.walking  # standing, not walking in
        first = rows[true_shopper_id(plan.spec.id)][0]
        shelf = next(z for z in zones if z.endswith("-front") and points_in_polygon(foot(first), zones[z])[0])
        visit = next(v for v in syn.truth.visits if v.shopper_id == plan.spec.id)
        assert (visit.first, visit.ts_start, visit.zone_id) == (0, epoch, shelf)  # from the first frame
        started = next(e for e in syn.truth.events if isinstance(e, DwellStartedEvent) and e.ts_start == epoch
                       and e.shopper_id == true_shopper_id(plan.spec.id))  # fmt: skip
        assert started.ts == epoch + rules.entry_debounce_s


def test_a_reach_under_way_at_the_start_begins_with_the_video_and_none_before_it_counts() -> None:
    syn = in_place()
    epoch = syn.story.scenario.start_epoch_s
    reaches = [e for e in syn.truth.events if isinstance(e, PickupEvent | PutbackEvent | TouchEvent)]
    assert all(e.ts_start >= epoch for e in reaches)
    under_way = [o for o in syn.story.outcomes if o.reach.t_start < 0]
    assert under_way, "seed 64 puts two shoppers mid-reach at the start"
    for outcome in under_way:
        assert outcome.reach.t_peak >= 0  # the item moves in view
        event = next(e for e in reaches if e.shopper_id == true_shopper_id(outcome.shopper_id))
        assert event.ts_start == epoch and event.ts_end == round(epoch + outcome.reach.t_end, 6)
