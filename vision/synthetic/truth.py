"""Ground truth of a rendered scenario: MOTChallenge rows, true events, and a summary with the pass-bys.

Conventions (docs/synthetic.md has the full text):

* MOT rows ``frame,id,left,top,width,height,conf,class,visibility`` with 1-based frames, the shopper's id,
  the whole figure's box clipped to the frame, ``conf`` 1, ``class`` 1 (pedestrian) and the visibility.
* Shoppers are ``gt-{id}`` (`shopper_id_for` with camera ``gt``); times are the scenario's start epoch plus
  scene time; event ids come from `event_id_for`, so the same scenario always gives the same ids.
* Reach events span the arm's movement (start to back down). A pick-up's item leaves the shelf, and a
  put-back's arrives, at the middle of the reach.
* Visits follow the scenario's dwell rules applied to the true boxes: a shopper is in a standing zone in a
  frame when the bottom-centre of their box lies in the zone's outline; runs of such frames separated by
  at most ``exit_grace_s`` are one visit, from the first frame inside to the first frame outside. Visits
  shorter than ``entry_debounce_s`` are ignored, those shorter than ``min_dwell_s`` are pass-bys (listed in
  the summary), the rest are dwells. Every visit of at least ``entry_debounce_s`` also has a ``dwell_started``
  event, ``entry_debounce_s`` after entry.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Final
from uuid import UUID

import numpy as np
import numpy.typing as npt

from vision.events.contract import (
    AnyEvent,
    DwellEvent,
    DwellStartedEvent,
    PickupEvent,
    PutbackEvent,
    ShelfSpot,
    TouchEvent,
)
from vision.events.ids import event_id_for, shopper_id_for
from vision.synthetic.motion import ReachPlan
from vision.synthetic.render import RenderedFrame
from vision.synthetic.story import ReachOutcome, Story

logger = logging.getLogger(__name__)

TRUTH_CAMERA: Final = "gt"
"""Prefix of true shopper ids: ``gt-3`` is shopper 3 (`shopper_id_for(camera_id="gt", track_id=3)`)."""

MOT_CLASS_PEDESTRIAN: Final = 1


@dataclass(frozen=True)
class MotRow:
    """One shopper in one frame: 1-based frame number, id, box (x1, y1, x2, y2) in pixels, visibility."""

    frame: int
    shopper_id: int
    box: tuple[float, float, float, float]
    visibility: float

    def line(self) -> str:
        """The MOTChallenge text line ``frame,id,left,top,width,height,conf,class,visibility``."""
        x1, y1, x2, y2 = self.box
        return (
            f"{self.frame},{self.shopper_id},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},"
            f"1,{MOT_CLASS_PEDESTRIAN},{self.visibility:.4f}"
        )


@dataclass(frozen=True)
class Visit:
    """One visit of a shopper to a standing zone, in frames [first, end) and epoch seconds."""

    shopper_id: int
    zone_id: str
    shelf_id: str
    first: int
    end: int
    ts_start: float
    ts_end: float
    occluded_s: float

    @property
    def dwell_s(self) -> float:
        """Visit length, seconds (rounded to the microsecond, as the times are)."""
        return round(self.ts_end - self.ts_start, 6)


@dataclass
class GroundTruth:
    """Everything true about a rendered scenario.

    Attributes:
        rows: MOT rows in frame order, then id.
        events: True events sorted by ``ts``, then type and id.
        visits: Every visit (dwells and pass-bys) in time order.
        summary: The truth summary (``truth.json``).
    """

    rows: list[MotRow] = field(default_factory=list)
    events: list[AnyEvent] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def mot_text(self) -> str:
        """The rows as a MOTChallenge ``gt.txt``."""
        return "".join(row.line() + "\n" for row in self.rows)


def true_shopper_id(shopper: int) -> str:
    """The anonymous id of a true shopper: ``gt-{id}``."""
    return shopper_id_for(camera_id=TRUTH_CAMERA, track_id=shopper)


def points_in_polygon(points: npt.NDArray[np.float64], polygon: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """(n,) whether each (n, 2) point lies inside ``polygon`` (m, 2) (even-odd rule; edges count as inside half)."""
    x, y = points[:, 0:1], points[:, 1:2]
    x0, y0 = polygon[:, 0], polygon[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    straddles = (y0 > y) != (y1 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        cross_x = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    inside: npt.NDArray[np.bool_] = (np.count_nonzero(straddles & (x < cross_x), axis=1) % 2) == 1
    return inside


class TruthBuilder:
    """Collects per-frame truth while frames are rendered, then derives visits and events.

    Args:
        story: The story being rendered. Frames must be added in order, every one of them.
    """

    def __init__(self, story: Story) -> None:
        self.story = story
        self.rows: list[MotRow] = []
        self._expected = 0

    def add(self, frame: RenderedFrame) -> None:
        """Record one rendered frame's truth.

        Raises:
            ValueError: When a frame is skipped or repeated (visits need every frame).
        """
        if frame.index != self._expected:
            raise ValueError(f"truth needs every frame in order: expected frame {self._expected}, got {frame.index}")
        self._expected += 1
        truth = frame.truth
        order = np.argsort(truth.shopper_ids, kind="stable")
        for i in order:
            x1, y1, x2, y2 = (round(float(v), 2) for v in truth.boxes[i])
            self.rows.append(
                MotRow(frame.index + 1, int(truth.shopper_ids[i]), (x1, y1, x2, y2), float(truth.visibility[i]))
            )

    def finish(self) -> GroundTruth:
        """Visits, events and summary from the frames added so far (all of them).

        Raises:
            ValueError: When not every frame of the story was added.
        """
        if self._expected != self.story.frame_count:
            raise ValueError(f"truth needs all {self.story.frame_count} frames, got {self._expected}")
        visits = find_visits(self.story, self.rows)
        events = sorted(
            visit_events(self.story, visits) + reach_events(self.story),
            key=lambda e: (e.ts, e.type, str(e.event_id)),
        )
        return GroundTruth(self.rows, events, visits, summarise(self.story, self.rows, visits, events))


def _zone_outlines(story: Story) -> list[tuple[str, str, npt.NDArray[np.float64]]]:
    layout = story.layout
    return [(u.standing_zone_id, u.spec.id, layout.to_frame(u.standing_px)) for u in layout.shelves]


def _runs(frames: list[int], grace_frames: float) -> list[tuple[int, int]]:
    """[first, end) runs of frame numbers, merging runs whose gap is at most ``grace_frames``."""
    runs: list[tuple[int, int]] = []
    for f in frames:
        if runs and f - runs[-1][1] <= grace_frames:
            runs[-1] = (runs[-1][0], f + 1)
        else:
            runs.append((f, f + 1))
    return runs


def find_visits(story: Story, rows: list[MotRow]) -> list[Visit]:
    """Every visit to a standing zone of at least the entry debounce, from the true boxes' foot points."""
    fps, epoch, rules = story.fps, story.scenario.start_epoch_s, story.scenario.dwell
    by_shopper: dict[int, list[MotRow]] = defaultdict(list)
    for row in rows:
        by_shopper[row.shopper_id].append(row)
    visits = []
    for zone_id, shelf_id, outline in _zone_outlines(story):
        for sid, shopper_rows in sorted(by_shopper.items()):
            boxes = np.array([r.box for r in shopper_rows], np.float64)
            feet = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, boxes[:, 3]], axis=1)
            inside = points_in_polygon(feet, outline)
            frames = [r.frame - 1 for r, hit in zip(shopper_rows, inside, strict=True) if hit]
            hidden = {r.frame - 1 for r in shopper_rows if r.visibility <= 0.0}
            seen = {r.frame - 1 for r in shopper_rows}
            for first, end in _runs(frames, rules.exit_grace_s * fps):
                if (end - first) / fps < rules.entry_debounce_s:
                    continue
                unseen = sum(1 for f in range(first, end) if f in hidden or f not in seen)
                ts_start, ts_end = round(epoch + first / fps, 6), round(epoch + end / fps, 6)
                visits.append(Visit(sid, zone_id, shelf_id, first, end, ts_start, ts_end, round(unseen / fps, 6)))
    return sorted(visits, key=lambda v: (v.ts_start, v.shopper_id, v.zone_id))


