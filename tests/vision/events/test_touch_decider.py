"""The touch decider: a reach with no change is a touch, an unseen take-and-return with a second reach, or nothing
(walking off); it waits while a partner could still come."""

from __future__ import annotations

import pytest

from shelfsight.vision.events.reach import Box, Reach
from shelfsight.vision.events.touch_decider import (
    SEEN_TOUCH_CONFIDENCE,
    UNSEEN_RETURN_CONFIDENCE,
    TouchDecider,
    TouchDecision,
    Unexplained,
    UnseenReturn,
)

T0 = 1_767_603_600.0
SPOT: Box = (100.0, 50.0, 120.0, 70.0)
UNSEEN = 0.3


def decider() -> TouchDecider:
    return TouchDecider(same_spot_window_s=10.0, pair_margin=0.75, unseen_confidence=UNSEEN)


def reach(
    start: float, end: float, *, track_id: int = 1, box: Box = SPOT, walked_off: bool = False, clear: bool = True
) -> Reach:
    return Reach(track_id, "shelf-1", T0 + start, T0 + end, box, walked_off=walked_off, source="pose", clear=clear)


def test_a_reach_seen_unchanged_is_a_touch_at_the_seen_confidence() -> None:
    touches, one = decider(), reach(0, 1)
    touches.add(Unexplained(one, seen_at=T0 + 3))
    assert touches.settle(T0 + 3, judging=[], present={1}, force=False) == [TouchDecision(one, SEEN_TOUCH_CONFIDENCE)]
    assert len(touches) == 0


def test_an_unseen_spot_waits_while_the_shopper_could_reach_again_then_is_a_low_confidence_touch() -> None:
    touches, one = decider(), reach(0, 1)
    touches.add(Unexplained(one, seen_at=None))
    assert touches.settle(T0 + 5, judging=[], present={1}, force=False) == []
    assert len(touches) == 1
    assert touches.settle(T0 + 11.5, judging=[], present={1}, force=False) == [TouchDecision(one, UNSEEN)]


def test_a_reach_waits_for_a_reach_of_the_same_shopper_to_the_same_spot_still_judged() -> None:
    touches, one, two = decider(), reach(0, 1), reach(3, 4)
    touches.add(Unexplained(one, seen_at=T0 + 2))
    assert touches.settle(T0 + 5, judging=[two], present=set(), force=False) == []
    other_spot = reach(3, 4, box=(250.0, 50.0, 270.0, 70.0))
    assert touches.settle(T0 + 5, judging=[other_spot], present=set(), force=False) == [
        TouchDecision(one, SEEN_TOUCH_CONFIDENCE)
    ]


def test_a_reach_waits_for_a_reach_still_judged_whose_hand_was_beside_it_within_the_pair_margin() -> None:
    # The hand is furthest out at a slightly different place each time: the two hand regions do not overlap, but
    # are within pair_margin of each other, so they may pair and the first must wait for the second's verdict.
    touches, one, two = decider(), reach(0, 1), reach(3, 4, box=(100.0, 80.0, 120.0, 100.0))
    touches.add(Unexplained(one, seen_at=T0 + 6))
    assert touches.settle(T0 + 6, judging=[two], present={1}, force=False) == []
    touches.add(Unexplained(two, seen_at=T0 + 6.4))
    assert touches.settle(T0 + 6.4, judging=[], present={1}, force=False) == [UnseenReturn(one, two)]


def test_two_reaches_to_one_spot_unseen_between_them_are_an_unseen_take_and_return() -> None:
    touches, one, two = decider(), reach(0, 1), reach(3, 4, box=(112.0, 52.0, 132.0, 72.0))
    touches.add(Unexplained(two, seen_at=T0 + 6))  # added out of order: pairing sorts by start
    touches.add(Unexplained(one, seen_at=None))
    decisions = touches.settle(T0 + 6, judging=[], present={1}, force=False)
    assert decisions == [UnseenReturn(one, two)]
    assert decisions[0].confidence == UNSEEN_RETURN_CONFIDENCE


