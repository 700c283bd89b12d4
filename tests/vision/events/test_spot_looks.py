"""How long a reach's spot is looked at: ``look_s`` when the looks agree, up to ``max_look_s`` when they disagree
(a shadow or a facing still settling in the first looks), judged on the latest ``look_s`` of looks."""

from __future__ import annotations

import pytest

from shelfsight.vision.events.attribution import ChangeSeen, SpotChecks, Verdict
from shelfsight.vision.events.reach import Box, Reach
from shelfsight.vision.events.shelf_state import ShelfChange, SpotLook
from shelfsight.vision.events.touch_decider import Unexplained

T0, FPS = 1_767_603_600.0, 5.0
LOOK_S = 0.6
CHANGE = ShelfChange("shelf", (10, 10, 20, 20), "removed", T0, (90.0,) * 3, (40.0,) * 3, 50.0)


class ScriptedShelf:
    """A shelf whose spot shows the scripted change (True) or nothing (False) in each frame, always in view."""

    def __init__(self, script: list[bool], known: float = 1.0) -> None:
        self.script, self.frame, self.accepted, self.known = script, 0, 0, known

    def examine(self, box: Box, t: float, core: Box | None = None) -> SpotLook:
        changed = self.script[min(self.frame, len(self.script) - 1)]
        return SpotLook(visible=True, known=self.known, change=CHANGE if changed else None)

    def accept(self, box: Box) -> None:
        self.accepted += 1


def judge(script: list[bool], max_look_s: float, t0: float = T0, known: float = 1.0) -> tuple[Verdict, float]:
    """The verdict on one reach's spot whose looks follow ``script`` (``known`` of it known before), and when it
    came (seconds after the first)."""
    shelf = ScriptedShelf(script, known)
    checks = SpotChecks(
        {"shelf": shelf},  # type: ignore[dict-item]
        spot_margin_px=0.0,
        look_s=LOOK_S,
        touch_timeout_s=20.0,
        min_known=0.6,
        max_look_s=max_look_s,
    )
    checks.open([Reach(7, "shelf", t0 - 1.0, t0 - 0.2, (10, 10, 20, 20), source="pose")])
    for frame in range(50):
        shelf.frame = frame
        verdicts = checks.look(t0 + frame / FPS)
        if verdicts:
            (verdict,) = verdicts
            return verdict, frame / FPS
    raise AssertionError("never judged")


def test_agreeing_looks_are_judged_after_look_s() -> None:
    verdict, at = judge([True] * 10, max_look_s=2.0)
    assert isinstance(verdict, ChangeSeen) and at == pytest.approx(LOOK_S)
    verdict, at = judge([False] * 10, max_look_s=2.0)
    assert isinstance(verdict, Unexplained) and verdict.seen_at is not None and at == pytest.approx(LOOK_S)


def test_a_change_seen_on_the_known_part_of_a_mostly_unknown_spot_counts_but_no_change_there_tells_nothing() -> None:
    """A shopper in place at the first frame hid part of the spot: a facing gone from the part that was seen is a
    pick-up all the same, while an unchanged known part says nothing about the rest (below ``min_known``)."""
    verdict, _ = judge([True] * 10, max_look_s=2.0, known=0.35)
    assert isinstance(verdict, ChangeSeen)
    verdict, _ = judge([False] * 10, max_look_s=2.0, known=0.35)
    assert isinstance(verdict, Unexplained) and verdict.seen_at is None
    verdict, _ = judge([False] * 10, max_look_s=2.0, known=0.6)
    assert isinstance(verdict, Unexplained) and verdict.seen_at is not None


def test_disputed_looks_are_looked_at_longer_and_judged_on_the_latest() -> None:
    settling = [False, False, True, False] + [True] * 10  # a facing still settling after the hand left
    verdict, at = judge(settling, max_look_s=2.0)
    assert isinstance(verdict, ChangeSeen) and LOOK_S < at < 2.0
    verdict, at = judge(settling, max_look_s=0.0)  # no second look: judged on the first looks, 1 change in 4 or 5
    assert isinstance(verdict, Unexplained) and at == pytest.approx(LOOK_S)


def test_looks_that_stay_disputed_are_judged_at_max_look_s() -> None:
    flicker = [True, False] * 25  # a change in every other frame: never most of them
    verdict, at = judge(flicker, max_look_s=2.0)
    assert isinstance(verdict, Unexplained) and at == pytest.approx(2.0)


@pytest.mark.parametrize("t0", [T0, T0 + 0.1, T0 + 0.3, 1_700_000_000.7])
def test_a_spot_is_judged_after_look_s_whatever_the_float_rounding_of_epoch_times(t0: float) -> None:
    # 0.6 s after an epoch time may be a hair less than 0.6 s in floats; the spot is judged then all the same.
    verdict, at = judge([True] * 10, max_look_s=2.0, t0=t0)
    assert isinstance(verdict, ChangeSeen) and at == pytest.approx(LOOK_S)
