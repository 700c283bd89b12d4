"""Attribution of a shelf change to a reach: each reach's spot is held, looked at once back in view, and judged.

* Every reach (`shelfsight.vision.events.reach`) opens a *spot check* on the region its hand covered when the arm was
  out furthest, grown by ``spot_margin_px``. The spot is held (never learned into the stable picture) until judged.
* Once every shelf pixel of the spot has been in view and still for ``ShelfStateSettings.settle_s``, it is looked at
  for ``look_s``; a change must be there in at least `CHANGE_MAJORITY` of those looks (it persists). The change is
  then the reach's (`ChangeSeen`) and is taken into the stable picture.
* A change is looked for only where the earlier look is known, but it counts however little of the spot that is:
  a facing gone from the known part of a spot is seen, whatever hid the rest when the stream started. *No* change
  needs ``min_known`` of the spot known: what nobody saw before may have changed.
* Likewise a spot ``min_seen`` of which is in view is looked at for a change on that part (a shopper holding the
  item taken stands beside the gap, hiding its edge); *no* change waits for the whole spot in view.
* A change seen at the spot of a *doubtful* reach (``Reach.doubtful``: mostly behind someone, or walked off) that
  reaches into the hand region of another shopper's clear reach at the same time, still being judged, is that
  reach's: the pose often lends the arm of the shopper in front to the one behind.
* No change seen, or the spot could not be judged (never in view within ``touch_timeout_s`` of the reach's end,
  too little of it known before to say nothing changed, or a shopper the detector missed standing in it):
  `Unexplained`, for the touch decider (`shelfsight.vision.events.touch_decider`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Final

import numpy as np

from shelfsight.vision.events.reach import Box, Reach
from shelfsight.vision.events.shelf_state import ShelfChange, ShelfState, SpotLook, SpotPicture
from shelfsight.vision.events.spot_boxes import grow, overlaps, union
from shelfsight.vision.events.touch_decider import Unexplained, no_longer_than
from shelfsight.vision.frames import TIME_TOLERANCE_S

CHANGE_MAJORITY: Final = Fraction(2, 3)
"""Share of a spot's looks that must show a change for the change to count: a passing shadow or a sleeve in one
or two looks is not a pick-up."""

CHANGE_CONFIDENCE: Final = 0.9
"""Confidence of a pick-up or put-back seen at the reach's spot."""


@dataclass
class SpotCheck:
    """A reach whose spot is waiting to be judged.

    Attributes:
        reach: The reach that opened it.
        box: The spot: the reach's hand box grown by the margin, reference pixels.
        core: Where a change must reach into: the reach's hand box (and the gap of the shopper's pick-up it may
            return, see `SpotChecks.open`), reference pixels.
        looks: (time in epoch seconds, what that frame showed of it), since it was last out of view.
        looking_since: When it came into view (settled), epoch seconds; None while out of view.
        taken: The shopper's pick-up this reach may be returning (see `SpotChecks.open`), or None.
        before: The spot's stable picture just before a change seen there was taken into it, or None.
    """

    reach: Reach
    box: Box
    core: Box
    looks: list[tuple[float, SpotLook]] = field(default_factory=list)
    looking_since: float | None = None
    taken: TakenFrom | None = None
    before: SpotPicture | None = None


@dataclass(frozen=True)
class TakenFrom:
    """Where a reach's pick-up was seen: a return reach of the same shopper nearby looks there as well.

    Attributes:
        reach: The pick-up's reach.
        spot: The spot it was seen in, reference pixels.
        gap: The changed region, reference pixels.
        before: The spot's stable picture before the item was taken: the item is back when the gap looks so again.
    """

    reach: Reach
    spot: Box
    gap: Box
    before: SpotPicture | None = None


@dataclass(frozen=True)
class ChangeSeen:
    """A lasting change at a reach's spot: the reach's pick-up (``removed``) or put-back (``added``), with the
    event's confidence."""

    reach: Reach
    change: ShelfChange
    confidence: float = CHANGE_CONFIDENCE


Verdict = ChangeSeen | Unexplained


