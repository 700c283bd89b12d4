"""Touch, pick-up and put-back from scripted frames through the whole camera engine: a pose reach opens a check
of its spot, which is judged once back in view, also under camera shake, drift and compression."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from shelfsight.vision.events.contract import AnyEvent, PickupEvent, PutbackEvent, TouchEvent
from shelfsight.vision.events.dwell import DwellRule, FloorZone
from shelfsight.vision.events.engine import CameraEventEngine, CameraZones, EngineSettings
from shelfsight.vision.events.reach import ReachSettings
from shelfsight.vision.events.shelf_events import ShelfEventSettings
from tests.vision.events.scene import (
    FPS,
    SHELF,
    STANDING,
    T0,
    Shopper,
    camera_faults,
    facing_centre,
    render,
    shifted,
    tracks,
)

Step = tuple[tuple[int, ...], list[Shopper]]  # (missing facings, shoppers) of one frame


def engine(settings: EngineSettings | None = None) -> CameraEventEngine:
    zones = CameraZones(floor=(FloorZone(STANDING, DwellRule()),), shelves=(SHELF,))
    return CameraEventEngine(store_id="s", camera_id="cam1", zones=zones, settings=settings)


def reach(
    track_id: int, x: float, target: tuple[float, float], missing_after: tuple[int, ...], before: tuple[int, ...] = ()
) -> Iterator[Step]:
    """A reach from a shopper standing at ``x`` to ``target``: 3 frames out, 2 at the spot (the shelf changes to
    ``missing_after`` between them), 3 back."""
    rest = (x + 16.0, 152.0)
    path = [tuple(np.add(rest, np.multiply(np.subtract(target, rest), f))) for f in (0.35, 0.7, 1.0)]
    for hand in path:
        yield before, [Shopper(track_id, x, hand)]  # type: ignore[arg-type]
    yield before, [Shopper(track_id, x, target)]
    yield missing_after, [Shopper(track_id, x, target)]
    for hand in reversed(path[:-1]):
        yield missing_after, [Shopper(track_id, x, hand)]  # type: ignore[arg-type]


def run(
    steps: list[Step],
    *,
    pose: bool = True,
    faults: dict[str, float] | None = None,
    settings: EngineSettings | None = None,
) -> list[AnyEvent]:
    machine, events = engine(settings), []
    for index, (missing, shoppers) in enumerate(steps):
        t = T0 + index / FPS
        image, frame_tracks = render(missing, shoppers), tracks(shoppers, t, pose=pose)
        if faults is not None:
            image, delta = camera_faults(image, index, jitter_px=faults["jitter"], drift_px_per_s=faults["drift"],
                                         jpeg=int(faults["jpeg"]))  # fmt: skip
            frame_tracks = shifted(frame_tracks, delta)
        events += machine.update(frame_tracks, image)
    return [e for e in [*events, *machine.flush()] if e.type in ("touch", "pickup", "putback")]


def take_script(*, put_back: bool = False) -> list[Step]:
    """Nobody for 1 s; a shopper at x 150 stands 1 s, takes facing 5 (beside them), stands 2 s (and puts it
    back), then leaves; 2 s of empty shelf."""
    stand = [Shopper(1, 150.0)]
    steps: list[Step] = [((), [])] * 5 + [((), stand)] * 5
    steps += list(reach(1, 150.0, facing_centre(5), (5,)))
    steps += [((5,), stand)] * 10
    if put_back:
        steps += list(reach(1, 150.0, facing_centre(5), (), before=(5,)))
        steps += [((), stand)] * 5
    return steps + [(() if put_back else (5,), [])] * 10


def test_a_take_beside_the_shopper_is_a_pickup_of_the_reach_at_its_spot() -> None:
    (pickup,) = run(take_script())
    assert isinstance(pickup, PickupEvent) and pickup.reach_source == "pose" and pickup.confidence == 0.9
    assert T0 + 10 / FPS <= pickup.ts_start <= T0 + 12 / FPS <= T0 + 14 / FPS <= pickup.ts_end <= T0 + 17 / FPS
    x1, y1, x2, y2 = pickup.spot.box
    assert x1 * 320 < 205 < x2 * 320 and y1 * 240 < 70 < y2 * 240  # facing 5


def test_a_return_to_the_spot_is_a_putback_linked_to_the_pickup() -> None:
    pickup, putback = run(take_script(put_back=True))
    assert isinstance(pickup, PickupEvent) and isinstance(putback, PutbackEvent)
    assert putback.pickup_event_id == pickup.event_id and not putback.misplaced


def test_the_same_take_under_camera_shake_drift_and_compression() -> None:
    """1.5 px of shake, 2 px/s of drift (8 px by the end) and JPEG quality 35: still one pick-up, nothing else."""
    events = run(take_script(), faults={"jitter": 1.5, "drift": 2.0, "jpeg": 35})
    assert [e.type for e in events] == ["pickup"]


def test_a_reach_that_changes_nothing_is_a_touch() -> None:
    stand = [Shopper(1, 150.0)]
    steps: list[Step] = [((), [])] * 5 + [((), stand)] * 5 + list(reach(1, 150.0, facing_centre(5), ()))
    (touch,) = run(steps + [((), stand)] * 5 + [((), [])] * 60)
    assert isinstance(touch, TouchEvent) and touch.confidence == 0.8 and touch.reach_source == "pose"


def test_hanging_arms_over_the_shelf_are_no_reach() -> None:
    """Seen from across the aisle, a standing shopper's hands are inside the shelf polygon: not a reach."""
    assert run([((), [])] * 5 + [((), [Shopper(1, 150.0)])] * 40) == []


