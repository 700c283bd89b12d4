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
