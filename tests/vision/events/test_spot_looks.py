"""How long a reach's spot is looked at: ``look_s`` when the looks agree, up to ``max_look_s`` when they disagree
(a shadow or a facing still settling in the first looks), judged on the latest ``look_s`` of looks; a spot seen in
part is judged on a change only; a return reach looks at the shopper's pick-up spot too."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from shelfsight.vision.events.attribution import ChangeSeen, SpotChecks, Verdict
from shelfsight.vision.events.reach import Box, Reach
from shelfsight.vision.events.shelf_state import ShelfChange, SpotLook, SpotPicture
from shelfsight.vision.events.spot_boxes import overlaps
from shelfsight.vision.events.touch_decider import Unexplained

T0, FPS = 1_767_603_600.0, 5.0
LOOK_S = 0.6
CHANGE = ShelfChange("shelf", (10, 10, 20, 20), "removed", T0, (90.0,) * 3, (40.0,) * 3, 50.0)


ADDED = replace(CHANGE, kind="added")


class ScriptedShelf:
    """A shelf whose spot shows the scripted change (True) or nothing (False) in each frame, always in view, or
    the scripted look itself."""

    def __init__(self, script: list[bool] | list[SpotLook], known: float = 1.0) -> None:
        self.script, self.frame, self.accepted, self.known = script, 0, 0, known
        self.asked: list[tuple[Box, Box | None]] = []
        self.back: ShelfChange | None = None  # what ``restored`` answers
        self.restored_asked: list[tuple[SpotPicture, Box]] = []
        self.later = False  # what ``changed_after`` answers

    def examine(self, box: Box, t: float, core: Box | None = None, min_seen: float = 1.0) -> SpotLook:
        self.asked.append((box, core))
        step = self.script[min(self.frame, len(self.script) - 1)]
        if isinstance(step, SpotLook):
            return step
        return SpotLook(visible=True, known=self.known, change=CHANGE if step else None)

    def accept(self, box: Box) -> None:
        self.accepted += 1

    def picture(self, box: Box) -> SpotPicture:
        return SpotPicture((0, 0, 1, 1), np.zeros((1, 1, 3), np.float32), np.ones((1, 1), bool))

    def changed_after(self, change: ShelfChange, t0: float) -> bool:
        return self.later

    def restored(self, earlier: SpotPicture, gap: Box, t: float) -> ShelfChange | None:
        self.restored_asked.append((earlier, gap))
        return self.back


def checks_of(shelf: ScriptedShelf, *, spot_margin_px: float, **settings: float) -> SpotChecks:
    """The checks of one scripted shelf: looks of ``LOOK_S``, a 20 s timeout, ``min_known`` 0.6."""
    return SpotChecks(
        {"shelf": shelf},  # type: ignore[dict-item]
        spot_margin_px=spot_margin_px,
        look_s=LOOK_S,
        touch_timeout_s=20.0,
        min_known=0.6,
        **settings,
    )


def judge(
    script: list[bool] | list[SpotLook], max_look_s: float, t0: float = T0, known: float = 1.0
) -> tuple[Verdict, float]:
    """The verdict on one reach's spot whose looks follow ``script`` (``known`` of it known before), and when it
    came (seconds after the first)."""
    shelf = ScriptedShelf(script, known)
    checks = checks_of(shelf, spot_margin_px=0.0, max_look_s=max_look_s)
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


def test_a_spot_seen_in_part_is_judged_on_a_change_and_waits_for_the_whole_spot_to_say_no_change() -> None:
    """A shopper holding what they took stands beside the gap, hiding the spot's edge: the gap is a pick-up seen
    then. Nothing changed on the part in view says nothing of the rest: the spot is judged once whole."""
    part_changed = SpotLook(visible=True, known=1.0, change=CHANGE, whole=False)
    verdict, at = judge([part_changed] * 10, max_look_s=2.0)
    assert isinstance(verdict, ChangeSeen) and at == pytest.approx(LOOK_S)
    part_same, whole_same = SpotLook(visible=True, known=1.0, whole=False), SpotLook(visible=True, known=1.0)
    verdict, at = judge([part_same] * 10 + [whole_same] * 10, max_look_s=2.0)
    assert isinstance(verdict, Unexplained) and verdict.seen_at is not None
    assert at == pytest.approx(10 / FPS + LOOK_S)  # the latest look_s of looks, all whole


def test_the_kind_of_a_change_is_the_one_most_looks_show() -> None:
    """A neighbouring facing's edge read as added in the last look does not turn a removal into a put-back."""
    looks = [SpotLook(visible=True, known=1.0, change=c) for c in (CHANGE, CHANGE, CHANGE, ADDED)]
    verdict, _ = judge(looks, max_look_s=2.0)
    assert isinstance(verdict, ChangeSeen) and verdict.change.kind == "removed"
    verdict, _ = judge(
        [SpotLook(visible=True, known=1.0, change=c) for c in (ADDED, ADDED, ADDED, CHANGE)], max_look_s=2.0
    )
    assert isinstance(verdict, ChangeSeen) and verdict.change.kind == "added"


