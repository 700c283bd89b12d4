"""A drawn shopper: human proportions, feet on the floor, a reach that arrives, a mask that matches the paint."""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfsight.vision.synthetic.figure import FOREARM, HAND, UPPER_ARM, Facing, Pose, build_figure, person_sides
from shelfsight.vision.synthetic.figure_ops import draw_figure, draw_silhouette
from shelfsight.vision.synthetic.look import Look, random_look

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


@pytest.mark.parametrize(("target", "side"), [((420.0, 250.0), 1), ((230.0, 300.0), -1), ((330.0, 215.0), 1)])
def test_a_jointed_reach_puts_the_hand_on_the_target_and_keeps_the_arm_bones(
    target: tuple[float, float], side: int
) -> None:
    pose = Pose(foot=(320.0, 420.0), height_px=220.0, facing="away", reach=target, reach_side=side, extension=1.0)
    figure = build_figure(LOOK, pose, jointed_arms=True)
    arm = figure.arms[side]
    assert arm.hand == pytest.approx(target)  # the hand, not the wrist, is on the spot
    assert math.dist(arm.wrist, arm.hand) == pytest.approx(HAND * 220.0 / 2.0)
    upper, fore = math.dist(arm.shoulder, arm.elbow), math.dist(arm.elbow, arm.wrist)
    if math.dist(arm.shoulder, arm.wrist) < (UPPER_ARM + FOREARM) * 220.0:  # within reach: bent, bones kept
        assert (upper, fore) == pytest.approx((UPPER_ARM * 220.0, FOREARM * 220.0), rel=1e-6)
    else:  # beyond: stretched straight towards it
        assert upper + fore == pytest.approx(math.dist(arm.shoulder, arm.wrist))
    canvas = np.zeros((480, 640), np.uint8)
    draw_silhouette(canvas, figure, (0.0, 0.0))
    assert canvas[round(target[1]), round(target[0])]


@settings(max_examples=200, deadline=None)
@given(
    x=st.floats(-200.0, 200.0),
    y=st.floats(-300.0, 100.0),
    extension=st.floats(0.0, 1.0),
    side=st.sampled_from([-1, 1]),
    squash=st.floats(0.4, 1.0),
)
def test_a_jointed_arm_never_leaves_the_body_and_its_target(
    x: float, y: float, extension: float, side: int, squash: float
) -> None:
    # Any target, even one the picture puts right on the shoulder (an arm reaching straight away from a
    # camera overhead): the elbow stays within an arm's length of the shoulder, the box stays near the body.
    target = (320.0 + x, 380.0 + y)
    pose = Pose(foot=(320.0, 420.0), height_px=220.0 * squash, facing="away", reach=target, reach_side=side,
                extension=extension, width_px=220.0)  # fmt: skip
    figure = build_figure(LOOK, pose, jointed_arms=True)
    arm = figure.arms[side]
    reach = max(UPPER_ARM * 220.0, math.dist(arm.shoulder, arm.wrist))  # bent, or stretched towards the wrist
    assert math.dist(arm.shoulder, arm.elbow) <= reach + 1e-6
    hull = [min(320.0 - 80, target[0] - 40), min(420.0 - 220.0 * squash - 40, target[1] - 40),
            max(320.0 + 80, target[0] + 40), max(420.0 + 20, target[1] + 40)]  # fmt: skip
    x1, y1, x2, y2 = figure.bbox
    assert hull[0] <= x1 and hull[1] <= y1 and x2 <= hull[2] and y2 <= hull[3]


def test_person_sides_follow_the_facing() -> None:
    assert person_sides("toward") == (1, -1)  # their left arm on the image's right
    assert person_sides("away") == person_sides("left") == person_sides("right") == (-1, 1)
