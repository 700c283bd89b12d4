"""Clothing colour signatures, and the tracker using them where box overlap alone is in doubt: two shoppers
crossing under one detector box keep their own ids, and a shopper coming back from behind another is
re-linked by the colour of their clothes when the ReID model is unsure."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from shelfsight.vision.tracking import colour
from shelfsight.vision.tracking.bytetrack import ByteTracker, TrackerSettings
from shelfsight.vision.tracking.ids import IdCounter
from shelfsight.vision.tracking.relink import FragmentRelinker, Newcomers, RelinkSettings
from shelfsight.vision.tracking.tracks import NO_ID
from tests.builders import make_dets

Image = npt.NDArray[np.uint8]
RED, BLUE = (40, 40, 200), (200, 60, 30)  # BGR
HEIGHT, WIDTH = 720, 1280


def canvas() -> Image:
    return np.full((HEIGHT, WIDTH, 3), 128, np.uint8)


def paint(
    image: Image, box: list[float], body: tuple[int, int, int], head: tuple[int, int, int] = (90, 160, 220)
) -> None:
    """A shopper: head (top sixth) and body in one colour, inside the xyxy box."""
    x0, y0, x1, y1 = (round(v) for v in box)
    neck = y0 + (y1 - y0) // 6
    image[y0:neck, x0:x1] = head
    image[neck:y1, x0:x1] = body


def test_signatures_compare_clothes_not_heads_or_place() -> None:
    image = canvas()
    paint(image, [100, 100, 160, 280], RED)
    paint(image, [400, 300, 470, 520], RED, head=(20, 20, 20))  # elsewhere, bigger, another head
    paint(image, [700, 100, 760, 280], BLUE)
    sig = colour.colour_signatures(image, np.array([[100, 100, 160, 280], [400, 300, 470, 520], [700, 100, 760, 280]]))
    assert sig.shape == (3, colour.SIZE)
    assert np.allclose(sig.sum(axis=1), 1.0)
    distance = colour.signature_distance(sig, sig)
    assert distance[0, 1] < 0.05  # same clothes: the head is not part of the signature
    assert distance[0, 2] > 0.9  # red against blue
    outside = colour.colour_signatures(image, np.array([[2000.0, 100, 2100, 280]]))
    assert not outside.any()


def step_in_front(colour_weight: float) -> int:
    """Red and blue stand side by side; then red steps right, in front of blue, and the detector sees red only.

    Red's box then overlaps blue's track more than red's own (IoU 0.30 against 0.20): box overlap alone gives
    blue's id to red. Returns the id the one detection gets.
    """
    tracker = ByteTracker(TrackerSettings(colour_weight=colour_weight), id_counter=IdCounter())
    red, blue = [100.0, 200.0, 160.0, 380.0], [172.0, 200.0, 232.0, 380.0]
    for k in range(6):
        image = canvas()
        paint(image, red, RED)
        paint(image, blue, BLUE)
        out = tracker.update(make_dets([red, blue], t=k / 10.0, frame_size=(HEIGHT, WIDTH)), image)
    assert out.tracker_id is not None and out.tracker_id.tolist() == [1, 2]
    stepped = [140.0, 200.0, 200.0, 380.0]
    image = canvas()
    paint(image, blue, BLUE)
    paint(image, stepped, RED)
    out = tracker.update(make_dets([stepped], t=0.6, frame_size=(HEIGHT, WIDTH)), image)
    assert out.tracker_id is not None and len(out) == 1
    return int(out.tracker_id[0])


def test_a_contested_box_goes_to_the_track_whose_clothes_it_shows() -> None:
    assert step_in_front(colour_weight=2.0) == 1


def test_without_colour_the_contested_box_goes_by_overlap() -> None:
    """The case above is a real test: box overlap alone hands blue's id to red."""
    assert step_in_front(colour_weight=0.0) == 2


def test_without_frames_the_tracker_goes_by_overlap() -> None:
    """No image, no signatures: the colour rule stays out of the way (the tracker still works on boxes)."""
    tracker = ByteTracker(id_counter=IdCounter())
    red, blue = [100.0, 200.0, 160.0, 380.0], [172.0, 200.0, 232.0, 380.0]
    for k in range(6):
        tracker.update(make_dets([red, blue], t=k / 10.0, frame_size=(HEIGHT, WIDTH)))
    out = tracker.update(make_dets([[140.0, 200.0, 200.0, 380.0]], t=0.6, frame_size=(HEIGHT, WIDTH)))
    assert out.tracker_id is not None and out.tracker_id.tolist() == [2]


def test_settings_refuse_negative_values() -> None:
    with pytest.raises(ValueError, match="colour_weight"):
        TrackerSettings(colour_weight=-1.0)
    with pytest.raises(ValueError, match="contest_iou_margin"):
        TrackerSettings(contest_iou_margin=-0.1)
    with pytest.raises(ValueError, match="signature_refresh_s"):
        TrackerSettings(signature_refresh_s=-1.0)


@pytest.mark.parametrize(("clothes", "linked"), [(RED, True), (BLUE, False)])
def test_relinking_checks_the_colour_of_clothes(clothes: tuple[int, int, int], linked: bool) -> None:
    """A newcomer on a lost track's path continues it only in the same clothes (no ReID model here)."""
    box = np.array([[100.0, 200.0, 160.0, 380.0]], np.float32)
    before, after = canvas(), canvas()
    paint(before, box[0].tolist(), RED)
    paint(after, box[0].tolist(), clothes)
    relinker = FragmentRelinker(RelinkSettings())
    relinker.tracks_lost(
        np.array([7]), box, np.zeros((1, 2)), np.array([1.0]), None, (HEIGHT, WIDTH),
        colour.colour_signatures(before, box),
    )  # fmt: skip
    newcomers = Newcomers(
        box, box, np.array([2.0]), 2.1, velocity=np.zeros((1, 2)), signature=colour.colour_signatures(after, box)
    )
    assert relinker.link(newcomers, after, (HEIGHT, WIDTH)).tolist() == ([7] if linked else [NO_ID])