def test_no_pair_when_the_second_spot_was_never_seen_or_another_shopper_reached() -> None:
    touches = decider()
    touches.add(Unexplained(reach(0, 1), seen_at=None))
    touches.add(Unexplained(reach(3, 4), seen_at=None))
    assert all(isinstance(d, TouchDecision) for d in touches.settle(T0 + 6, judging=[], present=set(), force=True))
    touches.add(Unexplained(reach(0, 1), seen_at=None))
    touches.add(Unexplained(reach(3, 4, track_id=2), seen_at=T0 + 6))
    decisions = touches.settle(T0 + 6, judging=[], present=set(), force=True)
    assert [type(d) for d in decisions] == [TouchDecision, TouchDecision]


@pytest.mark.parametrize("doubt", [{"walked_off": True}, {"clear": False}], ids=["walked off", "seen behind"])
def test_a_doubtful_reach_is_no_touch_never_waits_and_never_pairs(doubt: dict[str, bool]) -> None:
    touches = decider()
    touches.add(Unexplained(reach(0, 1, **doubt), seen_at=None))
    assert touches.settle(T0 + 1, judging=[], present={1}, force=False) == []
    assert len(touches) == 0
    touches.add(Unexplained(reach(0, 1, **doubt), seen_at=None))  # with a clear return to the same spot
    touches.add(Unexplained(reach(3, 4), seen_at=T0 + 6))
    assert [type(d) for d in touches.settle(T0 + 6, judging=[], present=set(), force=True)] == [TouchDecision]


def test_force_decides_everything() -> None:
    touches, one = decider(), reach(0, 1)
    touches.add(Unexplained(one, seen_at=None))
    assert touches.settle(T0 + 1, judging=[reach(0.5, 2)], present={1}, force=True) == [TouchDecision(one, UNSEEN)]


def test_two_reaches_to_one_spot_never_judgeable_pair_when_asked() -> None:
    """A shopper standing there since the stream started: neither spot has an earlier look. With ``pair_unseen``
    the two reaches are an unseen take-and-return rather than two low-confidence touches."""
    touches = TouchDecider(same_spot_window_s=10.0, pair_margin=0.75, unseen_confidence=UNSEEN, pair_unseen=True)
    one, two = reach(0, 1), reach(3, 4)
    touches.add(Unexplained(one, seen_at=None))
    touches.add(Unexplained(two, seen_at=None))
    assert touches.settle(T0 + 6, judging=[], present=set(), force=True) == [UnseenReturn(one, two)]


@pytest.mark.parametrize("third", [False, True], ids=["two parts", "three parts"])
def test_one_reach_the_pose_lost_for_a_moment_is_one_touch_not_a_take_and_return(third: bool) -> None:
    """The hand out of the shelf for 0.6 s: too short to look at an item taken. Under ``pair_min_gap_s`` the parts
    are one reach (first start to last end), one touch; without the gap they were a pick-up and a put-back."""
    parts = [reach(0, 1), reach(1.6, 2.4), *([reach(3.0, 3.5)] if third else [])]
    merged = Reach(1, "shelf-1", T0, parts[-1].end, SPOT, source="pose")
    touches = TouchDecider(same_spot_window_s=10.0, pair_margin=0.75, unseen_confidence=UNSEEN, pair_min_gap_s=1.5)
    for part in parts:
        touches.add(Unexplained(part, seen_at=None if part is not parts[-1] else T0 + 6))
    assert touches.settle(T0 + 6, judging=[], present={1}, force=False) == [
        TouchDecision(merged, SEEN_TOUCH_CONFIDENCE)
    ]
    unmerged = decider()
    for part in parts[:2]:
        unmerged.add(Unexplained(part, seen_at=None if part is not parts[1] else T0 + 6))
    assert unmerged.settle(T0 + 6, judging=[], present={1}, force=False) == [UnseenReturn(parts[0], parts[1])]


def test_a_return_after_the_shortest_gap_is_still_a_take_and_return() -> None:
    touches = TouchDecider(same_spot_window_s=10.0, pair_margin=0.75, unseen_confidence=UNSEEN, pair_min_gap_s=1.5)
    one, two = reach(0, 1), reach(2.5, 3.5)
    touches.add(Unexplained(one, seen_at=None))
    touches.add(Unexplained(two, seen_at=T0 + 6))
    assert touches.settle(T0 + 6, judging=[], present={1}, force=False) == [UnseenReturn(one, two)]


