"""Touch, pick-up and put-back: each reach's spot is looked at once it is back in view.

* Every reach (`vision.events.reach`) opens a *spot check* on the region its hand covered when the arm was out
  furthest. The spot is held (never learned into the stable picture) until it is judged.
* Once every shelf pixel of the spot has been in view and still for ``ShelfStateSettings.settle_s``, it is looked
  at for ``look_s``; a change must be there in most of those looks (it persists). ``removed`` -> ``pickup``,
  ``added`` -> ``putback`` (linked to the pick-up it reverses: one at the same spot within
  ``same_spot_window_s`` (``misplaced`` False), else the shopper's own pick-up within ``return_window_s`` whose colour
  before it was taken is nearest the colour the put-back left (``misplaced`` True)).
  The change is then taken into the stable picture.
* No change seen -> ``touch`` (unless the shopper walked off: ``Reach.walked_off``). Two reaches of one shopper to
  one spot, the second starting before the first one's spot could be seen, and the spot seen unchanged after the
  second: an unseen take-and-return (``pickup`` + ``putback``, confidence 0.5): the facing was back before anyone
  could see it gone.
* A spot that never comes into view within ``touch_timeout_s`` of the reach's end, or whose earlier look is
  unknown (a shopper stood there since the stream started), cannot be judged: a ``touch`` with a low confidence
  (``unseen_confidence``), rather than a guess.

Every event is the reach's own: times, shopper and spot come from the reach that opened the check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

import numpy as np
import numpy.typing as npt

from vision.detections import FrameDetections
from vision.events.contract import AnyEvent, PickupEvent, PutbackEvent, ShelfSpot, TouchEvent
from vision.events.ids import event_id_for, shopper_id_for
from vision.events.reach import Reach, ReachDetector, ReachSettings
from vision.events.registration import CameraShift
from vision.events.shelf_state import ShelfChange, ShelfState, ShelfStateSettings, SpotLook
from vision.events.wrists import HandSettings, arm_lines, find_hands
from vision.pose.keypoints import layout_for
from vision.zones import Zone

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class ShelfEventSettings:
    """Timing and judging rules, seconds.

    Attributes:
        same_spot_window_s: A put-back at the spot of a pick-up this recent reverses it (Quividi uses 10 s); two
            reaches of one shopper to one spot this close may be an unseen take-and-return.
        return_window_s: How long after a pick-up a put-back elsewhere may still be linked to it.
        touch_timeout_s: A reach whose spot stays out of view this long after it ended is a low-confidence touch.
        look_s: How long a spot is looked at (once in view and settled) before it is judged; a change must be
            there in most of those looks. Longer is surer and later; shorter lets a passing shadow through.
        min_known: Share of a spot's shelf pixels whose earlier look must be known to judge it.
        spot_margin_px: The hand's region is grown by this many reference pixels before it is looked at.
        standing_margin_px: How far outside its standing zone a shopper's feet may be and still reach the shelf.
        unseen_confidence: Confidence of a touch whose spot could not be judged.
        pair_margin: Two reaches' hand regions this far apart (in widths of the first hand region) may still be one
            spot for an unseen take-and-return: the hand is furthest out at a slightly different place each time.
    """

    same_spot_window_s: float = 10.0
    return_window_s: float = 600.0
    touch_timeout_s: float = 20.0
    look_s: float = 0.6
    min_known: float = 0.6
    spot_margin_px: float = 6.0
    standing_margin_px: float = 15.0
    unseen_confidence: float = 0.3
    pair_margin: float = 0.75


@dataclass(frozen=True)
class _Pickup:
    event_id: UUID
    track_id: int
    shelf_id: str
    box: Box
    colour: tuple[float, float, float]
    t: float


@dataclass
class _Check:
    """A reach whose spot is waiting to be judged."""

    reach: Reach
    box: Box
    looks: list[SpotLook] = field(default_factory=list)
    looking_since: float | None = None


@dataclass(frozen=True)
class _Unexplained:
    """A reach whose spot showed no change (``seen_at``: when that was seen; None: it could not be seen)."""

    reach: Reach
    seen_at: float | None


def _overlaps(a: Box, b: Box, margin: float = 0.0) -> bool:
    width = min(a[2] + margin, b[2]) - max(a[0] - margin, b[0])
    height = min(a[3] + margin, b[3]) - max(a[1] - margin, b[1])
    return width > 0 and height > 0


def _grow(box: Box, margin: float) -> Box:
    return box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin


class ShelfEventMachine:
    """Shelf events of one camera. Call ``update`` once per processed frame, in time order, and ``flush`` at the
    end of a stream.

    Args:
        store_id: Written into events.
        camera_id: Written into events; shopper ids are ``{camera_id}-{track id}``.
        shelves: The camera's shelf zones.
        standing_zones: {shelf id: the standing zone in front of it}; only shoppers standing there reach it.
        settings: Judging and timing rules.
        reach_settings: Reach detection tuning.
        state_settings: Shelf model tuning.
        hand_settings: When a pose says an arm is reaching.
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
        hand_settings: HandSettings | None = None,
    ) -> None:
        self.store_id, self.camera_id = store_id, camera_id
        self.settings = settings or ShelfEventSettings()
        self.hand_settings = hand_settings or HandSettings()
        self.standing_zones = standing_zones
        self.frame_size = shelves[0].frame_size if shelves else (0, 0)
        self.reaches = ReachDetector(shelves, reach_settings)
        self.states = {z.zone_id: ShelfState(z, state_settings) for z in shelves}
        self._checks: list[_Check] = []
        self._unexplained: list[_Unexplained] = []
        self._pickups: list[_Pickup] = []
        self._present: set[int] = set()
        # (track, shelf) -> (standing there when last seen whole, when that was)
        self._standing: dict[tuple[int, str], tuple[bool, float]] = {}

    def update(
        self,
        image: npt.NDArray[np.uint8],
        tracks: FrameDetections,
        t: float,
        shift: CameraShift | None = None,
        *,
        feet_hidden: npt.NDArray[np.bool_] | None = None,
    ) -> list[AnyEvent]:
        """Events due after this frame.

        Args:
            image: The frame as captured (BGR).
            tracks: Confirmed tracks in reference pixels (`vision.events.registration.to_reference`); their boxes
                also mask the shelves; with keypoints, reaches come from the pose.
            t: Frame time, epoch seconds.
            shift: The frame's registration (how to find reference pixels in ``image``).
            feet_hidden: Rows whose boxes are cut short from below (`vision.events.feet`): they stand where they
                stood, whatever their foot point says.
        """
        assert tracks.tracker_id is not None
        self._present = set(tracks.tracker_id.tolist())
        self._standing = {key: v for key, v in self._standing.items() if t - v[1] <= self.settings.touch_timeout_s}
        self._pickups = [p for p in self._pickups if t - p.t <= self.settings.return_window_s]
        hands, lines = None, []
        if tracks.keypoints is not None and len(tracks):
            layout = layout_for(tracks.keypoints.shape[1])
            hands = find_hands(tracks.keypoints, tracks.xyxy, layout, self.hand_settings)
            lines = arm_lines(tracks.keypoints, tracks.xyxy, layout, self.hand_settings)
        active = self.reaches.active().values()
        for shelf_id, state in self.states.items():
            held = [box for shelf, _, box in active if shelf == shelf_id]
            held += [c.box for c in self._checks if c.reach.shelf_id == shelf_id]
            state.update(image, tracks.xyxy, t, shift=shift, arm_lines=lines, held=held, find_arms=hands is None)
        standing = {shelf_id: self._standing_rows(shelf_id, tracks, feet_hidden) for shelf_id in self.states}
        arms = {shelf_id: state.arms for shelf_id, state in self.states.items()}
        self._open(self.reaches.update(tracks, t, arms=arms, hands=hands, standing=standing, feet_hidden=feet_hidden))
        events = self._look(t)
        events.extend(self._settle_unexplained(t, force=False))
        return sorted(events, key=lambda e: e.ts)

    def standing_tracks(self) -> set[int]:
        """Tracks that stood at a shelf when last seen whole (their feet in its standing zone)."""
        return {track_id for (track_id, _), (standing, _) in self._standing.items() if standing}

    def flush(self, t: float) -> list[AnyEvent]:
        """End the reaches still going, judge every open spot with what was seen, decide every reach (end of
        stream)."""
        self._open(self.reaches.flush())
        events: list[AnyEvent] = []
        for check in sorted(self._checks, key=lambda c: c.reach.end):
            events.extend(self._judge(check, t))
        self._checks = []
        events.extend(self._settle_unexplained(t, force=True))
        return sorted(events, key=lambda e: e.ts)

    # -- spot checks --------------------------------------------------------------------------------------

    def _open(self, reaches: Sequence[Reach]) -> None:
        for reach in reaches:
            self._checks.append(_Check(reach, _grow(reach.hand_box, self.settings.spot_margin_px)))
        self._checks.sort(key=lambda c: c.reach.end)

    def _look(self, t: float) -> list[AnyEvent]:
        """Look at every open spot; judge those seen long enough, give up on those out of view too long."""
        events: list[AnyEvent] = []
        for check in list(self._checks):
            if check not in self._checks:
                continue  # paired and closed by an earlier check this frame
            look = self.states[check.reach.shelf_id].examine(check.box, t, core=check.reach.hand_box)
            if not look.visible:
                check.looks, check.looking_since = [], None
                if t - check.reach.end > self.settings.touch_timeout_s:
                    self._checks.remove(check)
                    self._unexplained.append(_Unexplained(check.reach, None))
                continue
            check.looking_since = t if check.looking_since is None else check.looking_since
            check.looks.append(look)
            if t - check.looking_since >= self.settings.look_s:
                self._checks.remove(check)
                events.extend(self._judge(check, t))
        return events

    def _judge(self, check: _Check, t: float) -> list[AnyEvent]:
        """The verdict on a spot from its looks: a change, no change, or cannot tell."""
        looks = check.looks
        if not looks or float(np.mean([look.known for look in looks])) < self.settings.min_known:
            self._unexplained.append(_Unexplained(check.reach, None))
            return []
        changes = [look.change for look in looks if look.change is not None]
        if len(changes) >= math.ceil(2 * len(looks) / 3):
            change = changes[-1]
            self.states[check.reach.shelf_id].accept(check.box)
            return [self._change_event(check.reach, change)]
        if any(look.too_tall for look in looks):
            self._unexplained.append(_Unexplained(check.reach, None))
            return []
        self._unexplained.append(_Unexplained(check.reach, t))
        return []

    # -- reaches with no change ---------------------------------------------------------------------------

    def _settle_unexplained(self, t: float, *, force: bool) -> list[AnyEvent]:
        """Decide the reaches no change explained: an unseen take-and-return (two of them), or touches."""
        events: list[AnyEvent] = []
        waiting: list[_Unexplained] = []
        pending = sorted(self._unexplained, key=lambda u: u.reach.start)
        used: set[int] = set()
        for index, item in enumerate(pending):
            if index in used:
                continue
            partner = next(
                (j for j in range(len(pending)) if j != index and j not in used and self._pair(item, pending[j])), None
            )
            if partner is not None:
                used.update((index, partner))
                first, second = sorted((item.reach, pending[partner].reach), key=lambda r: r.start)
                events.extend(self._unseen_return(first, second))
                continue
            if not force and self._may_pair_later(item, t):
                waiting.append(item)
                continue
            used.add(index)
            if not item.reach.walked_off:  # the arms of a shopper walking off, not a touch
                seen = item.seen_at is not None
                events.append(self._touch(item.reach, 0.8 if seen else self.settings.unseen_confidence))
        self._unexplained = waiting
        return events

    def _pair(self, a: _Unexplained, b: _Unexplained) -> bool:
        """True when two unexplained reaches are one shopper reaching twice to one spot of one shelf, the second
        starting within ``same_spot_window_s`` of the first's end and before the first one's spot was seen, and the
        spot seen unchanged after the second: the item was back. (Never seen after: nothing is known, no guess.)"""
        first, second = sorted((a, b), key=lambda u: u.reach.start)
        r1, r2 = first.reach, second.reach
        return (
            (r1.track_id, r1.shelf_id) == (r2.track_id, r2.shelf_id)
            and not (r1.walked_off or r2.walked_off)
            and 0 <= r2.start - r1.end <= self.settings.same_spot_window_s
            and (first.seen_at is None or first.seen_at > r2.start)
            and second.seen_at is not None
            and _overlaps(r1.hand_box, r2.hand_box, self.settings.pair_margin * (r1.hand_box[2] - r1.hand_box[0]))
        )

    def _may_pair_later(self, item: _Unexplained, t: float) -> bool:
        """True while another reach could still pair with this one: a reach of the same shopper to the same spot
        is still being judged, or (its spot not seen unchanged) the shopper is still here and could reach again
        within ``same_spot_window_s`` of its end."""
        reach = item.reach
        if reach.walked_off:
            return False
        judging = any(
            c.reach.track_id == reach.track_id and c.reach is not reach
            and _overlaps(c.reach.hand_box, reach.hand_box)
            and abs(c.reach.start - reach.start) <= self.settings.same_spot_window_s + (c.reach.end - c.reach.start)
            for c in self._checks
        )  # fmt: skip
        if judging:
            return True
        return (
            item.seen_at is None
            and reach.track_id in self._present
            and t - reach.end <= self.settings.same_spot_window_s
        )

    # -- events -------------------------------------------------------------------------------------------

    def _standing_rows(
        self, shelf_id: str, tracks: FrameDetections, feet_hidden: npt.NDArray[np.bool_] | None
    ) -> set[int]:
        """Rows of the tracks standing in front of the shelf (feet in its standing zone): only they can reach it.
        A row whose feet are hidden stands where it stood last. A shelf without a standing zone lets everyone
        reach it."""
        zone = self.standing_zones.get(shelf_id)
        if zone is None:
            return set(range(len(tracks)))
        assert tracks.tracker_id is not None
        inside = zone.distance_inside(tracks.foot_points) >= -self.settings.standing_margin_px
        rows = set()
        for row, track_id in enumerate(tracks.tracker_id.tolist()):
            key = (track_id, shelf_id)
            if feet_hidden is None or not feet_hidden[row]:
                self._standing[key] = (bool(inside[row]), tracks.captured_at)
            if self._standing.get(key, (False, 0.0))[0]:
                rows.add(row)
        return rows

    def _spot(self, box: Box) -> ShelfSpot:
        height, width = self.frame_size
        x1, y1 = min(max(box[0] / width, 0.0), 0.999), min(max(box[1] / height, 0.0), 0.999)
        x2, y2 = max(min(box[2] / width, 1.0), x1 + 0.001), max(min(box[3] / height, 1.0), y1 + 0.001)
        return ShelfSpot(spot_id=f"x{(x1 + x2) / 2:.2f}y{(y1 + y2) / 2:.2f}", box=(x1, y1, x2, y2))

    def _change_event(self, reach: Reach, change: ShelfChange) -> PickupEvent | PutbackEvent:
        shopper = shopper_id_for(camera_id=self.camera_id, track_id=reach.track_id)
        spot = self._spot(change.box)
        kind = "pickup" if change.kind == "removed" else "putback"
        common: dict[str, object] = {
            "store_id": self.store_id, "camera_id": self.camera_id, "ts": reach.end, "ts_start": reach.start,
            "ts_end": reach.end, "confidence": 0.9, "shopper_id": shopper, "shelf_id": change.shelf_id, "spot": spot,
            "reach_source": reach.source,
            "event_id": event_id_for(
                store_id=self.store_id, camera_id=self.camera_id, type=kind, shopper_id=shopper,
                ts_start=reach.start, extra=f"{change.shelf_id}/{spot.spot_id}",
            ),
        }  # fmt: skip
        if change.kind == "removed":
            self._pickups.append(
                _Pickup(common["event_id"], reach.track_id, change.shelf_id, change.box, change.before, reach.end)  # type: ignore[arg-type]
            )
            return PickupEvent.model_validate(common)
        linked, misplaced = self._reversed_pickup(reach.track_id, change, reach.end)
        return PutbackEvent.model_validate({**common, "pickup_event_id": linked, "misplaced": misplaced})

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

    def _unseen_return(self, first: Reach, second: Reach) -> list[AnyEvent]:
        """A pick-up and its put-back for two reaches of one shopper to one spot that was not seen between them:
        taking an item, looking at it and putting it back is the usual reason to reach twice. Confidence 0.5: it
        was not seen."""
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
                "shelf_id": reach.shelf_id, "spot": spot, "reach_source": reach.source,
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
            spot=self._spot(reach.hand_box), reach_source=reach.source,
        )  # fmt: skip
