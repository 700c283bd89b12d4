"""Ground truth of a rendered scenario: MOTChallenge rows, true events, and a summary with the pass-bys.

Conventions (docs/synthetic.md has the full text):

* MOT rows ``frame,id,left,top,width,height,conf,class,visibility`` with 1-based frames, the shopper's id,
  the whole figure's box clipped to the frame, ``conf`` 1, ``class`` 1 (pedestrian) and the visibility.
* Shoppers are ``gt-{id}`` (`shopper_id_for` with camera ``gt``); times are the scenario's start epoch plus
  scene time; event ids come from `event_id_for`, so the same scenario always gives the same ids.
* Reach events span the arm's movement (start to back down). A pick-up's item leaves the shelf, and a
  put-back's arrives, at the middle of the reach. A reach whose middle came before the video started is no
  event (nobody could see it); one under way at the start begins with the video.
* Visits follow the scenario's dwell rules applied to the true boxes in the first frame's geometry (the
  camera's jitter and drift since then taken out, as the zones were drawn on the first frame): a shopper is in
  a standing zone in a frame when the bottom-centre of their box lies in the zone's outline; runs of such
  frames separated by at most ``exit_grace_s`` are one visit, from the first frame inside to the first frame
  outside (a shopper standing there when the video starts is inside from frame 1). Visits shorter than
  ``entry_debounce_s`` are ignored, those shorter than ``min_dwell_s`` are pass-bys (listed in the summary),
  the rest are dwells. Every visit of at least ``entry_debounce_s`` also has a ``dwell_started`` event,
  ``entry_debounce_s`` after entry (`shelfsight.vision.synthetic.true_events`).
* Wrists (``gt/wrists.txt``): per frame, shopper and arm (the person's left and right), the wrist and the hand's
  centre in frame pixels after every camera fault, whether the wrist is seen, and whether that arm reaches.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from shelfsight.vision.events.contract import (
    AnyEvent,
    PickupEvent,
    PutbackEvent,
)
from shelfsight.vision.synthetic.render import RenderedFrame
from shelfsight.vision.synthetic.story import Story
from shelfsight.vision.synthetic.true_events import Visit, reach_events, true_shopper_id, visit_events

logger = logging.getLogger(__name__)

MOT_CLASS_PEDESTRIAN: Final = 1


@dataclass(frozen=True)
class MotRow:
    """One shopper in one frame: 1-based frame number, id, box (x1, y1, x2, y2) in pixels, visibility, and
    the box in the first frame's geometry (None = ``box``; the camera did not move)."""

    frame: int
    shopper_id: int
    box: tuple[float, float, float, float]
    visibility: float
    reference_box: tuple[float, float, float, float] | None = None

    @property
    def foot(self) -> tuple[float, float]:
        """Bottom-centre of the box in the first frame's geometry: where zones see the shopper stand."""
        x1, _, x2, y2 = self.reference_box or self.box
        return ((x1 + x2) / 2.0, y2)

    def line(self) -> str:
        """The MOTChallenge text line ``frame,id,left,top,width,height,conf,class,visibility``."""
        x1, y1, x2, y2 = self.box
        return (
            f"{self.frame},{self.shopper_id},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},"
            f"1,{MOT_CLASS_PEDESTRIAN},{self.visibility:.4f}"
        )


WRISTS_HEADER: Final = "frame,id,side,x,y,visible,reaching,hand_x,hand_y"
"""Columns of ``gt/wrists.txt``."""


@dataclass(frozen=True)
class WristRow:
    """One arm of one shopper in one frame (1-based frame number).

    Attributes:
        frame: 1-based frame number.
        shopper_id: The shopper's id.
        side: ``left`` or ``right``: the person's own side.
        wrist: (x, y) of the wrist, frame pixels.
        hand: (x, y) of the hand's centre, frame pixels.
        visible: The wrist is in the frame and not hidden by another shopper or a fixture.
        reaching: That arm is reaching into a shelf.
    """

    frame: int
    shopper_id: int
    side: str
    wrist: tuple[float, float]
    hand: tuple[float, float]
    visible: bool
    reaching: bool

    def line(self) -> str:
        """The CSV line in `WRISTS_HEADER` order."""
        x, y = self.wrist
        hx, hy = self.hand
        return (
            f"{self.frame},{self.shopper_id},{self.side},{x:.2f},{y:.2f},{int(self.visible)},{int(self.reaching)},"
            f"{hx:.2f},{hy:.2f}"
        )


@dataclass
class GroundTruth:
    """Everything true about a rendered scenario.

    Attributes:
        rows: MOT rows in frame order, then id.
        events: True events sorted by ``ts``, then type and id.
        visits: Every visit (dwells and pass-bys) in time order.
        summary: The truth summary (``truth.json``).
        wrists: Both arms of every MOT row, in the same order (left, then right).
    """

    rows: list[MotRow] = field(default_factory=list)
    events: list[AnyEvent] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    wrists: list[WristRow] = field(default_factory=list)

    def mot_text(self) -> str:
        """The rows as a MOTChallenge ``gt.txt``."""
        return "".join(row.line() + "\n" for row in self.rows)

    def wrists_text(self) -> str:
        """The wrist rows as CSV with a header (``gt/wrists.txt``)."""
        return WRISTS_HEADER + "\n" + "".join(row.line() + "\n" for row in self.wrists)


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
        self.wrists: list[WristRow] = []
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
            sid = int(truth.shopper_ids[i])
            reference = None if truth.reference_boxes is None else _box(truth.reference_boxes[i])
            self.rows.append(MotRow(frame.index + 1, sid, _box(truth.boxes[i]), float(truth.visibility[i]), reference))
            arms = truth.arms
            if arms is None:
                continue
            for side, name in enumerate(("left", "right")):
                wrist, hand = arms.wrists[i, side], arms.hands[i, side]
                self.wrists.append(
                    WristRow(
                        frame.index + 1,
                        sid,
                        name,
                        (round(float(wrist[0]), 2), round(float(wrist[1]), 2)),
                        (round(float(hand[0]), 2), round(float(hand[1]), 2)),
                        bool(arms.visible[i, side]),
                        bool(arms.reaching[i, side]),
                    )
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
        summary = summarise(self.story, self.rows, visits, events)
        return GroundTruth(self.rows, events, visits, summary, self.wrists)


def _box(values: npt.NDArray[np.float32]) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (round(float(v), 2) for v in values)
    return (x1, y1, x2, y2)


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
    """Every visit to a standing zone of at least the entry debounce, from the true boxes' foot points (in the
    first frame's geometry, where the zones were drawn)."""
    fps, epoch, rules = story.fps, story.scenario.start_epoch_s, story.scenario.dwell
    by_shopper: dict[int, list[MotRow]] = defaultdict(list)
    for row in rows:
        by_shopper[row.shopper_id].append(row)
    visits = []
    for zone_id, shelf_id, outline in _zone_outlines(story):
        for sid, shopper_rows in sorted(by_shopper.items()):
            feet = np.array([r.foot for r in shopper_rows], np.float64)
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
