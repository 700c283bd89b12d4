"""The dwell lifecycle: tracks and a timestamp in, ``dwell_started`` / ``dwell`` events out.

A visit of one track to one floor zone starts when the track is first seen inside the polygon by the zone's
anchor (``shelfsight.vision.zones.Anchor``: the foot point by default, where a standing shopper meets the floor; or the
box centre; or more than half of the box); a new track's visit starts at its first box (the tracker's ``age_s``
column), not at the frame that confirmed it. It is confirmed once it has lasted ``entry_debounce_s`` (a
``dwell_started`` event), and it ends when the track has not been seen inside for ``exit_grace_s``: a shopper
hidden behind another, or missed by the detector for a moment, keeps the visit. The visit's end is the last
time the shopper was seen inside. A visit shorter than ``min_dwell_s`` (or never confirmed) is a pass-by:
counted per zone and emitted as a ``pass_by`` event (contract 1.2), never as a dwell. A confirmed pass-by's event
closes the visit its ``dwell_started`` opened, so live views stop showing the shopper the moment they walk on.

Tracker fragments: when a track vanishes inside a zone and a new track appears where it was within
``exit_grace_s``, the new track continues the visit (one dwell, under the first track's shopper id). Only a
track first seen there (born inside the zone) continues a visit: one that walked in is the next shopper. A
track last seen outside the zone walked out: its visit is never continued.

Border hysteresis: to enter, the anchor must be inside the polygon; to stay, it may wander up to
``border_margin_px`` outside it, so a shopper standing on the line does not flip in and out. Once it has been
further out than that, the track counts as inside again only when the anchor is back inside the polygon itself:
a shopper walking away along the zone's edge, feet jittering a few pixels either side of the margin line, has
left; re-counting every step that came back within the margin kept their visit going (and its ``dwell_s``
growing) for as long as they walked along the zone.

Everything is clocked by frame timestamps (seconds), never by frame counts, so dropped frames or another
detect fps do not change the rules. Per-visit state is deleted when the visit closes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from shelfsight.vision.detections import FloatArray, FrameDetections
from shelfsight.vision.events.contract import DwellEvent, DwellStartedEvent, PassByEvent
from shelfsight.vision.events.ids import event_id_for, shopper_id_for
from shelfsight.vision.frames import TIME_TOLERANCE_S
from shelfsight.vision.tracking.bytetrack import AGE_COLUMN as TRACK_AGE_COLUMN
from shelfsight.vision.zones import Anchor, Zone, anchor_points

MIN_CONFIDENCE = 0.5  # a visit bridged mostly by the grace period is still reported, with this floor
ADOPT_MAX_GAP_HEIGHTS = 0.75  # a new track this close (in box heights) to a vanished one continues its visit
ALIAS_FORGET_S = 60.0


VisitEvent = DwellStartedEvent | DwellEvent | PassByEvent
"""What the dwell lifecycle emits."""


@dataclass(frozen=True)
class DwellRule:
    """Timing rules of one zone, seconds (see the module docstring for what each does).

    Attributes:
        min_dwell_s: Shorter visits are pass-bys. Lower counts browsing glances as dwells.
        entry_debounce_s: Time inside before a visit is confirmed. Lower reacts faster and lets walk-throughs
            raise ``dwell_started``; higher delays the live view.
        exit_grace_s: Time unseen inside before a visit ends. Higher bridges longer occlusions, and merges
            two visits of one shopper separated by a short step out.
        hidden_grace_s: Time before a visit ends when its track has not been seen at all since it was last
            inside (hidden behind another shopper, not seen walking out). The tracker keeps a hidden
            shopper's id for seconds (re-linking); closing after ``exit_grace_s`` would split their visit in
            two pass-bys. Higher only delays the ``dwell`` event of a shopper who vanished (its end time stays
            the last time seen inside); the larger of the two graces applies.
        border_margin_px: How far outside the polygon an already-inside anchor may be, pixels (``Zone.depth``
            for the box-overlap anchor). Once further out, the track is outside until the anchor is back inside
            the polygon. Higher tolerates more box jitter on the line and keeps a shopper who walks off along
            the edge in the zone for longer; lower splits the visit of a shopper standing on the line.
    """

    min_dwell_s: float = 5.0
    entry_debounce_s: float = 1.0
    exit_grace_s: float = 2.0
    hidden_grace_s: float = 6.0
    border_margin_px: float = 8.0


@dataclass(frozen=True)
class FloorZone:
    """A zone whose visits are measured, with its rules and the part of a box that decides membership."""

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
    foot: tuple[float, float, float] = (0.0, 0.0, 0.0)  # last anchor point inside (x, y px) and box height px
    stepped_out: bool = False  # seen beyond the border margin and not back inside since: it left, not vanished
    last_seen: float = 0.0  # the track's latest sighting, inside or outside the zone


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
        self._alias: dict[int, int] = {}  # a new track id -> the vanished track whose visit it continues
        self._alias_seen: dict[int, float] = {}
        self._track_seen: dict[int, tuple[float, float]] = {}  # track id -> (first, last) time it was seen
        self._last_t: float | None = None

    @property
    def open_visits(self) -> int:
        """Visits not yet closed (bounded by tracks x zones; closed visits are deleted)."""
        return len(self._visits)

    def update(self, tracks: FrameDetections, t: float, feet_hidden: Sequence[bool] | None = None) -> list[VisitEvent]:
        """Advance to time ``t`` (UTC epoch seconds) with this frame's tracks; returns the events due.

        ``feet_hidden[i]`` (`shelfsight.vision.events.feet.FeetVisibility`) says row i's box is cut short from below by
        someone in front: its foot point says nothing about where the shopper stands, so for foot-anchored zones
        the row counts as not seen (the visit waits out ``hidden_grace_s``), not as having walked out.
        """
        if tracks.tracker_id is None:
            raise ValueError("DwellTracker.update needs tracks (FrameDetections with tracker_id)")
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        events: list[VisitEvent] = []
        ids = [self._alias.get(track_id, track_id) for track_id in tracks.tracker_id.tolist()]
        newborn = self._note_sightings(tracks.tracker_id.tolist(), t)
        heights = (tracks.xyxy[:, 3] - tracks.xyxy[:, 1]).tolist()
        ages = tracks.data.get(TRACK_AGE_COLUMN, np.zeros(len(tracks))).tolist()
        feet_hidden = [False] * len(tracks) if feet_hidden is None else feet_hidden
        for floor in self.zones:
            points = anchor_points(tracks.xyxy, floor.anchor)
            distance = floor.zone.depth(tracks.xyxy, floor.anchor)
            seen: set[int] = set()
            for row, (track_id, dist) in enumerate(zip(ids, distance.tolist(), strict=True)):
                if feet_hidden[row] and floor.anchor is Anchor.BOTTOM_CENTRE:
                    continue  # the box ends at someone in front, not at the feet: where they stand is unknown
                key = (track_id, floor.zone.zone_id)
                visit = self._visits.get(key)
                if visit is None and dist > 0:
                    born_here = track_id in newborn
                    visit = self._adopt(floor, track_id, points[row], heights[row], set(ids), t) if born_here else None
                    if visit is None:  # a new track was there since its first box, before the tracker confirmed it
                        entered = t - float(ages[row]) if born_here else t
                        visit = self._visits[key] = _Visit(entered_at=entered, last_inside=t)
                    else:
                        key = (self._alias.get(track_id, track_id), floor.zone.zone_id)
                if visit is not None:
                    seen.add(key[0])
                    visit.last_seen = t
                    # Schmitt trigger: in until beyond the margin, then out until back inside the outline.
                    visit.stepped_out = dist <= 0 if visit.stepped_out else dist < -floor.rule.border_margin_px
                    if not visit.stepped_out:
                        visit.last_inside = t
                        visit.occluded_at_last_inside = visit.occluded_s
                        visit.foot = (float(points[row][0]), float(points[row][1]), float(heights[row]))
            events.extend(self._advance_zone(floor, seen, t, dt))
        self._prune_aliases(set(tracks.tracker_id.tolist()), t)
        events.sort(key=lambda event: event.ts)
        return events

    def _adopt(
        self, floor: FloorZone, track_id: int, foot: FloatArray, height: float, present: set[int], t: float
    ) -> _Visit | None:
        """Continue the open visit of a track that vanished here moments ago, when a new track appears where it
        was: a tracker fragment must not split one visit into two dwells. Only a track seen for the first time,
        inside the zone, is such a fragment (one that walked in is a newcomer), and a track last seen outside the
        zone walked out (its visit is only waiting for the exit grace) and is never continued. Returns the
        adopted visit or None."""
        zone_id = floor.zone.zone_id
        best: tuple[float, int] | None = None
        for (other, zone), visit in self._visits.items():
            if (
                zone != zone_id
                or other in present
                or visit.stepped_out
                or t - visit.last_inside > floor.rule.exit_grace_s
            ):
                continue
            x, y, h = visit.foot
            gap = float(np.hypot(foot[0] - x, foot[1] - y)) / max(h, height, 1.0)
            if gap <= ADOPT_MAX_GAP_HEIGHTS and (best is None or gap < best[0]):
                best = (gap, other)
        if best is None:
            return None
        self._alias[track_id] = best[1]
        self._alias_seen[track_id] = t
        return self._visits[(best[1], zone_id)]

    def _note_sightings(self, track_ids: list[int], t: float) -> set[int]:
        """Record when each track was first and last seen; returns the tracks seen for the first time now."""
        newborn = set()
        for track_id in track_ids:
            first = self._track_seen.get(track_id, (t, t))[0]
            self._track_seen[track_id] = (first, t)
            if first == t:
                newborn.add(track_id)
        for track_id in [k for k, (_, last) in self._track_seen.items() if t - last > ALIAS_FORGET_S]:
            del self._track_seen[track_id]
        return newborn

    def _prune_aliases(self, present: set[int], t: float) -> None:
        for track_id in present & self._alias.keys():
            self._alias_seen[track_id] = t
        for track_id in [k for k, seen in self._alias_seen.items() if t - seen > ALIAS_FORGET_S]:
            self._alias.pop(track_id, None)
            self._alias_seen.pop(track_id, None)

    def flush(self, t: float | None = None) -> list[DwellEvent | PassByEvent]:
        """Close every open visit (end of stream) at its last time inside; returns their dwells and pass-bys."""
        events: list[DwellEvent | PassByEvent] = []
        for (track_id, zone_id), visit in list(self._visits.items()):
            floor = next(f for f in self.zones if f.zone.zone_id == zone_id)
            events.append(self._close(floor, track_id, visit))
        self._visits.clear()
        return sorted(events, key=lambda event: event.ts)

    def _advance_zone(self, floor: FloorZone, seen: set[int], t: float, dt: float) -> list[VisitEvent]:
        events: list[VisitEvent] = []
        zone_id = floor.zone.zone_id
        for key in [k for k in self._visits if k[1] == zone_id]:
            track_id, visit = key[0], self._visits[key]
            if track_id not in seen:
                visit.occluded_s += dt
            if not visit.confirmed and visit.last_inside - visit.entered_at >= floor.rule.entry_debounce_s:
                visit.confirmed = True
                events.append(self._started(floor, track_id, visit, t))
            vanished = visit.last_seen <= visit.last_inside  # not seen since, inside or out: hidden
            grace = max(floor.rule.exit_grace_s, floor.rule.hidden_grace_s) if vanished else floor.rule.exit_grace_s
            if t - visit.last_inside > grace:
                del self._visits[key]
                events.append(self._close(floor, track_id, visit))
        return events

    def _visit_fields(self, kind: str, floor: FloorZone, track_id: int, visit: _Visit) -> dict[str, object]:
        """Fields a visit's ``dwell_started`` and ``dwell`` share, with the stable id of the event ``kind``."""
        shopper = shopper_id_for(camera_id=self.camera_id, track_id=track_id)
        zone = floor.zone
        event_id = event_id_for(
            store_id=self.store_id,
            camera_id=self.camera_id,
            type=kind,
            shopper_id=shopper,
            ts_start=visit.entered_at,
            extra=zone.zone_id,
        )
        return {
            "event_id": event_id,
            "store_id": self.store_id,
            "camera_id": self.camera_id,
            "shopper_id": shopper,
            "zone_id": zone.zone_id,
            "shelf_id": zone.shelf_id,
            "ts_start": visit.entered_at,
        }

    def _started(self, floor: FloorZone, track_id: int, visit: _Visit, t: float) -> DwellStartedEvent:
        fields = self._visit_fields("dwell_started", floor, track_id, visit)
        return DwellStartedEvent.model_validate({**fields, "ts": t, "confidence": 1.0})

    def _close(self, floor: FloorZone, track_id: int, visit: _Visit) -> DwellEvent | PassByEvent:
        dwell_s = visit.last_inside - visit.entered_at
        if not visit.confirmed or dwell_s < floor.rule.min_dwell_s - TIME_TOLERANCE_S:
            self.pass_bys[floor.zone.zone_id] += 1
            fields = self._visit_fields("pass_by", floor, track_id, visit)
            return PassByEvent.model_validate(
                {
                    **fields,
                    "ts": visit.last_inside,
                    "ts_end": visit.last_inside,
                    "confidence": 1.0,
                    "dwell_s": dwell_s,
                    "confirmed": visit.confirmed,
                }
            )
        occluded = min(visit.occluded_at_last_inside, dwell_s)
        fields = self._visit_fields("dwell", floor, track_id, visit)
        confidence = max(MIN_CONFIDENCE, 1.0 - occluded / dwell_s) if dwell_s > 0 else 1.0
        return DwellEvent.model_validate(
            {
                **fields,
                "ts": visit.last_inside,
                "ts_end": visit.last_inside,
                "confidence": confidence,
                "dwell_s": dwell_s,
                "occluded_s": occluded,
            }
        )
