"""A drawn shopper: human proportions, feet on the floor, a reach that arrives, a mask that matches the paint."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from vision.synthetic.figure import Facing, Pose, build_figure, draw_figure, draw_silhouette
from vision.synthetic.look import Look, random_look

LOOK = random_look(np.random.default_rng(3))
FACINGS: tuple[Facing, ...] = ("left", "right", "toward", "away")


def paint(pose: Pose, look: Look = LOOK) -> tuple[np.ndarray, np.ndarray]:
    """(pixels changed by painting the figure on grey, its silhouette mask), both (480, 640)."""
    canvas = np.full((480, 640, 3), 128, np.uint8)
    figure = build_figure(look, pose)
    draw_figure(canvas, figure)
    mask = np.zeros((480, 640), np.uint8)
    draw_silhouette(mask, figure, (0.0, 0.0))
    return np.any(canvas != 128, axis=2), mask > 0


@pytest.mark.parametrize("facing", FACINGS)
@pytest.mark.parametrize("walking", [False, True])
def test_box_spans_feet_to_head(facing: Facing, walking: bool) -> None:
    pose = Pose(foot=(320.0, 420.0), height_px=240.0, facing=facing, gait_phase=1.0, walking=walking)
    x1, y1, x2, y2 = build_figure(LOOK, pose).bbox
    assert 420 - 3 <= y2 <= 420 + 3  # shoes on the floor
    assert abs((y2 - y1) - 240) <= 0.03 * 240  # as tall as asked
    assert 0.25 * 240 <= x2 - x1 <= 0.6 * 240  # a person's width, not a pole or a box


@pytest.mark.parametrize("facing", FACINGS)
def test_silhouette_matches_the_painted_pixels(facing: Facing) -> None:
    painted, mask = paint(Pose(foot=(320.0, 420.0), height_px=200.0, facing=facing))
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert np.count_nonzero(painted & ~grown) == 0  # nothing painted outside the silhouette but a 2 px AA fringe
    assert np.count_nonzero(mask & painted) >= 0.97 * np.count_nonzero(mask)


def test_head_is_about_one_seventh_and_a_half_of_the_height() -> None:
    short_hair = dataclasses.replace(LOOK, hair_style="short")
    painted, _ = paint(Pose(foot=(320.0, 420.0), height_px=300.0, facing="toward"), short_hair)
    top = int(np.nonzero(painted.any(axis=1))[0].min())
    widths = painted.sum(axis=1)
    neck = top + 20 + int(np.argmin(widths[top + 20 : top + 60]))  # first narrowest row below the head
    assert 300 / 8.5 <= neck - top <= 300 / 6.5  # the chin: a head of 1/7.5 of the height, within a few px


@pytest.mark.parametrize(("target", "side"), [((420.0, 250.0), 1), ((230.0, 300.0), -1)])
def test_a_full_reach_puts_the_hand_on_the_target(target: tuple[float, float], side: int) -> None:
    rest = Pose(foot=(320.0, 420.0), height_px=220.0, facing="away")
    reaching = Pose(foot=(320.0, 420.0), height_px=220.0, facing="away", reach=target, reach_side=side, extension=1.0)
    _, mask = paint(reaching)
    assert mask[round(target[1]), round(target[0])]  # the hand is on the spot
    _, at_rest = paint(rest)
    assert not at_rest[round(target[1]), round(target[0])]


def test_a_carried_item_shows_in_the_hand() -> None:
    red = (0, 0, 255)
    canvas = np.full((480, 640, 3), 128, np.uint8)
    draw_figure(canvas, build_figure(LOOK, Pose(foot=(320.0, 420.0), height_px=220.0, carrying=red)))
    assert np.count_nonzero(np.all(canvas == red, axis=2)) > 30


def test_walking_moves_the_legs_and_standing_does_not() -> None:
    def legs(phase: float, walking: bool) -> np.ndarray:
        return paint(Pose(foot=(320.0, 420.0), height_px=220.0, facing="right", gait_phase=phase, walking=walking))[1]

    assert np.count_nonzero(legs(0.5, True) ^ legs(2.5, True)) > 500
    assert np.count_nonzero(legs(0.5, False) ^ legs(2.5, False)) == 0