def lead_decider() -> TouchDecider:
    return TouchDecider(
        same_spot_window_s=10.0, pair_margin=0.75, unseen_confidence=UNSEEN, lead_max_s=0.4, lead_window_s=3.0
    )


@pytest.mark.parametrize("next_reach", ["ended", "ongoing"])
def test_a_flicker_of_the_arm_just_before_a_reach_is_no_touch_of_its_own(next_reach: str) -> None:
    """The arm on its way up shows as a 0.4 s reach at another facing 2 s before the reach itself (the pose,
    dev seeds 132, 147, 150, 189): the reach that follows gives the event, the flicker none. It waits for that
    reach while the shopper is here; the next one may still be going on, or have ended (its spot being judged,
    so not among the touches)."""
    touches, flicker = lead_decider(), reach(0, 0.4, box=(200.0, 50.0, 220.0, 70.0))
    touches.add(Unexplained(flicker, seen_at=T0 + 1.4))
    assert touches.settle(T0 + 1.4, judging=[], present={1}, force=False) == []  # waits: a reach may follow
    following = reach(2.4, 3.6)
    if next_reach == "ended":
        touches.saw([following])
        assert touches.settle(T0 + 3.6, judging=[following], present={1}, force=False) == []
    else:
        ongoing = [(1, "shelf-1", following.start)]
        assert touches.settle(T0 + 3.0, judging=[], present={1}, force=False, ongoing=ongoing) == []
    assert len(touches) == 0


def test_a_short_reach_with_no_reach_after_it_is_a_touch_all_the_same() -> None:
    """No reach of the same shopper into the same shelf within ``lead_window_s``: a short touch is a touch (a
    reach of another shopper, or into another shelf, or after the window, does not count)."""
    touches, short = lead_decider(), reach(0, 0.4)
    touches.add(Unexplained(short, seen_at=T0 + 1.4))
    touches.saw([reach(1.0, 2.0, track_id=2), reach(4.0, 5.0)])
    other_shelf = Reach(1, "shelf-2", T0 + 1.0, T0 + 2.0, SPOT, source="pose")
    touches.saw([other_shelf])
    assert touches.settle(T0 + 3.0, judging=[], present={1}, force=False) == []
    assert touches.settle(T0 + 3.6, judging=[], present={1}, force=False) == [
        TouchDecision(short, SEEN_TOUCH_CONFIDENCE)
    ]
    longer, gone = lead_decider(), reach(0, 1.0)  # longer than lead_max_s: decided at once
    longer.add(Unexplained(gone, seen_at=T0 + 2))
    assert longer.settle(T0 + 2, judging=[], present={1}, force=False) == [TouchDecision(gone, SEEN_TOUCH_CONFIDENCE)]


def test_a_flicker_of_the_arm_just_after_a_reach_is_no_touch_of_its_own() -> None:
    """A short reach starting within ``lead_window_s`` after a longer reach of the same shopper into the same shelf
    ended: the arm on its way back down, no event (the longer one gave its own)."""
    touches, flicker = lead_decider(), reach(3.0, 3.4, box=(200.0, 50.0, 220.0, 70.0))
    touches.saw([reach(0.0, 1.6), flicker])
    touches.add(Unexplained(flicker, seen_at=T0 + 4.0))
    assert touches.settle(T0 + 4.0, judging=[], present={1}, force=True) == []


def test_a_flicker_after_another_flicker_or_long_after_a_reach_is_a_touch() -> None:
    """Only a longer reach makes a flicker after it the arm coming down, so two flickers do not cancel each
    other; and only within ``lead_window_s``, of the same shopper, into the same shelf."""
    for before in (
        reach(0.0, 0.4),  # a flicker itself
        reach(-4.0, -0.4),  # ended 3.4 s before
        reach(0.0, 1.6, track_id=2),  # another shopper's
        Reach(1, "shelf-2", T0, T0 + 1.6, SPOT, source="pose"),  # another shelf
    ):
        touches, flicker = lead_decider(), reach(3.0, 3.4, box=(200.0, 50.0, 220.0, 70.0))
        touches.saw([before, flicker])
        touches.add(Unexplained(flicker, seen_at=T0 + 4.0))
        assert touches.settle(T0 + 4.0, judging=[], present={1}, force=True) == [
            TouchDecision(flicker, SEEN_TOUCH_CONFIDENCE)
        ]