def visit_events(story: Story, visits: list[Visit]) -> list[AnyEvent]:
    """``dwell_started`` for every visit, ``dwell`` for those of at least ``min_dwell_s``."""
    scenario = story.scenario
    store, camera = scenario.store_id, scenario.camera.camera_id
    events: list[AnyEvent] = []
    for v in visits:
        shopper = true_shopper_id(v.shopper_id)
        started_id = event_id_for(
            store_id=store,
            camera_id=camera,
            type="dwell_started",
            shopper_id=shopper,
            ts_start=v.ts_start,
            extra=v.zone_id,
        )
        events.append(
            DwellStartedEvent(
                event_id=started_id,
                store_id=store,
                camera_id=camera,
                confidence=1.0,
                shopper_id=shopper,
                ts=round(v.ts_start + scenario.dwell.entry_debounce_s, 6),
                ts_start=v.ts_start,
                zone_id=v.zone_id,
                shelf_id=v.shelf_id,
            )
        )
        if v.dwell_s < scenario.dwell.min_dwell_s:
            continue
        dwell_id = event_id_for(
            store_id=store, camera_id=camera, type="dwell", shopper_id=shopper, ts_start=v.ts_start, extra=v.zone_id
        )
        events.append(
            DwellEvent(
                event_id=dwell_id,
                store_id=store,
                camera_id=camera,
                confidence=1.0,
                shopper_id=shopper,
                ts=v.ts_end,
                ts_start=v.ts_start,
                ts_end=v.ts_end,
                zone_id=v.zone_id,
                shelf_id=v.shelf_id,
                dwell_s=v.dwell_s,
                occluded_s=min(v.occluded_s, v.dwell_s),
            )
        )
    return events


