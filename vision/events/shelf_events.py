"""Touch, pick-up and put-back: each reach's spot is looked at once it is back in view.

* Every reach (`shelfsight.vision.events.reach`) opens a *spot check* on the region its hand covered when the arm was
  out furthest. The spot is held (never learned into the stable picture) until it is judged.
* Once every shelf pixel of the spot has been in view and still for ``ShelfStateSettings.settle_s``, it is looked
  at for ``look_s``; a change must be there in most of those looks (it persists). ``removed`` -> ``pickup``,
  ``added`` -> ``putback`` (linked to the pick-up it reverses: one at the same spot within
  ``same_spot_window_s`` (``misplaced`` False), else the shopper's own pick-up within ``return_window_s`` whose colour
  before it was taken is nearest the colour the put-back left (``misplaced`` True)).
  The change is then taken into the stable picture.
* No change seen -> ``touch`` (unless the reach is doubtful: ``Reach.doubtful``). Two reaches of one shopper to
  one spot, the second starting before the first one's spot could be seen, and the spot seen unchanged after the
  second: an unseen take-and-return (``pickup`` + ``putback``, confidence ``UNSEEN_RETURN_CONFIDENCE``): the facing
  was back before anyone could see it gone.
* A spot that never comes into view within ``touch_timeout_s`` of the reach's end, or whose earlier look is
  unknown (a shopper stood there since the stream started), cannot be judged: a ``touch`` with a low confidence
  (``unseen_confidence``), rather than a guess.

Every event is the reach's own: times, shopper and spot come from the reach that opened the check.

This module runs the parts in order, frame by frame; each job has its own module: who stands where
(`shelfsight.vision.events.standing`), holding, looking at and judging each reach's spot
(`shelfsight.vision.events.attribution`), the pick-up ledger that links put-backs
(`shelfsight.vision.events.pickup_ledger`), what an unchanged spot's reach was (the touch decider,
`shelfsight.vision.events.touch_decider`) and building the events (`shelfsight.vision.events.shelf_event_builder`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.events.attribution import ChangeSeen, SpotChecks, Verdict
from shelfsight.vision.events.contract import AnyEvent
from shelfsight.vision.events.hand_trail import HandTrail
from shelfsight.vision.events.pickup_ledger import LedgerPickup, PickupLedger
from shelfsight.vision.events.reach import Box, ReachDetector, ReachSettings
from shelfsight.vision.events.registration import CameraShift
from shelfsight.vision.events.shelf_event_builder import PickupLink, ShelfEventBuilder
from shelfsight.vision.events.shelf_state import ShelfState, ShelfStateSettings
from shelfsight.vision.events.spot_boxes import intersection, overlaps
from shelfsight.vision.events.standing import StandingMemory
from shelfsight.vision.events.touch_decider import Decision, TouchDecider, TouchDecision
from shelfsight.vision.events.wrists import HandSettings, arm_lines, find_hands
from shelfsight.vision.pose.keypoints import layout_for
from shelfsight.vision.zones import Zone

SAME_CHANGE_PX = 8.0
"""An unclaimed change this close (reference pixels) to a change reported within ``unclaimed_window_s``, or to the
spot of an open check or a reach going on, is part of that one: the part of the gap hidden beside the shopper when
the rest was seen, or outside the spot being judged."""

UNCLAIMED_CONFIDENCE = 0.6
"""Confidence of a pick-up or put-back no reach was seen for: the change is seen, whose hand made it is inferred."""


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
            A reach this near a pick-up of the same shopper within ``same_spot_window_s`` looks at the pick-up's spot
            as well: the item goes back into its gap, while the pose may see the hand a facing away.
        max_look_s: A spot whose looks disagree (a change in some, not in most) is looked at for up to this long,
            judged on its latest ``look_s`` of looks; then on all it has.
        pair_unseen: Two such reaches whose spots could not be judged at all (a shopper who stood there since the
            stream started) are an unseen take-and-return as well, rather than two low-confidence touches.
        min_seen: Share 0..1 of a spot's shelf pixels that must be in view (and settled) to look for a change on
            that part: a shopper holding what they took stands beside the gap, hiding its edge, until it is back.
            No change is only concluded from the whole spot. 1 looks at whole spots only.
        pair_min_gap_s: Two reaches of one shopper to one spot whose spots showed no change, less than this far
            apart (seconds), are one reach the pose lost the hand of for a moment: one touch, never an unseen
            take-and-return (taking an item and putting it back takes longer: it is looked at in between).
        lead_max_s: A reach whose spot showed no change, this short or shorter (seconds), followed within
            ``lead_window_s`` by another reach of the same shopper into the same shelf, is the arm on its way to
            that one: no event of its own; so is one starting within ``lead_window_s`` after a longer one ended (the
            arm on its way down). 0: never.
        lead_window_s: How soon (seconds, its end to the next one's start) the next reach must follow.
        around_margin: A spot seen unchanged is looked around this many widths of its hand region for a removal no
            other shopper's open check covers: the reach's pick-up, a facing away from where the pose put the hand.
            0 (the default): never. At 1.5 it gave 3 pick-ups on the dev seeds and 4 false ones on a held-out draw.
        unclaimed_margin: A lasting removal no reach's check claimed (``ShelfState.unclaimed``) is given to the one
            standing shopper whose hand came within this many hand widths of it (`HandTrail`). 0: never.
        unclaimed_window_s: How far back those hands are kept, seconds.
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
    max_look_s: float = 2.0
    pair_unseen: bool = True
    min_seen: float = 0.6
    pair_min_gap_s: float = 1.5
    lead_max_s: float = 0.4
    lead_window_s: float = 3.0
    around_margin: float = 0.0
    unclaimed_margin: float = 1.0
    unclaimed_window_s: float = 20.0


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
        self.settings = settings = settings or ShelfEventSettings()
        self.hand_settings = hand_settings or HandSettings()
        self.standing_zones = standing_zones
        self.frame_size = shelves[0].frame_size if shelves else (0, 0)
        self.reaches = ReachDetector(shelves, reach_settings)
        self.states = {z.zone_id: ShelfState(z, state_settings) for z in shelves}
        self.build = ShelfEventBuilder(store_id, camera_id, self.frame_size, standing_zones)
        self.standing = StandingMemory(
            standing_zones, margin_px=settings.standing_margin_px, memory_s=settings.touch_timeout_s
        )
        self.checks = SpotChecks(
            self.states,
            spot_margin_px=settings.spot_margin_px,
            look_s=settings.look_s,
            touch_timeout_s=settings.touch_timeout_s,
            min_known=settings.min_known,
            max_look_s=settings.max_look_s,
            min_seen=settings.min_seen,
            return_window_s=settings.same_spot_window_s,
            return_margin=settings.pair_margin,
            around_margin=settings.around_margin,
            lead_max_s=settings.lead_max_s,
        )
        self._changes_seen: deque[tuple[float, str, Box]] = deque()  # (reach end, shelf, change box)
        self.trail = HandTrail(window_s=settings.unclaimed_window_s, margin=settings.unclaimed_margin)
        self.ledger = PickupLedger(
            same_spot_window_s=settings.same_spot_window_s, return_window_s=settings.return_window_s
        )
        self.touches = TouchDecider(
            same_spot_window_s=settings.same_spot_window_s,
            pair_margin=settings.pair_margin,
            unseen_confidence=settings.unseen_confidence,
            pair_unseen=settings.pair_unseen,
            pair_min_gap_s=settings.pair_min_gap_s,
            lead_max_s=settings.lead_max_s,
            lead_window_s=settings.lead_window_s,
        )
        self._present: set[int] = set()

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
            tracks: Confirmed tracks in reference pixels (`shelfsight.vision.events.registration.to_reference`); their
                boxes also mask the shelves; with keypoints, reaches come from the pose.
            t: Frame time, epoch seconds.
            shift: The frame's registration (how to find reference pixels in ``image``).
            feet_hidden: Rows whose boxes are cut short from below (`shelfsight.vision.events.feet`): they stand where
                they stood, whatever their foot point says.
        """
        assert tracks.tracker_id is not None
        self._present = set(tracks.tracker_id.tolist())
        self.standing.prune(t)
        self.ledger.prune(t)
        hands, lines = None, []
        if tracks.keypoints is not None and len(tracks):
            layout = layout_for(tracks.keypoints.shape[1])
            hands = find_hands(tracks.keypoints, tracks.xyxy, layout, self.hand_settings)
            lines = arm_lines(tracks.keypoints, tracks.xyxy, layout, self.hand_settings)
        for shelf_id, state in self.states.items():
            held = self._held(shelf_id)
            state.update(image, tracks.xyxy, t, shift=shift, arm_lines=lines, held=held, find_arms=hands is None)
        standing = {shelf_id: self.standing.rows(shelf_id, tracks, feet_hidden) for shelf_id in self.states}
        arms = {shelf_id: state.arms for shelf_id, state in self.states.items()}
        if hands is not None:
            self.trail.add(t, tracks.tracker_id, hands, standing)
        ended = self.reaches.update(tracks, t, arms=arms, hands=hands, standing=standing, feet_hidden=feet_hidden)
        self.touches.saw(ended)
        self.checks.open(ended)
        reaching = [(track, shelf, box) for track, (shelf, _, box) in self.reaches.active().items()]
        events = self._verdict_events(self.checks.look(t, reaching) + self._claimed(t))
        events.extend(self._decision_events(self._settle(t, force=False)))
        return sorted(events, key=lambda e: e.ts)

    def _held(self, shelf_id: str) -> list[Box]:
        """The regions of ``shelf_id`` that reaches going on or spot checks still open hold: not learned, not
        anybody else's change."""
        active = [box for shelf, _, box in self.reaches.active().values() if shelf == shelf_id]
        return active + self.checks.held(shelf_id)

    def _claimed(self, t: float) -> list[Verdict]:
        """The removals no reach's check claimed (``ShelfState.unclaimed``), each given to the one standing shopper
        whose hand came near it (`HandTrail.claim`), at `UNCLAIMED_CONFIDENCE`."""
        verdicts: list[Verdict] = []
        window = self.settings.unclaimed_window_s
        while self._changes_seen and t - self._changes_seen[0][0] > window:
            self._changes_seen.popleft()
        held = {shelf_id: self._held(shelf_id) for shelf_id in self.states}
        for state in self.states.values():
            for change in state.unclaimed:
                if change.kind != "removed":
                    continue  # an item left beside the shelf, or held up in front of it, looks added too
                reported = [box for _, shelf, box in self._changes_seen if shelf == change.shelf_id]
                if any(overlaps(box, change.box, SAME_CHANGE_PX) for box in reported + held[change.shelf_id]):
                    continue  # the rest of a change reported, or of one an open check is to judge
                reach = self.trail.claim(change.shelf_id, change.box)
                if reach is not None and not any(
                    (seen.reach.track_id, seen.reach.shelf_id) == (reach.track_id, reach.shelf_id) for seen in verdicts
                ):  # one gap may show as parts in one frame: one pick-up
                    verdicts.append(ChangeSeen(reach, change, UNCLAIMED_CONFIDENCE))
        return verdicts

    def standing_tracks(self) -> set[int]:
        """Tracks that stood at a shelf when last seen whole (their feet in its standing zone)."""
        return self.standing.standing_tracks()

    def flush(self, t: float) -> list[AnyEvent]:
        """End the reaches still going, judge every open spot with what was seen, decide every reach (end of
        stream)."""
        ended = self.reaches.flush()
        self.touches.saw(ended)
        self.checks.open(ended)
        events = self._verdict_events(self.checks.judge_all(t))
        events.extend(self._decision_events(self._settle(t, force=True)))
        return sorted(events, key=lambda e: e.ts)

    def _settle(self, t: float, *, force: bool) -> list[Decision]:
        ongoing = [(track, shelf, start) for track, (shelf, start, _) in self.reaches.active().items()]
        return self.touches.settle(
            t, judging=self.checks.reaches(), present=self._present, force=force, ongoing=ongoing
        )

    def _verdict_events(self, verdicts: Sequence[Verdict]) -> list[AnyEvent]:
        """A pick-up or put-back for each change seen (linked through the ledger); the other reaches go to the
        touch decider."""
        events: list[AnyEvent] = []
        for verdict in verdicts:
            if not isinstance(verdict, ChangeSeen):
                self.touches.add(verdict)
                continue
            reach, change = verdict.reach, verdict.change
            self._changes_seen.append((reach.end, change.shelf_id, change.box))
            spot = self.build.spot(change.box)
            if change.kind == "removed":
                pickup = self.build.pickup(reach, shelf_id=change.shelf_id, spot=spot, confidence=verdict.confidence)
                self.ledger.record(
                    LedgerPickup(pickup.event_id, reach.track_id, change.shelf_id, change.box, change.before, reach.end)
                )
                events.append(pickup)
            else:
                link = self.ledger.link_putback(reach.track_id, change, reach.end)
                events.append(
                    self.build.putback(
                        reach, shelf_id=change.shelf_id, spot=spot, confidence=verdict.confidence, link=link
                    )
                )
        return events

    def _decision_events(self, decisions: Sequence[Decision]) -> list[AnyEvent]:
        """A touch, or the pick-up and put-back of an unseen take-and-return, for each decision."""
        events: list[AnyEvent] = []
        for decision in decisions:
            if isinstance(decision, TouchDecision):
                events.append(self.build.touch(decision.reach, confidence=decision.confidence))
                continue
            first, second = decision.first, decision.second
            spot = self.build.spot(intersection(first.hand_box, second.hand_box))
            pickup = self.build.pickup(first, shelf_id=first.shelf_id, spot=spot, confidence=decision.confidence)
            link = PickupLink(pickup.event_id, misplaced=False)
            putback = self.build.putback(
                second, shelf_id=second.shelf_id, spot=spot, confidence=decision.confidence, link=link
            )
            events.extend((pickup, putback))
        return events
