"""Touch, pick-up and put-back: reaches and shelf changes of one camera, attributed to shoppers.

* A lasting shelf change (``ShelfState``) goes to the shopper who was at that spot while it was hidden: the
  track whose reach hand-box fits the change best (strong), else whose box covered it longest. When a second
  shopper covered it nearly as long, the event carries a lower confidence instead of a confident guess.
* ``removed`` -> ``pickup``; ``added`` -> ``putback``, linked to the pick-up it reverses: a pick-up at the
  same spot within ``same_spot_window_s`` (``misplaced`` False), else the shopper's latest pick-up within
  ``return_window_s`` (returned elsewhere: ``misplaced`` True).
* A reach that no change is attributed to, once its spot is back in view and settled (or after
  ``touch_timeout_s``), is a ``touch``, unless the shopper walked off before its signal had gone
  (``Reach.walked_off``: the arms swinging into a walk).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import numpy as np
import numpy.typing as npt

from vision.detections import FrameDetections
from vision.events.contract import AnyEvent, PickupEvent, PutbackEvent, ShelfSpot, TouchEvent
from vision.events.ids import event_id_for, shopper_id_for
from vision.events.reach import Reach, ReachDetector, ReachSettings
from vision.events.shelf_state import ShelfChange, ShelfState, ShelfStateSettings
from vision.zones import Zone

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class ShelfEventSettings:
    """Timing and attribution rules, seconds.

    Attributes:
        same_spot_window_s: A put-back at the spot of a pick-up this recent reverses it (Quividi uses 10 s).
        return_window_s: How long after a pick-up a put-back elsewhere may still be linked to it.
        touch_timeout_s: A reach whose spot stays hidden this long is decided without seeing the shelf.
        history_s: How much box history attribution looks back over.
        ambiguity_ratio: When the runner-up covered the change at least this share of the winner's time,
            the attribution is ambiguous (confidence 0.5).
        box_margin_px: Boxes are grown by this many pixels when testing overlap with a change.
        attribution_delay_s: A change is attributed this long after it is seen, so a reach the arm signal
            caught late still counts. Longer delays events; shorter gives more changes to the wrong shopper.
        merge_window_s: A change adjoining (within ``merge_gap_px`` pixels) one of the same kind reported this
            recently is the rest of it, not a new event.
        merge_gap_px: See ``merge_window_s``.
        standing_margin_px: How far outside its standing zone a shopper's feet may be and still reach the shelf.
    """

    same_spot_window_s: float = 10.0
    return_window_s: float = 600.0
    touch_timeout_s: float = 20.0
    history_s: float = 90.0
    ambiguity_ratio: float = 0.6
    box_margin_px: float = 10.0
    merge_window_s: float = 60.0
    attribution_delay_s: float = 1.5
    merge_gap_px: float = 6.0
    standing_margin_px: float = 15.0


@dataclass(frozen=True)
class _Pickup:
    event_id: UUID
    track_id: int
    shelf_id: str
    box: Box
    colour: tuple[float, float, float]
    t: float


def _key(reach: Reach) -> tuple[int, str, float]:
    return reach.track_id, reach.shelf_id, reach.start


def _iou(a: Box, b: Box, inter: float) -> float:
    """Intersection over union of two boxes whose intersection area ``inter`` is known."""
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _overlaps(a: Box, b: Box, margin: float = 0.0) -> bool:
    return _overlap_area(a, b, margin) > 0


def _overlap_area(a: Box, b: Box, margin: float = 0.0) -> float:
    """Area of a (grown by ``margin`` pixels) intersected with b, square pixels."""
    width = min(a[2] + margin, b[2]) - max(a[0] - margin, b[0])
    height = min(a[3] + margin, b[3]) - max(a[1] - margin, b[1])
    return max(0.0, width) * max(0.0, height)


class ShelfEventMachine:
    """Shelf events of one camera. Call ``update`` once per processed frame, in time order, and ``flush``
    at the end of a stream.

    Args:
        store_id: Written into events.
        camera_id: Written into events; shopper ids are ``{camera_id}-{track id}``.
        shelves: The camera's shelf zones.
        standing_zones: {shelf id: the standing zone in front of it}; only shoppers standing there reach it.
        settings: Attribution and timing rules.
        reach_settings: Reach detection tuning.
        state_settings: Shelf model tuning.
    """

    def __init__(
        self,
        *,
        store_id: str,
        camera_id: str,
        shelves: Sequence[Zone],
        standing_zones: dict[str, Zone],
        settings: ShelfEventSettings | None = None,
        reach_settings: ReachSettings | None = None,
        state_settings: ShelfStateSettings | None = None,
    ) -> None:
        self.store_id, self.camera_id = store_id, camera_id
        self.settings = settings or ShelfEventSettings()
        self.standing_zones = standing_zones
        self.frame_size = shelves[0].frame_size if shelves else (0, 0)
        self.reaches = {z.zone_id: ReachDetector(z, reach_settings) for z in shelves}
        self.states = {z.zone_id: ShelfState(z, state_settings) for z in shelves}
        self._history: deque[tuple[float, npt.NDArray[np.int64], npt.NDArray[np.float32]]] = deque()
        self._pending: list[Reach] = []
        self._due: list[ShelfChange] = []  # changes waiting ``attribution_delay_s`` for the reach detector
        self._recent: list[ShelfChange] = []
        self._consumed: set[tuple[int, str, float]] = set()  # reaches still going, already explained by a change
        self._pickups: list[_Pickup] = []

    def update(self, image: npt.NDArray[np.uint8], tracks: FrameDetections, t: float) -> list[AnyEvent]:
        """Events due after this frame; ``tracks`` are confirmed tracks, their boxes also mask the shelves."""
        assert tracks.tracker_id is not None
        self._history.append((t, tracks.tracker_id.copy(), tracks.xyxy.copy()))
        while self._history and self._history[0][0] < t - self.settings.history_s:
            self._history.popleft()
        self._pickups = [p for p in self._pickups if t - p.t <= self.settings.return_window_s]
        events: list[AnyEvent] = []
        for shelf_id, detector in self.reaches.items():
            state = self.states[shelf_id]
            changes = state.update(image, tracks.xyxy, t)
            standing = self._standing_rows(shelf_id, tracks)
            arms = [arm if row in standing else None for row, arm in enumerate(state.arms)]
            for reach in detector.update(tracks, arms, t):
                if _key(reach) in self._consumed:
                    self._consumed.discard(_key(reach))
                else:
                    self._pending.append(reach)
            self._due.extend(changes)
        for change in [c for c in self._due if t - c.seen_at >= self.settings.attribution_delay_s]:
            self._due.remove(change)
            if self._is_continuation(change):
                continue
            event = self._change_event(change, t)
            if event is not None:
                events.append(event)
        events.extend(self._touches(t, force=False))
        return sorted(events, key=lambda e: e.ts)

    def flush(self, t: float) -> list[AnyEvent]:
        """Attribute the changes waiting for it and decide every pending reach (end of stream)."""
        events: list[AnyEvent] = []
        for change in self._due:
            if not self._is_continuation(change) and (event := self._change_event(change, t)) is not None:
                events.append(event)
        self._due = []
        return [*events, *self._touches(t, force=True)]

    def _attribute(self, change: ShelfChange, t: float) -> tuple[int, float, float, float, Reach | None] | None:
        """(track id, confidence, start, end, the reach that made it or None) for a change; None if nobody was
        there. Start and end are the reach's, or the time the shopper's box covered the changed region.

        The overlapping reach whose hand box fits the changed region best (IoU) wins (ended reaches and ones
        still going);
        without a reach, the shopper whose box covered the region longest while it was hidden.
        """
        # Whatever made the change happened while its region was hidden: nothing after it was seen counts.
        window = (change.hidden_from - 1.0, change.seen_at)
        going = [
            Reach(track_id, shelf_id, start, t, hand)
            for shelf_id, detector in self.reaches.items() if shelf_id == change.shelf_id
            for track_id, (start, hand) in detector.active().items()
        ]  # fmt: skip
        reaches = [
            (_overlap_area(r.hand_box, change.box, self.settings.box_margin_px), r)
            for r in [*self._pending, *going]
            if r.shelf_id == change.shelf_id and r.end >= window[0] and r.start <= window[1]
        ]
        reaches = [(area, r) for area, r in reaches if area > 0 and _key(r) not in self._consumed]
        if reaches:
            # Closest fit, not most overlap: a hand box is the union over a whole reach, and a long reach that
            # swept much of the shelf overlaps every spot a lot without having been at this one.
            area, reach = max(reaches, key=lambda item: (_iou(item[1].hand_box, change.box, item[0]), -item[1].start))
            rivals = [
                a for a, r in reaches if r.track_id != reach.track_id and a >= self.settings.ambiguity_ratio * area
            ]
            return reach.track_id, (0.5 if rivals else 0.9), reach.start, reach.end, reach
        return self._attribute_by_cover(change, window)

    def _attribute_by_cover(
        self, change: ShelfChange, window: tuple[float, float]
    ) -> tuple[int, float, float, float, None] | None:
        covered: dict[int, float] = {}
        spans: dict[int, tuple[float, float]] = {}
        previous_t = None
        for t, ids, boxes in self._history:
            if window[0] <= t <= window[1]:
                dt = 0.0 if previous_t is None else t - previous_t
                for track_id, box in zip(ids.tolist(), boxes.tolist(), strict=True):
                    if _overlap_area(tuple(box), change.box, self.settings.box_margin_px) > 0:
                        covered[track_id] = covered.get(track_id, 0.0) + max(dt, 1e-3)
                        spans[track_id] = (spans.get(track_id, (t, t))[0], t)
            previous_t = t
        if not covered:
            return None
        ranked = sorted(covered.items(), key=lambda item: -item[1])
        ambiguous = len(ranked) > 1 and ranked[1][1] >= self.settings.ambiguity_ratio * ranked[0][1]
        track_id = ranked[0][0]
        return track_id, (0.5 if ambiguous else 0.75), spans[track_id][0], spans[track_id][1], None

    def _spot(self, box: Box) -> ShelfSpot:
        height, width = self.frame_size
        x1, y1 = min(max(box[0] / width, 0.0), 0.999), min(max(box[1] / height, 0.0), 0.999)
        x2, y2 = max(min(box[2] / width, 1.0), x1 + 0.001), max(min(box[3] / height, 1.0), y1 + 0.001)
        return ShelfSpot(spot_id=f"x{(x1 + x2) / 2:.2f}y{(y1 + y2) / 2:.2f}", box=(x1, y1, x2, y2))

    def _change_event(self, change: ShelfChange, t: float) -> PickupEvent | PutbackEvent | None:
        found = self._attribute(change, t)
        if found is None:
            return None
        track_id, confidence, start, end, reach = found
        if reach is not None:
            self._consume(reach)
        shopper = shopper_id_for(camera_id=self.camera_id, track_id=track_id)
        spot = self._spot(change.box)
        common: dict[str, object] = {
            "store_id": self.store_id, "camera_id": self.camera_id, "ts": end, "ts_start": start, "ts_end": end,
            "confidence": confidence, "shopper_id": shopper, "shelf_id": change.shelf_id, "spot": spot,
        }  # fmt: skip
        event_id = event_id_for(
            store_id=self.store_id, camera_id=self.camera_id, type="pickup" if change.kind == "removed" else "putback",
            shopper_id=shopper, ts_start=start, extra=f"{change.shelf_id}/{spot.spot_id}",
        )  # fmt: skip
        if change.kind == "removed":
            self._pickups.append(_Pickup(event_id, track_id, change.shelf_id, change.box, change.before, end))
            return PickupEvent.model_validate({**common, "event_id": event_id})
        linked, misplaced = self._reversed_pickup(track_id, change, end)
        return PutbackEvent.model_validate(
            {**common, "event_id": event_id, "pickup_event_id": linked, "misplaced": misplaced}
        )

    def _standing_rows(self, shelf_id: str, tracks: FrameDetections) -> set[int]:
        """Rows of the tracks standing in front of the shelf (feet in its standing zone): only they can reach it.
        A shelf without a standing zone lets everyone reach it."""
        zone = self.standing_zones.get(shelf_id)
        if zone is None:
            return set(range(len(tracks)))
        inside = zone.distance_inside(tracks.foot_points) >= -self.settings.standing_margin_px
        return set(np.flatnonzero(inside).tolist())

    def _is_continuation(self, change: ShelfChange) -> bool:
        """True for the rest of a change already reported: a facing seen partly, the rest coming into view later
        from behind the shopper. It joins the first part (same shelf and kind, adjoining, recent)."""
        recent = [c for c in self._recent if change.seen_at - c.seen_at <= self.settings.merge_window_s]
        self._recent = recent
        for earlier in recent:
            if (earlier.shelf_id, earlier.kind) == (change.shelf_id, change.kind) and _overlaps(
                earlier.box, change.box, self.settings.merge_gap_px
            ):
                return True
        self._recent.append(change)
        return False

    def _consume(self, reach: Reach) -> None:
        """A reach explained by a shelf change is not a touch: drop it from the pending ones, or remember it
        (by track and start) while it is still going."""
        if reach in self._pending:
            self._pending.remove(reach)
        else:
            self._consumed.add(_key(reach))

    def _reversed_pickup(self, track_id: int, change: ShelfChange, t: float) -> tuple[UUID | None, bool]:
        same_spot = [
            p for p in self._pickups
            if p.shelf_id == change.shelf_id and t - p.t <= self.settings.same_spot_window_s
            and _overlaps(p.box, change.box)
        ]  # fmt: skip
        if same_spot:
            chosen = max(same_spot, key=lambda p: (p.track_id == track_id, p.t))
            self._pickups.remove(chosen)
            return chosen.event_id, False
        own = [p for p in self._pickups if p.track_id == track_id]
        if own:
            chosen = min(own, key=lambda p: float(np.abs(np.subtract(p.colour, change.after)).sum()))
            self._pickups.remove(chosen)
            return chosen.event_id, not _overlaps(chosen.box, change.box)
        return None, False

    def _touches(self, t: float, *, force: bool) -> list[AnyEvent]:
        """Decide the pending reaches no change was attributed to: touches, or an unseen take-and-return."""
        ready: list[tuple[Reach, bool]] = []
        still, waiting = [], []
        for reach in self._pending:
            if any(c.shelf_id == reach.shelf_id and _overlaps(c.box, reach.hand_box) for c in self._due):
                waiting.append(reach)  # a change here waits to be attributed: it may be this reach's
                continue
            if not force and self._may_reach_again(reach, t):
                still.append(reach)  # a second reach here would make the two an unseen take-and-return
                continue
            settled = self.states[reach.shelf_id].region_settled(reach.hand_box, t)
            if force or settled or t - reach.end > self.settings.touch_timeout_s:
                if not reach.walked_off:  # the arms of a shopper walking off, not a touch
                    ready.append((reach, settled))
            else:
                still.append(reach)
        ready.sort(key=lambda item: item[0].start)
        others = sorted([*(r for r, _ in ready), *(r for r in still if not r.walked_off)], key=lambda r: r.start)
        events: list[AnyEvent] = []
        paired: set[int] = set()  # id() of reaches already used in a pair
        for reach, settled in ready:
            if id(reach) in paired:
                continue
            # The other reach of a pair may be ready too, or still waiting (e.g. its spot is not in view yet).
            other = next((r for r in others if id(r) not in {id(reach), *paired} and self._pair(reach, r)), None)
            if other is None:
                events.append(self._touch(reach, confidence=0.8 if settled else 0.5))
            else:
                paired.update((id(reach), id(other)))
                events.extend(self._unseen_return(*sorted((reach, other), key=lambda r: r.start)))
        self._pending = [*waiting, *(r for r in still if id(r) not in paired)]
        return events

    def _may_reach_again(self, reach: Reach, t: float) -> bool:
        """True while the shopper of a finished reach is still in view and could reach to the same spot again
        within ``same_spot_window_s``: the item of an unseen take is in their hand, hidden by their body."""
        if t - reach.end > self.settings.same_spot_window_s or not self._history:
            return False
        return bool((self._history[-1][1] == reach.track_id).any())

    def _pair(self, a: Reach, b: Reach) -> bool:
        """True when two reaches, neither explained by a seen change, are the same shopper reaching to the same
        spot of the same shelf twice, the second within ``same_spot_window_s`` of the first."""
        first, second = sorted((a, b), key=lambda r: r.start)
        return (
            (first.track_id, first.shelf_id) == (second.track_id, second.shelf_id)
            and 0 <= second.start - first.end <= self.settings.same_spot_window_s
            and _overlaps(first.hand_box, second.hand_box)
        )

    def _unseen_return(self, first: Reach, second: Reach) -> list[AnyEvent]:
        """A pick-up and its put-back for two reaches of one shopper to one spot that stayed hidden between them
        (behind the shopper's own body, so no change could be seen): taking an item, looking at it and putting it
        back is the usual reason to reach twice. Confidence 0.5: it was not seen."""
        shopper = shopper_id_for(camera_id=self.camera_id, track_id=first.track_id)
        a, b = first.hand_box, second.hand_box
        spot = self._spot((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))
        events: list[AnyEvent] = []
        pickup_id: UUID | None = None
        for kind, reach in (("pickup", first), ("putback", second)):
            event_id = event_id_for(
                store_id=self.store_id, camera_id=self.camera_id, type=kind, shopper_id=shopper,
                ts_start=reach.start, extra=f"{reach.shelf_id}/{spot.spot_id}",
            )  # fmt: skip
            common: dict[str, object] = {
                "event_id": event_id, "store_id": self.store_id, "camera_id": self.camera_id, "ts": reach.end,
                "ts_start": reach.start, "ts_end": reach.end, "confidence": 0.5, "shopper_id": shopper,
                "shelf_id": reach.shelf_id, "spot": spot,
            }  # fmt: skip
            if pickup_id is None:
                pickup_id = event_id
                events.append(PickupEvent.model_validate(common))
            else:
                events.append(PutbackEvent.model_validate({**common, "pickup_event_id": pickup_id, "misplaced": False}))
        return events

    def _touch(self, reach: Reach, confidence: float) -> TouchEvent:
        shopper = shopper_id_for(camera_id=self.camera_id, track_id=reach.track_id)
        return TouchEvent(
            event_id=event_id_for(
                store_id=self.store_id, camera_id=self.camera_id, type="touch", shopper_id=shopper,
                ts_start=reach.start, extra=reach.shelf_id,
            ),
            store_id=self.store_id, camera_id=self.camera_id, ts=reach.end, ts_start=reach.start, ts_end=reach.end,
            confidence=confidence, shopper_id=shopper, shelf_id=reach.shelf_id,
            zone_id=zone.zone_id if (zone := self.standing_zones.get(reach.shelf_id)) else reach.shelf_id,
            spot=self._spot(reach.hand_box),
        )  # fmt: skip
