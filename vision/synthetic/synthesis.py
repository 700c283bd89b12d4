"""Render a whole scenario in memory: frames and ground truth in one call (tests, notebooks, evaluation).

    from shelfsight.vision.synthetic import synthesize
    run = synthesize("one_takes_item")            # a library name, "random-7", a path, or a Scenario
    run.frames[0].image, run.truth.events, run.truth.rows

A long scenario at 640x480 takes about 1 MB per kept frame; keep every n-th (``keep_every=5``) or none (0).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from shelfsight.vision.synthetic.library import resolve_scenario
from shelfsight.vision.synthetic.render import RenderedFrame, Renderer
from shelfsight.vision.synthetic.scenario import Scenario
from shelfsight.vision.synthetic.story import Story, build_story
from shelfsight.vision.synthetic.truth import GroundTruth, TruthBuilder

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Synthesis:
    """A rendered scenario: its story, the kept frames (in order) and the ground truth."""

    story: Story
    frames: list[RenderedFrame]
    truth: GroundTruth


def synthesize(scenario: Scenario | str, *, keep_every: int = 1) -> Synthesis:
    """Render every frame of a scenario, keeping every ``keep_every``-th image (0 keeps none), with its truth.

    Args:
        scenario: A scenario, or a reference `resolve_scenario` understands.
        keep_every: Keep frames 0, n, 2n, ... in ``frames``; 0 keeps none (truth is complete either way).

    Raises:
        ValueError: When ``keep_every`` is negative.
    """
    if keep_every < 0:
        raise ValueError(f"keep_every must be >= 0, got {keep_every}")
    story = build_story(resolve_scenario(scenario) if isinstance(scenario, str) else scenario)
    builder = TruthBuilder(story)
    kept: list[RenderedFrame] = []
    for frame in Renderer(story).frames():
        builder.add(frame)
        if keep_every and frame.index % keep_every == 0:
            kept.append(frame)
    return Synthesis(story, kept, builder.finish())