def _spot(story: Story, shelf_id: str, spot_id: str) -> ShelfSpot:
    layout = story.layout
    return ShelfSpot(spot_id=spot_id, box=layout.spot_box(layout.shelf(shelf_id).spots[spot_id]))


def _reach_event(story: Story, outcome: ReachOutcome, pickup_ids: dict[ReachPlan, UUID]) -> AnyEvent:
    scenario, reach = story.scenario, outcome.reach
    epoch = scenario.start_epoch_s
    ts_start, ts_end = round(epoch + reach.t_start, 6), round(epoch + reach.t_end, 6)
    shopper = true_shopper_id(outcome.shopper_id)
    common: dict[str, Any] = {
        "store_id": scenario.store_id,
        "camera_id": scenario.camera.camera_id,
        "confidence": 1.0,
        "ts": ts_end,
        "ts_start": ts_start,
        "ts_end": ts_end,
        "shopper_id": shopper,
        "shelf_id": reach.shelf_id,
        "spot": _spot(story, reach.shelf_id, reach.spot_id),
    }
    event_id = event_id_for(
        store_id=scenario.store_id,
        camera_id=scenario.camera.camera_id,
        type=_TYPES[reach.action],
        shopper_id=shopper,
        ts_start=ts_start,
        extra=f"{reach.shelf_id}/{reach.spot_id}",
    )
    if reach.action == "touch":
        return TouchEvent(event_id=event_id, zone_id=story.layout.shelf(reach.shelf_id).standing_zone_id, **common)
    if reach.action == "take":
        return PickupEvent(event_id=event_id, **common)
    take = outcome.take
    misplaced = take is None or (take.shelf_id, take.spot_id) != (reach.shelf_id, reach.spot_id)
    pickup_id = pickup_ids.get(take) if take is not None else None
    return PutbackEvent(event_id=event_id, pickup_event_id=pickup_id, misplaced=misplaced, **common)


