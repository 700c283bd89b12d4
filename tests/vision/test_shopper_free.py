"""The shopper-free picture: a person's pixels never reach it; what no frame showed free stays unknown."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from shelfsight.vision.shopper_free import ShopperFreePicture, unknown_pattern

HEIGHT, WIDTH = 120, 160
RED = (0, 0, 255)  # BGR: a colour the background never has


def _background() -> npt.NDArray[np.uint8]:
    """A textured grey-green scene (shelf-like stripes), no red anywhere."""
    rng = np.random.default_rng(7)
    image = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    image[:, :, 0] = 60 + (np.arange(WIDTH) % 20 < 10)[None, :] * 60
    image[:, :, 1] = 90 + (np.arange(HEIGHT) % 16 < 8)[:, None] * 50
    image[:, :, 2] = rng.integers(0, 40, (HEIGHT, WIDTH), dtype=np.uint8)
    return image


SLEEVE_PX = 5
"""The person reaches this far beyond the side of their box: detector boxes miss sleeves, bags and hands."""


def _with_person(image: npt.NDArray[np.uint8], box: tuple[int, int, int, int]) -> npt.NDArray[np.uint8]:
    frame = image.copy()
    x1, y1, x2, y2 = box
    frame[y1:y2, max(0, x1 - SLEEVE_PX) : x2 + SLEEVE_PX] = RED
    return frame


def _reds(image: npt.NDArray[np.uint8]) -> int:
    return int(((image[:, :, 2] > 200) & (image[:, :, 1] < 60) & (image[:, :, 0] < 60)).sum())


def test_a_person_never_reaches_the_picture_and_their_spot_is_learned_once_they_leave() -> None:
    background = _background()
    picture = ShopperFreePicture((HEIGHT, WIDTH))
    assert picture.picture() is None
    standing = (60, 30, 90, 110)  # stands still from the first frame, then walks off to the right
    t = 0.0
    for _ in range(10):
        picture.update(_with_person(background, standing), np.array([standing], np.float32), t)
        t += 0.5
        shown = picture.picture()
        assert shown is not None and _reds(shown.image) == 0
    shown = picture.picture()
    assert shown is not None
    x1, y1, x2, y2 = standing
    assert np.array_equal(shown.image[y1:y2, x1:x2], unknown_pattern((HEIGHT, WIDTH))[y1:y2, x1:x2]), (
        "a spot no frame showed free of people must be the unknown pattern, not the person"
    )
    assert 0.5 < shown.known < 1.0
    for step in range(12):  # walking away: the box moves, the pixels behind it settle and are learned
        x = min(WIDTH - 30, 90 + 10 * step)
        box = (x, 30, x + 30, 110)
        picture.update(_with_person(background, box), np.array([box], np.float32), t)
        t += 0.5
        shown = picture.picture()
        assert shown is not None and _reds(shown.image) == 0
    assert shown is not None
    spot = shown.image[y1 + 10 : y2 - 10, x1 + 5 : x2 - 5].astype(int)
    assert np.abs(spot - background[y1 + 10 : y2 - 10, x1 + 5 : x2 - 5]).mean() < 3.0


def test_a_frame_of_another_size_is_refused() -> None:
    picture = ShopperFreePicture((HEIGHT, WIDTH))
    with pytest.raises(ValueError, match="this picture is"):
        picture.update(np.zeros((HEIGHT, WIDTH + 1, 3), np.uint8), np.zeros((0, 4), np.float32), 0.0)
