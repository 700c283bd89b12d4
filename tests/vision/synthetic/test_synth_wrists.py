"""Wrist truth: both wrists and hands of every shopper in every frame, where the pixels are, seen or hidden,
reaching or not, and written to ``gt/wrists.txt``."""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from shelfsight.vision.synthetic.library import library_scenario
from shelfsight.vision.synthetic.render import RenderedFrame, Renderer
from shelfsight.vision.synthetic.scenario import ArmStyle
from shelfsight.vision.synthetic.story import Story, build_story
from shelfsight.vision.synthetic.truth import WRISTS_HEADER
from shelfsight.vision.synthetic.writer import write_outputs


@cache
def rendered(name: str, arms: ArmStyle = "simple") -> tuple[Story, list[RenderedFrame]]:
    story = build_story(dataclasses.replace(library_scenario(name), arms=arms))
    return story, list(Renderer(story).frames())


def test_wrists_file_has_both_arms_of_every_mot_row(tmp_path: Path) -> None:
    outputs = write_outputs(build_story(library_scenario("one_takes_item")), tmp_path, video=False)
    lines = outputs.wrists.read_text().splitlines()
    assert lines[0] == WRISTS_HEADER == "frame,id,side,x,y,visible,reaching,hand_x,hand_y"
    rows = [line.split(",") for line in lines[1:]]
    mot = [line.split(",")[:2] for line in outputs.gt.read_text().splitlines()]
    assert [r[:2] for r in rows[::2]] == mot and [r[:2] for r in rows[1::2]] == mot
    assert {r[2] for r in rows[::2]} == {"left"} and {r[2] for r in rows[1::2]} == {"right"}
    assert {r[5] for r in rows} == {"0", "1"} and {r[6] for r in rows} == {"0", "1"}
    reaching = sum(r[6] == "1" for r in rows)
    assert reaching == sum(1 for t in outputs.truth.wrists if t.reaching) > 10


@pytest.mark.parametrize("arms", ["simple", "jointed"])
def test_the_reaching_hand_is_on_the_spot_and_only_that_arm_reaches(arms: ArmStyle) -> None:
    story, frames = rendered("one_takes_item", arms)
    reach = story.outcomes[0].reach
    target = story.layout.to_frame(story.layout.camera.project(reach.target_m))
    for frame in frames:
        truth = frame.truth
        assert truth.arms is not None
        extension = reach.extension(frame.t_s)
        if not len(truth.shopper_ids):  # gone
            assert extension == 0
            continue
        reaching = truth.arms.reaching[0]
        assert reaching.sum() == (1 if extension > 0 else 0)
        if extension == 1.0:  # the hand rests on the spot (simple arms: the wrist)
            on_spot = truth.arms.hands[0][reaching][0] if arms == "jointed" else truth.arms.wrists[0][reaching][0]
            assert np.hypot(*(on_spot - target)) < 0.5


def test_the_person_s_left_arm_is_on_the_image_left_when_they_face_the_shelf() -> None:
    story, frames = rendered("one_dwells")
    plan = story.shoppers[0]
    standing = [f for f in frames if (s := plan.state_at(f.t_s)) is not None and s.facing == "away"]
    assert len(standing) > 40
    for frame in standing:
        assert frame.truth.arms is not None
        left, right = frame.truth.arms.wrists[0]
        assert left[0] < right[0]


def test_wrists_outside_the_frame_or_behind_someone_are_not_visible() -> None:
    _, frames = rendered("one_takes_item")
    entering = next(f for f in frames if len(f.truth.shopper_ids))  # the first frame with any of the figure in it
    arms = entering.truth.arms
    assert arms is not None and not arms.visible[0].all()  # walking in from off-screen
    outside = (arms.wrists[0, :, 0] < 0) | (arms.wrists[0, :, 0] >= 640)
    assert not arms.visible[0][outside].any()
    story, crossing = rendered("two_cross_and_occlude")
    (bin_layer,) = Renderer(story).fixtures
    hidden_inside = 0
    for frame in crossing:
        assert frame.truth.arms is not None
        wrists, visible = frame.truth.arms.wrists, frame.truth.arms.visible
        inside = (wrists[..., 0] > 5) & (wrists[..., 0] < 635) & (wrists[..., 1] > 5) & (wrists[..., 1] < 475)
        for i, side in zip(*np.nonzero(inside & ~visible), strict=True):
            x, y = wrists[i, side]
            others = [b for j, b in enumerate(frame.truth.boxes) if j != i]
            behind = any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in [*others, np.array(bin_layer.roi)])
            assert behind, f"frame {frame.index}: a hidden wrist at ({x:.0f}, {y:.0f}) with nothing in front"
            hidden_inside += 1
    assert hidden_inside >= 5  # behind the other shopper or the bin