# A walker (red) passes in front of a shopper (blue) who has just stopped at a shelf: boxes and scores from the
# detector on a synthetic store clip, 5 fps. For two frames one box covers both; then blue is seen again where she
# stands, while her lost track's prediction has drifted on with the speed she walked in at (IoU 0.16 with her box),
# and red's box, wide from covering both, still overlaps her box by 0.23 (red's own box is half hidden, score 0.25).
PASSING_IN_FRONT: list[tuple[float, list[tuple[list[float], float, tuple[int, int, int]]]]] = [
    (20.4, [([149, 179, 214, 342], 0.83, RED), ([208, 223, 278, 364], 0.88, BLUE)]),
    (20.6, [([153, 189, 208, 339], 0.56, RED), ([242, 222, 285, 360], 0.76, BLUE)]),
    (20.8, [([179, 180, 231, 343], 0.71, RED), ([271, 214, 317, 355], 0.77, BLUE)]),
    (21.0, [([193, 186, 256, 353], 0.82, RED), ([289, 217, 351, 353], 0.85, BLUE)]),
    (21.2, [([206, 187, 293, 357], 0.61, RED), ([305, 217, 378, 347], 0.87, BLUE)]),
    (21.4, [([242, 190, 312, 361], 0.53, RED), ([345, 221, 394, 346], 0.48, BLUE)]),
    (21.6, [([272, 202, 328, 363], 0.54, RED), ([365, 230, 415, 339], 0.41, BLUE)]),
    (21.8, [([293, 207, 354, 368], 0.78, RED), ([373, 201, 429, 341], 0.85, BLUE)]),
    (22.0, [([324, 202, 382, 374], 0.54, RED), ([378, 202, 429, 339], 0.81, BLUE)]),
    (22.2, [([339, 201, 437, 379], 0.82, RED)]),
    (22.4, [([371, 202, 448, 385], 0.86, RED)]),
    (22.6, [([373, 201, 427, 339], 0.80, BLUE), ([413, 226, 465, 388], 0.25, RED)]),
    (22.8, [([372, 201, 429, 340], 0.86, BLUE), ([429, 209, 503, 393], 0.28, RED)]),
]
STANDING = [378.0, 202.0, 429.0, 339.0]


def test_a_shopper_hidden_by_a_walker_gets_her_id_back_where_she_stood() -> None:
    tracker = ByteTracker(TrackerSettings(), id_counter=IdCounter())
    ids: dict[tuple[int, int, int], int] = {}
    for t, people in PASSING_IN_FRONT:
        image = canvas()
        if len(people) == 1:  # blue is still there, behind red
            paint(image, STANDING, BLUE)
        for box, _, clothes in sorted(people, key=lambda p: p[2] == RED):  # red walks in front
            paint(image, box, clothes)
        boxes, scores = [box for box, _, _ in people], [score for _, score, _ in people]
        out = tracker.update(make_dets(boxes, scores, t=t, frame_size=(HEIGHT, WIDTH)), image)
        assert out.tracker_id is not None
        index = out.data["detection_index"].tolist()
        for row, track_id in enumerate(out.tracker_id.tolist()):
            clothes = people[index[row]][2]
            if t < 22.2:
                ids.setdefault(clothes, track_id)
            elif clothes == BLUE:
                assert track_id == ids[BLUE], f"at {t} s blue's box went to track {track_id}"
    assert set(ids) == {RED, BLUE} and ids[RED] != ids[BLUE]


def step_apart(colour_weight: float) -> tuple[int | None, int | None]:
    """Blue stood hidden right behind red, and nobody else is tracked; she steps out to the left: first one box
    covers both, then two. Red's track, pulled left by the wide box, overlaps blue's box more than red's own.
    Returns the ids red's and blue's boxes get."""
    tracker = ByteTracker(TrackerSettings(colour_weight=colour_weight), id_counter=IdCounter())
    red, wide = [400.0, 200.0, 460.0, 380.0], [340.0, 200.0, 460.0, 380.0]
    for k in range(22):
        image = canvas()
        paint(image, red, RED)
        tracker.update(make_dets([red], t=k / 10.0, frame_size=(HEIGHT, WIDTH)), image)
    image = canvas()
    paint(image, [340.0, 200.0, 400.0, 380.0], BLUE)
    paint(image, red, RED)
    tracker.update(make_dets([wide], t=2.2, frame_size=(HEIGHT, WIDTH)), image)
    red, blue = [405.0, 200.0, 460.0, 380.0], [336.0, 200.0, 410.0, 380.0]
    image = canvas()
    paint(image, blue, BLUE)
    paint(image, red, RED)
    out = tracker.update(make_dets([red, blue], t=2.3, frame_size=(HEIGHT, WIDTH)), image)
    assert out.tracker_id is not None
    ids: dict[int, int] = dict(zip(out.data["detection_index"].tolist(), out.tracker_id.tolist(), strict=True))
    return ids.get(0), ids.get(1)


def test_a_lone_track_torn_between_two_boxes_follows_its_clothes() -> None:
    """Two boxes where one was, and one track: the box in the track's clothes keeps it, though the other overlaps
    its prediction more; the other shopper's box starts a track of its own."""
    assert step_apart(colour_weight=2.0) == (1, None)


def test_without_colour_the_torn_track_follows_the_overlap() -> None:
    """The case above is a real test: box overlap alone hands red's id to blue."""
    assert step_apart(colour_weight=0.0) == (None, 1)