def hidden_spot_script(timeout_s: float) -> list[Step]:
    """The shopper steps in front of the spot right after the reach and stays past ``timeout_s``."""
    steps: list[Step] = [((), [])] * 5 + [((), [Shopper(1, 150.0)])] * 5
    steps += list(reach(1, 150.0, facing_centre(5), (5,)))
    steps += [((5,), [Shopper(1, 150.0)])] * 2  # the arm is down: a step now is no walk-off
    steps += [((5,), [Shopper(1, 150.0 + 27.5 * i)]) for i in range(1, 3)]  # a quick step sideways, in front of it
    return steps + [((5,), [Shopper(1, 205.0)])] * int((timeout_s + 2) * FPS)


def test_a_spot_never_seen_again_is_a_low_confidence_touch_not_a_guess() -> None:
    """The shopper steps in front of the spot after the reach and stays: it cannot be judged within the timeout."""
    (touch,) = run(hidden_spot_script(ShelfEventSettings().touch_timeout_s))
    assert isinstance(touch, TouchEvent) and touch.confidence == ShelfEventSettings().unseen_confidence


def beside_spot_script() -> list[Step]:
    """A shopper standing right beside facing 5 (their box hides its left edge) takes it, holds it 2 s and puts it
    back, then leaves."""
    stand = [Shopper(1, 172.0)]
    steps: list[Step] = [((), [])] * 5 + [((), stand)] * 5
    steps += list(reach(1, 172.0, facing_centre(5), (5,)))
    steps += [((5,), stand)] * 10
    steps += list(reach(1, 172.0, facing_centre(5), (), before=(5,)))
    return steps + [((), stand)] * 5 + [((), [])] * 10


def test_a_gap_seen_beside_the_shopper_is_a_pickup_before_the_return() -> None:
    """The gap shows beside the shopper while they hold the item: the pick-up is seen then, and the return is a
    put-back seen after they leave. Looking at whole spots only (``min_seen`` 1), both reaches wait until the
    item is back, and only the unseen take-and-return rule can infer the pair, with less confidence."""
    pickup, putback = run(beside_spot_script())
    assert isinstance(pickup, PickupEvent) and isinstance(putback, PutbackEvent)
    assert pickup.confidence == putback.confidence == 0.9 and putback.pickup_event_id == pickup.event_id
    whole_only = EngineSettings(spots=ShelfEventSettings(min_seen=1.0))
    inferred = run(beside_spot_script(), settings=whole_only)
    assert [(e.type, e.confidence) for e in inferred] == [("pickup", 0.5), ("putback", 0.5)]