def test_a_return_reach_of_the_same_shopper_looks_at_its_pickup_spot_too() -> None:
    """The item goes back into its gap while the pose puts the hand a facing away: the check of a reach of the
    shopper who took something nearby covers the pick-up's spot and counts a change reaching into its gap. Another
    shopper's reach there, or one after ``return_window_s``, looks at its own spot only."""
    shelf = ScriptedShelf([True] * 4 + [False])
    checks = checks_of(shelf, spot_margin_px=2.0, return_window_s=10.0, return_margin=0.75)
    take = Reach(7, "shelf", T0 - 1.0, T0 - 0.2, (10, 10, 20, 20), source="pose")
    checks.open([take])
    for frame in range(4):
        shelf.frame = frame
        verdicts = checks.look(T0 + frame / FPS)
    assert [type(v) for v in verdicts] == [ChangeSeen]
    hand = (26.0, 10.0, 36.0, 20.0)  # a facing to the right: 6 px from the pick-up's hand region
    checks.open([Reach(7, "shelf", T0 + 2.0, T0 + 2.8, hand, source="pose")])
    checks.open([Reach(8, "shelf", T0 + 2.0, T0 + 2.8, hand, source="pose")])
    checks.open([Reach(7, "shelf", T0 + 13.0, T0 + 13.8, hand, source="pose")])
    shelf.asked.clear()
    checks.look(T0 + 14.0)
    assert shelf.asked == [
        ((8.0, 8.0, 38.0, 22.0), (10, 10, 36.0, 20.0)),  # the pick-up's spot and gap, with its own
        ((24.0, 8.0, 38.0, 22.0), hand),
        ((24.0, 8.0, 38.0, 22.0), hand),
    ]


@pytest.mark.parametrize("back", [True, False], ids=["item back in its gap", "gap still there"])
def test_a_return_reach_that_shows_the_pickups_gap_as_before_is_a_putback(back: bool) -> None:
    """A pale item put back may be too faint for ``examine``; the shopper's return reach asks the shelf whether the
    pick-up's gap looks again as it did before the item was taken (the picture taken when the pick-up was
    accepted). Another shopper's reach there does not ask: only the one who took it returns it."""
    shelf = ScriptedShelf([True] * 4 + [False])
    checks = checks_of(shelf, spot_margin_px=2.0, return_window_s=10.0, return_margin=0.75)
    checks.open([Reach(7, "shelf", T0 - 1.0, T0 - 0.2, (10, 10, 20, 20), source="pose")])
    for frame in range(4):
        shelf.frame = frame
        checks.look(T0 + frame / FPS)
    shelf.frame, shelf.back = 4, ADDED if back else None  # the gap no longer shows as a change: it was accepted
    checks.open([Reach(8, "shelf", T0 + 1.0, T0 + 1.8, (10, 10, 20, 20), source="pose")])
    verdicts = []
    for frame in range(4):
        verdicts += checks.look(T0 + 2.0 + frame / FPS)
    assert [type(v) for v in verdicts] == [Unexplained] and not shelf.restored_asked  # shopper 8 took nothing
    checks.open([Reach(7, "shelf", T0 + 3.0, T0 + 3.8, (12, 10, 22, 20), source="pose")])
    verdicts = []
    for frame in range(4):
        verdicts += checks.look(T0 + 4.0 + frame / FPS)
    assert shelf.restored_asked and all(gap == CHANGE.box for _, gap in shelf.restored_asked)
    (verdict,) = verdicts
    if back:
        assert isinstance(verdict, ChangeSeen) and verdict.change.kind == "added" and verdict.reach.track_id == 7
    else:
        assert isinstance(verdict, Unexplained) and verdict.seen_at is not None


class GoneOnceSeen(ScriptedShelf):
    """A shelf where a facing is gone (``CHANGE``, seen from the spots over it) until a change is accepted (taken
    into the picture), then nothing."""

    def examine(self, box: Box, t: float, core: Box | None = None, min_seen: float = 1.0) -> SpotLook:
        gone = not self.accepted and overlaps(box, CHANGE.box)
        return SpotLook(visible=True, known=1.0, change=CHANGE if gone else None)


