"""The dwell lifecycle: tracks and a timestamp in, ``dwell_started`` / ``dwell`` events out.

A visit of one track to one floor zone starts when the track's anchor point (the foot point by default:
where a standing shopper meets the floor) is first seen inside the polygon. It is confirmed once it has
lasted ``entry_debounce_s`` (a ``dwell_started`` event), and it ends when the track has not been seen
inside for ``exit_grace_s``: a shopper hidden behind another, or missed by the detector for a moment, keeps
the visit. The visit's end is the last time the shopper was seen inside. A visit shorter than
``min_dwell_s`` is a pass-by: counted per zone, never emitted as a dwell.

Border hysteresis: to enter, the anchor must be inside the polygon; to stay, it may wander up to
``border_margin_px`` outside it, so a shopper standing on the line does not flip in and out.

Everything is clocked by frame timestamps (seconds), never by frame counts, so dropped frames or another
detect fps do not change the rules. Per-visit state is deleted when the visit closes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from vision.detections import FloatArray, FrameDetections
from vision.events.contract import DwellEvent, DwellStartedEvent
from vision.events.ids import event_id_for, shopper_id_for
from vision.zones import Zone

MIN_CONFIDENCE = 0.5  # a visit bridged mostly by the grace period is still reported, with this floor


class Anchor(StrEnum):
    """Which point of a box decides zone membership."""

    BOTTOM_CENTRE = "bottom_centre"  # the feet: right for floor zones seen from the side or above
    CENTRE = "centre"


@dataclass(frozen=True)
class DwellRule:
    """Timing rules of one zone, seconds (see the module docstring for what each does).

    Attributes:
        min_dwell_s: Shorter visits are pass-bys. Lower counts browsing glances as dwells.
        entry_debounce_s: Time inside before a visit is confirmed. Lower reacts faster and lets walk-throughs
            raise ``dwell_started``; higher delays the live view.
        exit_grace_s: Time unseen inside before a visit ends. Higher bridges longer occlusions, and merges
            two visits of one shopper separated by a short step out.
        border_margin_px: How far outside the polygon an already-inside anchor may be, pixels.
    """

    min_dwell_s: float = 5.0
    entry_debounce_s: float = 1.0
    exit_grace_s: float = 2.0
    border_margin_px: float = 8.0


@dataclass(frozen=True)
class FloorZone:
    """A zone whose visits are measured, with its rules."""

    zone: Zone
    rule: DwellRule
    anchor: Anchor = Anchor.BOTTOM_CENTRE


@dataclass
class _Visit:
    entered_at: float
    last_inside: float
    confirmed: bool = False
    occluded_s: float = 0.0
    occluded_at_last_inside: float = 0.0


def anchor_points(tracks: FrameDetections, anchor: Anchor) -> FloatArray:
    """(n, 2) anchor point of each track box, pixels."""
    if anchor is Anchor.BOTTOM_CENTRE:
        return tracks.foot_points
    return ((tracks.xyxy[:, 0:2] + tracks.xyxy[:, 2:4]) / 2).astype(np.float32)


class DwellTracker:
    """Dwell state machine for one camera.

    Call ``update`` once per processed frame, in time order, with that frame's confirmed tracks (even when
    there are none), and ``flush`` once at the end of a stream to close the visits still open.

    Args:
        store_id: Store id written into events.
        camera_id: Camera id written into events and used for shopper ids.
        zones: The floor zones whose visits are measured.
    """

    def __init__(self, *, store_id: str, camera_id: str, zones: Sequence[FloorZone]) -> None:
        self.store_id = store_id
        self.camera_id = camera_id
        self.zones = list(zones)
        self.pass_bys: Counter[str] = Counter()
        self._visits: dict[tuple[int, str], _Visit] = {}
        self._last_t: float | None = None

    @property
    def open_visits(self) -> int:
        """Visits not yet closed (bounded by tracks x zones; closed visits are deleted)."""
        return len(self._visits)

    def update(self, tracks: FrameDetections, t: float) -> list[DwellStartedEvent | DwellEvent]:
        """Advance to time ``t`` (UTC epoch seconds) with this frame's tracks; returns the events due."""
        if tracks.tracker_id is None:
            raise ValueError("DwellTracker.update needs tracks (FrameDetections with tracker_id)")
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        events: list[DwellStartedEvent | DwellEvent] = []
        ids = tracks.tracker_id.tolist()
        for floor in self.zones:
            points = anchor_points(tracks, floor.anchor)
            distance = floor.zone.distance_inside(points)
            seen: set[int] = set()
            for track_id, dist in zip(ids, distance.tolist(), strict=True):
                key = (track_id, floor.zone.zone_id)
                visit = self._visits.get(key)
                if visit is None and dist > 0:
                    self._visits[key] = _Visit(entered_at=t, last_inside=t)
                    seen.add(track_id)
                elif visit is not None:
                    seen.add(track_id)
                    if dist >= -floor.rule.border_margin_px:
                        visit.last_inside = t
                        visit.occluded_at_last_inside = visit.occluded_s
            events.extend(self._advance_zone(floor, seen, t, dt))
        events.sort(key=lambda event: event.ts)
        return events

    def flush(self, t: float | None = None) -> list[DwellEvent]:
        """Close every open visit (end of stream) at its last time inside; returns the dwells among them."""
        events = []
        for (track_id, zone_id), visit in list(self._visits.items()):
            floor = next(f for f in self.zones if f.zone.zone_id == zone_id)
            event = self._close(floor, track_id, visit)
            if event is not None:
                events.append(event)
        self._visits.clear()
        return sorted(events, key=lambda event: event.ts)

    def _advance_zone(
        self, floor: FloorZone, seen: set[int], t: float, dt: float
    ) -> list[DwellStartedEvent | DwellEvent]:
        events: list[DwellStartedEvent | DwellEvent] = []
        zone_id = floor.zone.zone_id
        for key in [k for k in self._visits if k[1] == zone_id]:
            track_id, visit = key[0], self._visits[key]
            if track_id not in seen:
                visit.occluded_s += dt
            if not visit.confirmed and visit.last_inside - visit.entered_at >= floor.rule.entry_debounce_s:
                visit.confirmed = True
                events.append(self._started(floor, track_id, visit, t))
            if t - visit.last_inside > floor.rule.exit_grace_s:
                del self._visits[key]
                closed = self._close(floor, track_id, visit)
                if closed is not None:
                    events.append(closed)
        return events

    def _shopper(self, track_id: int) -> str:
        return shopper_id_for(camera_id=self.camera_id, track_id=track_id)

    def _started(self, floor: FloorZone, track_id: int, visit: _Visit, t: float) -> DwellStartedEvent:
        shopper = self._shopper(track_id)
        zone = floor.zone
        return DwellStartedEvent(
            event_id=event_id_for(
                store_id=self.store_id, camera_id=self.camera_id, type="dwell_started",
                shopper_id=shopper, ts_start=visit.entered_at, extra=zone.zone_id,
            ),
            store_id=self.store_id, camera_id=self.camera_id, ts=t, confidence=1.0, shopper_id=shopper,
            zone_id=zone.zone_id, shelf_id=zone.shelf_id, ts_start=visit.entered_at,
        )  # fmt: skip

    def _close(self, floor: FloorZone, track_id: int, visit: _Visit) -> DwellEvent | None:
        dwell_s = visit.last_inside - visit.entered_at
        if not visit.confirmed or dwell_s < floor.rule.min_dwell_s:
            self.pass_bys[floor.zone.zone_id] += 1
            return None
        occluded = min(visit.occluded_at_last_inside, dwell_s)
        shopper = self._shopper(track_id)
        zone = floor.zone
        return DwellEvent(
            event_id=event_id_for(
                store_id=self.store_id, camera_id=self.camera_id, type="dwell",
                shopper_id=shopper, ts_start=visit.entered_at, extra=zone.zone_id,
            ),
            store_id=self.store_id, camera_id=self.camera_id, ts=visit.last_inside,
            confidence=max(MIN_CONFIDENCE, 1.0 - occluded / dwell_s) if dwell_s > 0 else 1.0,
            shopper_id=shopper, zone_id=zone.zone_id, shelf_id=zone.shelf_id,
            ts_start=visit.entered_at, ts_end=visit.last_inside, dwell_s=dwell_s, occluded_s=occluded,
        )  # fmt: skip