def test_a_return_with_the_hand_seen_a_facing_off_is_a_putback_into_the_gap() -> None:
    """The shopper puts facing 5 back while the pose puts the hand on facing 6: the return reach looks at the
    pick-up's gap as well, and the item back there is the put-back."""
    stand = [Shopper(1, 150.0)]
    steps: list[Step] = [((), [])] * 5 + [((), stand)] * 5
    steps += list(reach(1, 150.0, facing_centre(5), (5,)))
    steps += [((5,), stand)] * 10
    steps += list(reach(1, 150.0, facing_centre(6), (), before=(5,)))
    pickup, putback = run(steps + [((), stand)] * 5 + [((), [])] * 10)
    assert isinstance(pickup, PickupEvent) and isinstance(putback, PutbackEvent)
    assert putback.pickup_event_id == pickup.event_id and putback.confidence == 0.9


def test_the_engine_follows_its_settings() -> None:
    """What `shelf_events:` in the config sets (via `EngineSettings`) changes the events: a reach shorter than
    ``reach.min_reach_s`` is none, and an unjudged touch after ``spots.touch_timeout_s`` has
    ``spots.unseen_confidence``."""
    assert run(take_script(), settings=EngineSettings(reach=ReachSettings(min_reach_s=3.0))) == []
    spots = ShelfEventSettings(touch_timeout_s=4.0, unseen_confidence=0.1)
    (touch,) = run(hidden_spot_script(spots.touch_timeout_s), settings=EngineSettings(spots=spots))
    assert isinstance(touch, TouchEvent) and touch.confidence == 0.1


def test_a_reach_still_going_when_the_stream_ends_is_not_dropped() -> None:
    steps: list[Step] = [((), [])] * 5 + [((), [Shopper(1, 150.0)])] * 5
    steps += [((), [Shopper(1, 150.0, facing_centre(5))])] * 6  # the stream ends with the hand on the shelf
    (touch,) = run(steps)
    assert isinstance(touch, TouchEvent) and touch.ts_start == T0 + 10 / FPS


def test_two_reaches_to_a_spot_hidden_in_between_are_an_unseen_take_and_return() -> None:
    """Facing 4 is right beside the shopper's box (inside its border): between the reaches the shopper's arm,
    holding the item up to look at it, hides it, so nothing can be seen; two reaches to one spot are a take and a
    return (confidence 0.5)."""
    stand, target = [Shopper(1, 150.0)], facing_centre(4)
    steps: list[Step] = [((), [])] * 5 + [((), stand)] * 5
    steps += list(reach(1, 150.0, target, (4,)))
    steps += [((4,), [Shopper(1, 150.0, (158.0, 110.0))])] * 10  # holding the item up in front of the chest
    steps += list(reach(1, 150.0, target, (), before=(4,)))
    steps += [((), stand)] * 5 + [((), [])] * 10
    pickup, putback = run(steps)
    assert isinstance(pickup, PickupEvent) and isinstance(putback, PutbackEvent)
    assert pickup.confidence == putback.confidence == 0.5 and putback.pickup_event_id == pickup.event_id


def test_a_reach_whose_spot_was_seen_unchanged_does_not_pair_with_a_later_one() -> None:
    stand, target = [Shopper(1, 150.0)], facing_centre(5)
    steps: list[Step] = [((), [])] * 5 + [((), stand)] * 5 + list(reach(1, 150.0, target, ()))
    steps += [((), stand)] * 10 + list(reach(1, 150.0, target, ())) + [((), stand)] * 5 + [((), [])] * 60
    assert [(e.type, e.confidence) for e in run(steps)] == [("touch", 0.8), ("touch", 0.8)]


def test_without_keypoints_the_arm_is_found_from_pixels_and_says_so() -> None:
    events = run(take_script(), pose=False)
    assert events and all(e.reach_source == "motion" for e in events)  # type: ignore[union-attr]
    assert "pickup" in [e.type for e in events]