@pytest.mark.parametrize(
    ("behind", "rival_box", "owner"),
    [(False, (10, 10, 20, 20), 1), (True, (10, 10, 20, 20), 2), (True, (40, 10, 50, 20), 1)],
    ids=["clear reach keeps it", "doubtful reach gives it", "rival's hand elsewhere"],
)
def test_a_change_at_a_doubtful_reach_goes_to_the_clear_reach_of_another_shopper_there(
    behind: bool, rival_box: Box, owner: int
) -> None:
    """Shopper 1's reach was seen mostly behind shopper 2, who reached to the same spot at the same time: the pose
    lent 2's arm to 1. The change seen at the spot (judged first: 1's reach ended first) is 2's, and 1's reach is
    judged unchanged (no touch: doubtful). A clear reach keeps its change, and the other reach, whose looks showed
    the same facing gone, does not get it as well (one change, one event); a rival whose hand was elsewhere gets
    nothing."""
    shelf = GoneOnceSeen([True])
    checks = checks_of(shelf, spot_margin_px=0.0)
    first = Reach(1, "shelf", T0 - 1.2, T0 - 0.4, (10, 10, 20, 20), source="pose", clear=not behind)
    second = Reach(2, "shelf", T0 - 1.0, T0 - 0.2, rival_box, source="pose")
    checks.open([second, first])
    verdicts = checks.look(T0)
    for frame in range(1, 10):
        verdicts = verdicts or checks.look(T0 + frame / FPS)
    seen = [v for v in verdicts if isinstance(v, ChangeSeen)]
    assert [v.reach.track_id for v in seen] == [owner]
    if owner == 2:
        assert verdicts == [ChangeSeen(second, CHANGE), Unexplained(first, verdicts[1].seen_at)]
        assert verdicts[1].seen_at is not None and len(checks) == 0


BESIDE = replace(CHANGE, box=(26, 10, 36, 20))  # a facing to the right of the hand region (10, 10, 20, 20)


class GapBeside(ScriptedShelf):
    """A shelf with a facing gone beside the reach's hand region (``BESIDE``): seen from a box over it whose core
    reaches into it."""

    def examine(self, box: Box, t: float, core: Box | None = None, min_seen: float = 1.0) -> SpotLook:
        seen = overlaps(box, BESIDE.box) and (core is None or overlaps(core, BESIDE.box)) and not self.accepted
        return SpotLook(visible=True, known=1.0, change=BESIDE if seen else None)


@pytest.mark.parametrize(
    ("around", "case", "found"),
    [
        (1.5, "", True),
        (0.0, "", False),
        (1.5, "rival", False),
        (1.5, "reaching", False),
        (1.5, "behind", False),
        (1.5, "later", False),
        (1.5, "short", False),
    ],
    ids=[
        "found around",
        "not looked around",
        "another shopper's check over it",
        "another shopper reaching there now",
        "doubtful reach",
        "gap seen full after the reach",
        "a lead-in flicker",
    ],
)
def test_a_spot_seen_unchanged_is_looked_around_for_a_facing_gone_beside_it(
    around: float, case: str, found: bool
) -> None:
    """The pose put the hand a facing away from the one taken: the reach's own spot is unchanged, the gap is beside
    it. Looked around (``around_margin`` widths of the hand region), the gap is the reach's pick-up, unless
    another shopper's open check covers it or they are reaching there now (theirs to judge), the reach is doubtful,
    the gap was seen full after the reach ended (taken later), or the reach is short enough to be the arm on its
    way to another one (``lead_max_s``)."""
    shelf = GapBeside([False])
    shelf.later = case == "later"
    checks = checks_of(shelf, spot_margin_px=2.0, around_margin=around, lead_max_s=0.4)
    if case == "rival":  # another shopper's reach into the gap, its check open (judged after this one: it ended later)
        checks.open([Reach(9, "shelf", T0 + 5.0, T0 + 9.0, (26, 10, 36, 20), source="pose")])
    start = T0 - 0.6 if case == "short" else T0 - 1.0
    own = Reach(7, "shelf", start, T0 - 0.2, (10, 10, 20, 20), source="pose", clear=case != "behind")
    checks.open([own])
    reaching = [(9, "shelf", (24.0, 8.0, 38.0, 22.0))] if case == "reaching" else []
    verdicts: list[Verdict] = []
    for frame in range(4):
        verdicts += [v for v in checks.look(T0 + frame / FPS, reaching) if v.reach is own]
    (verdict,) = verdicts
    if found:
        assert isinstance(verdict, ChangeSeen) and verdict.change == BESIDE and shelf.accepted == 1
    else:
        assert isinstance(verdict, Unexplained) and verdict.seen_at is not None
