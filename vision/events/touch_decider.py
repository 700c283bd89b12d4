"""The touch decider: what a reach whose spot showed no change was.

* Two reaches of one shopper to one spot of one shelf, the second starting less than ``pair_min_gap_s`` after the
  first ended, are one reach the pose lost the hand of for a moment: they are decided as one (from the first's
  start to the second's end). Taking an item and putting it back takes longer: the item is looked at in between.
* Two reaches of one shopper to one spot of one shelf, the second starting within ``same_spot_window_s`` of the
  first's end (but not before ``pair_min_gap_s``) and before the first one's spot could be seen, and the spot seen
  unchanged after the second: an unseen take-and-return (a pick-up and its put-back, `UNSEEN_RETURN_CONFIDENCE`):
  the facing was back before anyone could see it gone. Taking an item, looking at it and putting it back is the
  usual reason to reach twice.
* A reach no longer than ``lead_max_s`` (a flicker of the arm signal), followed within ``lead_window_s`` of its end by
  another reach of the same shopper into the same shelf, is the arm on its way to that reach: no event of its
  own (that reach gives the touch, pick-up or put-back). Likewise one that starts within ``lead_window_s`` after a
  longer reach of the same shopper into the same shelf ended: the arm on its way back down.
* Otherwise a touch: `SEEN_TOUCH_CONFIDENCE` when the spot was seen unchanged, the caller's ``unseen_confidence``
  when it could not be seen. A doubtful reach (``Reach.doubtful``: the shopper walked off, the arms swinging into a
  walk, or was seen mostly behind a passer-by, whose arms the pose may have lent them): no event.

A reach waits while a partner could still come: another reach of the same shopper to the same spot is still being
judged, or (spot not seen) the shopper is still here and could reach again within ``same_spot_window_s``; a
reach no longer than ``lead_max_s`` waits ``lead_window_s`` for the reach it may lead into while the shopper is here.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Final

from shelfsight.vision.events.reach import Reach
from shelfsight.vision.events.spot_boxes import overlaps
from shelfsight.vision.frames import TIME_TOLERANCE_S

SEEN_TOUCH_CONFIDENCE: Final = 0.8
"""Confidence of a touch whose spot was seen unchanged: seen, but a small item may leave no visible change."""

UNSEEN_RETURN_CONFIDENCE: Final = 0.5
"""Confidence of the pick-up and put-back of an unseen take-and-return: inferred from two reaches, never seen."""


@dataclass(frozen=True)
class Unexplained:
    """A reach whose spot showed no change.

    Attributes:
        reach: The reach.
        seen_at: When its spot was seen unchanged, epoch seconds; None: it could not be seen.
    """

    reach: Reach
    seen_at: float | None


@dataclass(frozen=True)
class TouchDecision:
    """A reach that was a touch, with its confidence 0..1."""

    reach: Reach
    confidence: float


@dataclass(frozen=True)
class UnseenReturn:
    """Two reaches that were an unseen take-and-return: ``first`` took the item, ``second`` put it back."""

    first: Reach
    second: Reach
    confidence: float = UNSEEN_RETURN_CONFIDENCE


Decision = TouchDecision | UnseenReturn


def no_longer_than(reach: Reach, seconds: float) -> bool:
    """True when ``reach`` lasted at most ``seconds`` (to a microsecond: frame times are floats)."""
    return _lasted_at_most(reach.start, reach.end, seconds)


def _lasted_at_most(start: float, end: float, seconds: float) -> bool:
    return end - start <= seconds + TIME_TOLERANCE_S


class TouchDecider:
    """Decides the unexplained reaches of one camera.

    Args:
        same_spot_window_s: Two reaches of one shopper to one spot this close (seconds, the first's end to the
            second's start) may be an unseen take-and-return.
        pair_margin: Two reaches' hand regions this far apart (in widths of the first hand region) may still be
            one spot: the hand is furthest out at a slightly different place each time.
        unseen_confidence: Confidence of a touch whose spot could not be seen.
        pair_unseen: Two reaches whose spots could not be seen at all may pair as well.
        pair_min_gap_s: Two reaches of one shopper to one spot less than this far apart (seconds, the first's end to
            the second's start) are one reach, never a take-and-return. 0: never merged.
        lead_max_s: A reach this short or shorter (seconds) followed by another of the same shopper into the same
            shelf within ``lead_window_s``, or starting within it after a longer one ended, is no event of its own.
            0: never.
        lead_window_s: How soon after such a reach's end the next one must start, seconds.
    """

    def __init__(
        self,
        *,
        same_spot_window_s: float,
        pair_margin: float,
        unseen_confidence: float,
        pair_unseen: bool = False,
        pair_min_gap_s: float = 0.0,
        lead_max_s: float = 0.0,
        lead_window_s: float = 0.0,
    ) -> None:
        self.same_spot_window_s = same_spot_window_s
        self.pair_min_gap_s = pair_min_gap_s
        self.lead_max_s = lead_max_s
        self.lead_window_s = lead_window_s
        self._seen: list[tuple[int, str, float, float]] = []  # (track, shelf, start, end) of ended reaches
        self.pair_unseen = pair_unseen
        self.pair_margin = pair_margin
        self.unseen_confidence = unseen_confidence
        self._pending: list[Unexplained] = []

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, item: Unexplained) -> None:
        """A reach to decide."""
        self._pending.append(item)

    def saw(self, reaches: Sequence[Reach]) -> None:
        """Reaches that ended, whatever their spots show: a short reach just before or after one of them is the arm
        on its way to it or back from it."""
        self._seen.extend((reach.track_id, reach.shelf_id, reach.start, reach.end) for reach in reaches)

    def settle(
        self,
        t: float,
        *,
        judging: Sequence[Reach],
        present: Collection[int],
        force: bool,
        ongoing: Sequence[tuple[int, str, float]] = (),
    ) -> list[Decision]:
        """Decide every reach that can be decided at time ``t`` (epoch seconds).

        Args:
            t: Now.
            judging: Reaches whose spot is still being looked at: they may yet pair with a waiting reach.
            present: Track ids in the current frame.
            force: End of stream: decide everything, nothing more will come.
            ongoing: (track id, shelf id, start) of the reaches going on now.
        """
        horizon = t - self.lead_window_s - self.same_spot_window_s
        self._seen = [seen for seen in self._seen if seen[2] >= horizon]
        others = [*self._seen, *((track, shelf, start, math.inf) for track, shelf, start in ongoing)]
        decisions: list[Decision] = []
        waiting: list[Unexplained] = []
        pending = self._merge_splits(sorted(self._pending, key=lambda u: u.reach.start))
        used: set[int] = set()
        for index, item in enumerate(pending):
            if index in used:
                continue
            partner = next(
                (j for j in range(len(pending)) if j != index and j not in used and self._pair(item, pending[j])),
                None,
            )
            if partner is not None:
                used.update((index, partner))
                first, second = sorted((item.reach, pending[partner].reach), key=lambda r: r.start)
                decisions.append(UnseenReturn(first, second))
                continue
            if not force and self._may_pair_later(item, t, judging, present):
                waiting.append(item)
                continue
            if self._lead(item.reach):
                if self._led_into(item.reach, others) or self._trails(item.reach, others):
                    used.add(index)
                    continue
                if not force and item.reach.track_id in present and t - item.reach.end <= self.lead_window_s:
                    waiting.append(item)
                    continue
            used.add(index)
            if not item.reach.doubtful:
                seen = item.seen_at is not None
                decisions.append(TouchDecision(item.reach, SEEN_TOUCH_CONFIDENCE if seen else self.unseen_confidence))
        self._pending = waiting
        return decisions

    def _lead(self, reach: Reach) -> bool:
        """True when ``reach`` is short enough to be the arm on its way to another reach."""
        return no_longer_than(reach, self.lead_max_s) and not reach.doubtful

    def _led_into(self, reach: Reach, others: Sequence[tuple[int, str, float, float]]) -> bool:
        """True when another reach of the same shopper into the same shelf started within ``lead_window_s`` after
        ``reach`` ended."""
        return any(
            (track, shelf) == (reach.track_id, reach.shelf_id) and reach.end < start <= reach.end + self.lead_window_s
            for track, shelf, start, _ in others
        )

    def _trails(self, reach: Reach, others: Sequence[tuple[int, str, float, float]]) -> bool:
        """True when a longer reach (over ``lead_max_s``) of the same shopper into the same shelf ended within
        ``lead_window_s`` before ``reach`` started: the arm on its way back down. Only after a longer one, so two
        flickers in a row do not cancel each other."""
        return any(
            (track, shelf) == (reach.track_id, reach.shelf_id)
            and reach.start - self.lead_window_s <= end < reach.start
            and not _lasted_at_most(start, end, self.lead_max_s)
            for track, shelf, start, end in others
        )

    def _merge_splits(self, pending: list[Unexplained]) -> list[Unexplained]:
        """``pending`` (by start) with each run of reaches less than ``pair_min_gap_s`` apart to one spot by one
        shopper made one reach, from the first's start to the last's end, seen as the last one was: the pose lost
        the hand for a moment (a passer-by's arm, a blurred frame) and one reach became two."""
        merged: list[Unexplained] = []
        for item in pending:
            index = next((i for i, earlier in enumerate(merged) if self._split(earlier.reach, item.reach)), None)
            if index is None:
                merged.append(item)
                continue
            earlier = merged[index]
            seen_at = item.seen_at if item.seen_at is not None else earlier.seen_at
            merged[index] = Unexplained(replace(earlier.reach, end=max(earlier.reach.end, item.reach.end)), seen_at)
        return merged

    def _split(self, first: Reach, second: Reach) -> bool:
        """True when ``second`` is the rest of ``first``, which the pose lost for under ``pair_min_gap_s``."""
        return (
            (first.track_id, first.shelf_id) == (second.track_id, second.shelf_id)
            and not (first.doubtful or second.doubtful)
            and second.start - first.end < self.pair_min_gap_s
            and self._one_spot(first, second)
        )

    def _pair(self, a: Unexplained, b: Unexplained) -> bool:
        """True when two reaches are an unseen take-and-return (see the module's docstring). A spot never seen
        after the second reach tells nothing: no guess."""
        first, second = sorted((a, b), key=lambda u: u.reach.start)
        r1, r2 = first.reach, second.reach
        return (
            (r1.track_id, r1.shelf_id) == (r2.track_id, r2.shelf_id)
            and not (r1.doubtful or r2.doubtful)
            and self.pair_min_gap_s <= r2.start - r1.end <= self.same_spot_window_s
            and (first.seen_at is None or first.seen_at > r2.start)
            and (second.seen_at is not None or (first.seen_at is None and self.pair_unseen))
            and self._one_spot(r1, r2)
        )

    def _may_pair_later(self, item: Unexplained, t: float, judging: Sequence[Reach], present: Collection[int]) -> bool:
        """True while another reach could still pair with this one (see the module's docstring)."""
        reach = item.reach
        if reach.doubtful:
            return False
        if any(self._same_spot_soon(other, reach) for other in judging):
            return True
        return item.seen_at is None and reach.track_id in present and t - reach.end <= self.same_spot_window_s

    def _same_spot_soon(self, other: Reach, reach: Reach) -> bool:
        """True when ``other`` (still judged) is another reach of the same shopper to ``reach``'s spot, starting
        close enough to it to pair."""
        return (
            other.track_id == reach.track_id
            and other is not reach
            and self._one_spot(other, reach)
            and abs(other.start - reach.start) <= self.same_spot_window_s + (other.end - other.start)
        )

    def _one_spot(self, a: Reach, b: Reach) -> bool:
        """True when two reaches' hand regions are within ``pair_margin`` of each other (in widths of the earlier
        one's region): the same for pairing and for waiting on a partner, or a reach is decided before its partner
        is judged and the pair is lost."""
        first = min((a, b), key=lambda r: r.start)
        return overlaps(a.hand_box, b.hand_box, self.pair_margin * (first.hand_box[2] - first.hand_box[0]))
