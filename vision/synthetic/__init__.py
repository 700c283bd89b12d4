"""The synthetic store: seeded, deterministic video of shoppers and shelves with exact ground truth.

Scenarios are data (`shelfsight.vision.synthetic.scenario`, YAML via `shelfsight.vision.synthetic.scenario_io`, a
library in ``library/*.yaml``, random crowds from `shelfsight.vision.synthetic.random_scenario`). `build_story` works a
scenario out in time, `Renderer` draws any frame of it with its true boxes and visibility, `TruthBuilder` turns the
frames' truth into MOTChallenge rows and true v1 events, and `write_outputs` writes a folder (video, edge config,
``gt/gt.txt``, ``events.jsonl``, ``truth.json``). `synthesize` does it all in memory; `SyntheticSource` plays a
scenario as a live camera. See docs/synthetic.md.
"""

from shelfsight.vision.synthetic.checks import check_scenario
from shelfsight.vision.synthetic.library import library_names, library_scenario, resolve_scenario
from shelfsight.vision.synthetic.random_scenario import random_scenario
from shelfsight.vision.synthetic.render import FrameTruth, RenderedFrame, Renderer
from shelfsight.vision.synthetic.scenario import (
    CameraSpec,
    CrowdSpec,
    DwellSpec,
    EffectsSpec,
    FixtureSpec,
    LayoutSpec,
    Leave,
    Reach,
    Scenario,
    ScenarioError,
    ShelfSpec,
    ShopperSpec,
    Wait,
    Walk,
)
from shelfsight.vision.synthetic.scenario_io import dump_scenario, load_scenario, load_scenario_text, scenario_from_dict
from shelfsight.vision.synthetic.source import SyntheticSource
from shelfsight.vision.synthetic.story import Story, build_story
from shelfsight.vision.synthetic.synthesis import Synthesis, synthesize
from shelfsight.vision.synthetic.true_events import true_shopper_id
from shelfsight.vision.synthetic.truth import GroundTruth, MotRow, TruthBuilder
from shelfsight.vision.synthetic.writer import SynthOutputs, edge_config_yaml, write_outputs

__all__ = [
    "CameraSpec",
    "CrowdSpec",
    "DwellSpec",
    "EffectsSpec",
    "FixtureSpec",
    "FrameTruth",
    "GroundTruth",
    "LayoutSpec",
    "Leave",
    "MotRow",
    "Reach",
    "RenderedFrame",
    "Renderer",
    "Scenario",
    "ScenarioError",
    "ShelfSpec",
    "ShopperSpec",
    "Story",
    "SynthOutputs",
    "Synthesis",
    "SyntheticSource",
    "TruthBuilder",
    "Wait",
    "Walk",
    "build_story",
    "check_scenario",
    "dump_scenario",
    "edge_config_yaml",
    "library_names",
    "library_scenario",
    "load_scenario",
    "load_scenario_text",
    "random_scenario",
    "resolve_scenario",
    "scenario_from_dict",
    "synthesize",
    "true_shopper_id",
    "write_outputs",
]