_TYPES: Final = {"touch": "touch", "take": "pickup", "return": "putback"}


def reach_events(story: Story) -> list[AnyEvent]:
    """A touch, pickup or putback event for every reach; each putback names the pickup it reverses."""
    pickup_ids: dict[ReachPlan, UUID] = {}
    events: list[AnyEvent] = []
    for outcome in story.outcomes:
        event = _reach_event(story, outcome, pickup_ids)
        if isinstance(event, PickupEvent):
            pickup_ids[outcome.reach] = event.event_id
        events.append(event)
    return events


def _counts(story: Story, rows: list[MotRow], visits: list[Visit], events: list[AnyEvent]) -> dict[str, int]:
    by_type: dict[str, int] = defaultdict(int)
    for event in events:
        by_type[event.type] += 1
    return {
        "shoppers": len(story.shoppers),
        "mot_rows": len(rows),
        "visits": len(visits),
        "dwell": by_type["dwell"],
        "pass_by": sum(1 for v in visits if v.dwell_s < story.scenario.dwell.min_dwell_s),
        "touch": by_type["touch"],
        "pickup": by_type["pickup"],
        "putback": by_type["putback"],
        "take": len(_takes(events)),
        "misplaced": sum(1 for e in events if isinstance(e, PutbackEvent) and e.misplaced),
    }


def _takes(events: list[AnyEvent]) -> list[str]:
    """Event ids of the pickups that no put-back reverses."""
    returned = {str(e.pickup_event_id) for e in events if isinstance(e, PutbackEvent) and e.pickup_event_id}
    return [str(e.event_id) for e in events if isinstance(e, PickupEvent) and str(e.event_id) not in returned]


def _shoppers(story: Story, rows: list[MotRow]) -> list[dict[str, Any]]:
    frames_of: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        frames_of[row.shopper_id].append(row.frame)
    return [
        {
            "id": plan.spec.id,
            "shopper_id": true_shopper_id(plan.spec.id),
            "enter_s": round(plan.t_enter, 6),
            "exit_s": round(plan.t_exit, 6),
            "first_frame": min(frames_of[plan.spec.id], default=None),
            "last_frame": max(frames_of[plan.spec.id], default=None),
            "height_m": round(plan.look.height_m, 3),
        }
        for plan in story.shoppers
    ]


def _pass_by(visit: Visit) -> dict[str, Any]:
    return {
        "shopper_id": true_shopper_id(visit.shopper_id),
        "zone_id": visit.zone_id,
        "shelf_id": visit.shelf_id,
        "ts_start": visit.ts_start,
        "ts_end": visit.ts_end,
        "dwell_s": visit.dwell_s,
    }


def summarise(story: Story, rows: list[MotRow], visits: list[Visit], events: list[AnyEvent]) -> dict[str, Any]:
    """The truth summary written as ``truth.json``: counts, shoppers, pass-bys, spots, takes."""
    scenario, layout = story.scenario, story.layout
    rules = scenario.dwell
    return {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "store_id": scenario.store_id,
        "camera_id": scenario.camera.camera_id,
        "fps": story.fps,
        "frame_count": story.frame_count,
        "width": layout.width,
        "height": layout.height,
        "start_epoch_s": scenario.start_epoch_s,
        "dwell_rules": {
            "min_dwell_s": rules.min_dwell_s,
            "entry_debounce_s": rules.entry_debounce_s,
            "exit_grace_s": rules.exit_grace_s,
        },
        "counts": _counts(story, rows, visits, events),
        "shoppers": _shoppers(story, rows),
        "pass_bys": [_pass_by(v) for v in visits if v.dwell_s < rules.min_dwell_s],
        "takes": _takes(events),
        "shelves": {
            unit.spec.id: {
                "standing_zone_id": unit.standing_zone_id,
                "spots": {sid: list(layout.spot_box(spot)) for sid, spot in unit.spots.items()},
            }
            for unit in layout.shelves
        },
    }