class SpotChecks:
    """The open spot checks of one camera, in order of their reaches' end.

    Args:
        states: {shelf id: its shelf model}; a change seen is taken into it.
        spot_margin_px: The hand's region is grown by this many reference pixels before it is looked at.
        look_s: How long a spot is looked at once in view and settled, seconds.
        max_look_s: How long a spot whose looks disagree (a change in some, not in most) is looked at before it
            is judged on the looks it has, seconds; meanwhile it is judged on its looks of the last ``look_s``.
        touch_timeout_s: A spot still out of view this long after its reach ended is given up, seconds.
        min_known: Share 0..1 of a spot's shelf pixels whose earlier look must be known to judge it unchanged.
        min_seen: Share 0..1 of a spot's shelf pixels that must be in view to look for a change on them; no change
            is only concluded from the whole spot. 1: only whole spots are looked at.
        return_window_s: A reach this soon (seconds) after a pick-up of the same shopper near its spot looks at
            the pick-up's spot as well. 0: never.
        return_margin: How near: the two hand regions within this many widths of the pick-up's.
        around_margin: A spot seen unchanged is looked around this many widths of its hand region for a removal
            that no other shopper's open check covers (`_look_around`). 0: never.
        lead_max_s: Reaches this short or shorter (seconds) are not looked around: they may be the arm on its way
            to another reach (`shelfsight.vision.events.touch_decider`).
    """

    def __init__(
        self,
        states: Mapping[str, ShelfState],
        *,
        spot_margin_px: float,
        look_s: float,
        touch_timeout_s: float,
        min_known: float,
        max_look_s: float = 0.0,
        min_seen: float = 1.0,
        return_window_s: float = 0.0,
        return_margin: float = 0.0,
        around_margin: float = 0.0,
        lead_max_s: float = 0.0,
    ) -> None:
        self.states = states
        self.spot_margin_px = spot_margin_px
        self.look_s = look_s
        self.max_look_s = max_look_s
        self.touch_timeout_s = touch_timeout_s
        self.min_known = min_known
        self.min_seen = min_seen
        self.return_window_s = return_window_s
        self.return_margin = return_margin
        self.around_margin = around_margin
        self.lead_max_s = lead_max_s
        self._taken: list[TakenFrom] = []
        self._checks: list[SpotCheck] = []
        self._reaching: Sequence[tuple[int, str, Box]] = ()

    def __len__(self) -> int:
        return len(self._checks)

    def open(self, reaches: Sequence[Reach]) -> None:
        """Start a check on the spot of each new reach. A reach of a shopper who took something within
        ``return_window_s`` near its spot (``return_margin`` widths of that hand region) looks at the pick-up's
        spot as well: the item goes back into its gap, while the hand the pose sees is often a facing off."""
        for reach in reaches:
            self._taken = [taken for taken in self._taken if reach.start - taken.reach.end <= self.return_window_s]
            box, core = grow(reach.hand_box, self.spot_margin_px), reach.hand_box
            taken = self._taken_near(reach)
            if taken is not None:
                box, core = union(box, taken.spot), union(core, taken.gap)
            self._checks.append(SpotCheck(reach, box, core, taken=taken))
        self._checks.sort(key=lambda c: c.reach.end)

    def _taken_near(self, reach: Reach) -> TakenFrom | None:
        """The latest pick-up of ``reach``'s shopper on its shelf that it may be returning, or None."""
        near = [
            taken
            for taken in self._taken
            if (taken.reach.track_id, taken.reach.shelf_id) == (reach.track_id, reach.shelf_id)
            and taken.reach.end <= reach.start
            and overlaps(
                taken.reach.hand_box,
                reach.hand_box,
                self.return_margin * (taken.reach.hand_box[2] - taken.reach.hand_box[0]),
            )
        ]
        return max(near, key=lambda taken: taken.reach.end, default=None)

    def held(self, shelf_id: str) -> list[Box]:
        """The spots of ``shelf_id`` being judged: its model must not learn them."""
        return [c.box for c in self._checks if c.reach.shelf_id == shelf_id]

    def reaches(self) -> list[Reach]:
        """The reaches whose spot is being judged."""
        return [c.reach for c in self._checks]

    def look(self, t: float, reaching: Sequence[tuple[int, str, Box]] = ()) -> list[Verdict]:
        """Look at every open spot at time ``t`` (epoch seconds): judge those seen long enough, give up on those out
        of view too long. A change is taken into its shelf's picture before the next spot is looked at.
        ``reaching``: (track id, shelf id, hand region so far) of the reaches going on now, whose spots no other
        reach may find a change in by looking around (`_look_around`)."""
        self._reaching = reaching
        verdicts: list[Verdict] = []
        for check in list(self._checks):
            if not any(open_check is check for open_check in self._checks):  # its change was given to it
                continue
            look = self._examine(check, t)
            if not look.visible:
                check.looks, check.looking_since = [], None
                if t - check.reach.end > self.touch_timeout_s:
                    self._checks.remove(check)
                    verdicts.append(Unexplained(check.reach, None))
                continue
            check.looking_since = t if check.looking_since is None else check.looking_since
            check.looks.append((t, look))
            if t - check.looking_since < self.look_s - TIME_TOLERANCE_S or self._look_again(check, t):
                continue
            verdict = self._judge(check, t)
            if verdict is None:  # no change on the part in view: wait for the whole spot, on the latest looks
                check.looks = self._latest(check.looks, t)
                if t - check.reach.end <= self.touch_timeout_s:
                    continue
                verdict = Unexplained(check.reach, None)
            self._checks.remove(check)
            judged = self._to_clear_rival(check, verdict, t) if isinstance(verdict, ChangeSeen) else [verdict]
            self._note_taken(check, judged)
            verdicts += judged
        return verdicts

    def _examine(self, check: SpotCheck, t: float) -> SpotLook:
        """What the last frame shows of ``check``'s spot; for a reach that may return the shopper's pick-up, with no
        change seen there, whether the pick-up's gap looks as it did before the item was taken (the item is back)."""
        state = self.states[check.reach.shelf_id]
        look = state.examine(check.box, t, core=check.core, min_seen=self.min_seen)
        taken = check.taken
        if look.visible and look.change is None and taken is not None and taken.before is not None:
            back = state.restored(taken.before, taken.gap, t)
            if back is not None:
                return replace(look, change=back, too_tall=False)
        return look

    def _latest(self, looks: list[tuple[float, SpotLook]], t: float) -> list[tuple[float, SpotLook]]:
        """The looks of the last ``look_s`` before ``t``."""
        return [(seen, look) for seen, look in looks if t - seen < self.look_s - TIME_TOLERANCE_S]

    def _look_again(self, check: SpotCheck, t: float) -> bool:
        """True when the looks disagree (a change in some of them, not in most) and ``max_look_s`` has not passed
        since the spot came into view: the first looks after a hand leaves may catch a shadow or a facing still
        settling, or a single noisy frame. The looks older than ``look_s`` are dropped, so the spot is judged on
        its latest ones."""
        assert check.looking_since is not None
        changes = sum(look.change is not None for _, look in check.looks)
        mixed = 0 < changes < math.ceil(CHANGE_MAJORITY * len(check.looks))
        if not mixed or t - check.looking_since >= self.max_look_s - TIME_TOLERANCE_S:
            return False
        check.looks = self._latest(check.looks, t)
        return True

    def _look_again_after(self, accepted: SpotCheck) -> None:
        """Forget the looks of the other open spots that overlap ``accepted``'s, whose change was just taken into
        the picture: they showed that change, which is one event, not one per reach that saw it."""
        for other in self._checks:
            if (
                other is not accepted
                and other.reach.shelf_id == accepted.reach.shelf_id
                and overlaps(other.box, accepted.box)
            ):
                other.looks, other.looking_since = [], None

    def _to_clear_rival(self, check: SpotCheck, seen: ChangeSeen, t: float) -> list[Verdict]:
        """The change ``check`` saw, given to another shopper's clear reach whose check is open, that overlaps its
        reach in time and whose hand region the change reaches into, when ``check``'s reach is doubtful; the
        doubtful reach is then judged unchanged (no event: a doubtful reach is never a touch by itself)."""
        reach = check.reach
        if not reach.doubtful:
            return [seen]
        rival = next(
            (
                other
                for other in self._checks
                if other is not check
                and other.reach.track_id != reach.track_id
                and other.reach.shelf_id == reach.shelf_id
                and not other.reach.doubtful
                and other.reach.start <= reach.end
                and reach.start <= other.reach.end
                and overlaps(other.core, seen.change.box)
            ),
            None,
        )
        if rival is None:
            return [seen]
        self._checks = [other for other in self._checks if other is not rival]
        return [ChangeSeen(rival.reach, seen.change), Unexplained(reach, t)]

    def judge_all(self, t: float) -> list[Verdict]:
        """Judge every open spot with what was seen (end of stream), in order of their reaches' end."""
        checks = sorted(self._checks, key=lambda c: c.reach.end)
        self._checks = []
        verdicts: list[Verdict] = []
        for check in checks:
            verdict = self._judge(check, t) or Unexplained(check.reach, None)
            self._note_taken(check, [verdict])
            verdicts.append(verdict)
        return verdicts

    def _note_taken(self, check: SpotCheck, verdicts: Sequence[Verdict]) -> None:
        """Remember the pick-ups among ``verdicts`` (judged at ``check``'s spot), for the return reaches that
        may follow (`open`)."""
        for verdict in verdicts:
            if isinstance(verdict, ChangeSeen) and verdict.change.kind == "removed":
                spot = union(check.box, verdict.change.box)  # a change found around the spot lies beyond it
                self._taken.append(TakenFrom(verdict.reach, spot, verdict.change.box, check.before))

    def _judge(self, check: SpotCheck, t: float) -> Verdict | None:
        """The verdict on a spot from its looks: a change, no change (seen at ``t``), or cannot tell; None when
        only part of the spot was in view and showed no change (nothing can be said of the rest yet)."""
        looks = [look for _, look in check.looks]
        if not looks:
            return Unexplained(check.reach, None)
        changes = [look.change for look in looks if look.change is not None]
        if len(changes) >= math.ceil(CHANGE_MAJORITY * len(looks)):
            self._take_in(check, check.box)
            kinds = Counter(change.kind for change in changes)
            most = max(kinds.values())
            return ChangeSeen(check.reach, next(c for c in reversed(changes) if kinds[c.kind] == most))
        if not all(look.whole for look in looks):
            return None
        if float(np.mean([look.known for look in looks])) < self.min_known or any(look.too_tall for look in looks):
            return Unexplained(check.reach, None)
        return self._look_around(check, t) or Unexplained(check.reach, t)

    def _look_around(self, check: SpotCheck, t: float) -> ChangeSeen | None:
        """A removal around ``check``'s spot, seen unchanged (within ``around_margin`` widths of its hand region), that
        no other shopper's open check covers: the reach's pick-up, taken a facing away from where the pose put the
        hand. Nothing for a doubtful reach (seen behind someone, or walked off): the arm may not be theirs, nor for
        one no longer than ``lead_max_s``: the arm may have been on its way to another reach. Nor when
        another shopper is reaching there now (their reach ends later, their check opens then)."""
        reach = check.reach
        if self.around_margin <= 0 or reach.doubtful or no_longer_than(reach, self.lead_max_s):
            return None
        width = self.around_margin * (reach.hand_box[2] - reach.hand_box[0])
        box = grow(check.box, width)
        state = self.states[reach.shelf_id]
        change = state.examine(box, t, core=grow(check.core, width)).change
        if change is None or change.kind != "removed" or state.changed_after(change, reach.end):
            return None
        others = [other.box for other in self._checks if other is not check and other.reach.track_id != reach.track_id]
        others += [box for track, shelf, box in self._reaching if track != reach.track_id and shelf == reach.shelf_id]
        if any(overlaps(other, change.box) for other in others):
            return None
        self._take_in(check, box)
        return ChangeSeen(reach, change)

    def _take_in(self, check: SpotCheck, box: Box) -> None:
        """Take the change ``check`` saw over ``box`` into its shelf's picture, keeping the picture from before (a
        return reach compares with it); the other checks over the spot look again."""
        state = self.states[check.reach.shelf_id]
        check.before = state.picture(box)
        state.accept(box)
        self._look_again_after(check)
