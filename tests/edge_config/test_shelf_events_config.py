"""Shelf event settings in the YAML: every attribute of the event engine's six tuning dataclasses is a key with the
dataclass's own default, a camera's overrides replace only the keys it sets, bad values are reported with file,
line, key and fix, and what the file says reaches the engine's objects."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from shelfsight.cli import config_cmd
from shelfsight.edge_config.base import merge_overrides
from shelfsight.edge_config.loader import check_config, load_config_text
from shelfsight.edge_config.shelf_events import (
    FeetConfig,
    HandsConfig,
    ReachConfig,
    RegistrationConfig,
    ShelfEventsConfig,
    ShelfStateConfig,
    SpotsConfig,
)
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.pipeline.assembly import camera_engine, engine_settings
from shelfsight.vision.events.engine import EngineSettings
from shelfsight.vision.events.feet import FeetSettings
from shelfsight.vision.events.reach import ReachSettings
from shelfsight.vision.events.registration import RegistrationSettings
from shelfsight.vision.events.shelf_events import ShelfEventSettings
from shelfsight.vision.events.shelf_state import ShelfStateSettings
from shelfsight.vision.events.wrists import HandSettings

WriteConfig = Callable[..., Path]

SECTIONS: dict[str, tuple[type[Any], type[Any]]] = {
    "reach": (ReachConfig, ReachSettings),
    "hands": (HandsConfig, HandSettings),
    "shelf_state": (ShelfStateConfig, ShelfStateSettings),
    "spots": (SpotsConfig, ShelfEventSettings),
    "registration": (RegistrationConfig, RegistrationSettings),
    "feet": (FeetConfig, FeetSettings),
}


def test_the_sections_are_the_engine_settings() -> None:
    assert list(ShelfEventsConfig.model_fields) == [f.name for f in dataclasses.fields(EngineSettings)]
    assert list(SECTIONS) == list(ShelfEventsConfig.model_fields)
    for name, (section, _) in SECTIONS.items():
        assert ShelfEventsConfig.model_fields[name].annotation is section


@pytest.mark.parametrize("name", list(SECTIONS))
def test_every_setting_is_a_key_with_the_dataclass_default(name: str) -> None:
    """Names, order and defaults equal the dataclass's, so neither side can gain or change a setting alone."""
    section, settings = SECTIONS[name]
    fields = dataclasses.fields(settings)
    assert list(section.model_fields) == [f.name for f in fields]
    defaults = section().model_dump()
    assert defaults == dataclasses.asdict(settings())
    assert all(type(defaults[f.name]) is type(f.default) for f in fields), "an int setting must stay an int"


def test_the_defaults_build_the_default_engine() -> None:
    config = EdgeConfig.model_validate({"store_id": "s1", "cameras": [{"id": "cam-1", "source": 0}]})
    assert engine_settings(config, "cam-1") == EngineSettings()


@pytest.mark.parametrize(
    ("section", "key", "expected_type"),
    [
        ({"reach": {"min_reach_s": -0.4}}, ("reach", "min_reach_s"), "greater_than_equal"),
        ({"reach": {"hidden_grace_s": 5000.0}}, ("reach", "hidden_grace_s"), "less_than_equal"),  # milliseconds
        ({"reach": {"spot_share": 1.5}}, ("reach", "spot_share"), "less_than_equal"),
        ({"hands": {"min_angle_deg": 200}}, ("hands", "min_angle_deg"), "less_than_equal"),
        ({"hands": {"hand_radius": 0}}, ("hands", "hand_radius"), "greater_than"),
        ({"shelf_state": {"scale": 0}}, ("shelf_state", "scale"), "greater_than"),
        ({"shelf_state": {"structure_window": 7.5}}, ("shelf_state", "structure_window"), "int_type"),
        ({"shelf_state": {"diff_threshold": "22"}}, ("shelf_state", "diff_threshold"), "float_type"),
        ({"shelf_state": {"diff_threshold": 300}}, ("shelf_state", "diff_threshold"), "less_than_equal"),
        ({"spots": {"unseen_confidence": True}}, ("spots", "unseen_confidence"), "float_type"),
        ({"spots": {"look": 0.6}}, ("spots", "look"), "extra_forbidden"),
        ({"registration": {"min_response": -0.1}}, ("registration", "min_response"), "greater_than_equal"),
        ({"feet": {"edge_px": -2}}, ("feet", "edge_px"), "greater_than_equal"),
        ({"wrists": {}}, ("wrists",), "extra_forbidden"),
    ],
)
def test_values_are_bounded(section: dict[str, Any], key: tuple[str, ...], expected_type: str) -> None:
    with pytest.raises(ValidationError) as info:
        ShelfEventsConfig.model_validate(section)
    (error,) = info.value.errors()
    assert (error["type"], error["loc"]) == (expected_type, key)


def test_merge_overrides_only_keys_the_camera_set() -> None:
    store = ShelfEventsConfig.model_validate(
        {"reach": {"min_reach_s": 0.6, "end_grace_s": 0.8}, "feet": {"memory_s": 2}}
    )
    camera = ShelfEventsConfig.model_validate({"reach": {"end_grace_s": 0.3}, "spots": {"look_s": 1.0}})
    merged = merge_overrides(store, camera)
    assert merged.reach == ReachConfig(min_reach_s=0.6, end_grace_s=0.3)
    assert merged.spots == SpotsConfig(look_s=1.0) and merged.feet == FeetConfig(memory_s=2.0)
    assert merged.shelf_state == ShelfStateConfig()
    assert camera.model_fields_set == {"reach", "spots"}, "the merge must not change its input"


STORE = """\
store_id: s1
shelf_events:
  reach: {min_reach_s: 0.6, end_grace_s: 0.8}
  spots: {unseen_confidence: 0.2}
  shelf_state: {structure_window: 9}
cameras:
  - id: cam-1
    source: synthetic:busy_hour
    shelf_events:
      reach: {end_grace_s: 0.3}
      hands: {min_angle_deg: 40}
      registration: {max_step_px: 6}
      feet: {edge_px: 5}
    zones:
      - {id: shelf-1, kind: shelf, polygon: [[0.2, 0.3], [0.5, 0.3], [0.5, 0.6], [0.2, 0.6]]}
      - {id: floor-1, kind: standing, shelf_id: shelf-1, polygon: [[0.2, 0.7], [0.5, 0.7], [0.5, 0.8], [0.2, 0.8]]}
  - id: cam-2
    source: synthetic:busy_hour
"""


def test_a_cameras_override_of_one_key_keeps_the_stores_others() -> None:
    config = load_config_text(STORE)
    one, two = config.shelf_events_for("cam-1"), config.shelf_events_for("cam-2")
    assert (one.reach.min_reach_s, one.reach.end_grace_s) == (0.6, 0.3)
    assert (two.reach.min_reach_s, two.reach.end_grace_s) == (0.6, 0.8)
    assert one.spots.unseen_confidence == two.spots.unseen_confidence == 0.2
    assert one.hands.min_angle_deg == 40.0 and two.hands == HandsConfig()
    assert one.hands.min_score == HandSettings().min_score
    with pytest.raises(KeyError, match="no camera 'cam-9'"):
        config.shelf_events_for("cam-9")


def test_the_yaml_reaches_the_engine() -> None:
    config = load_config_text(STORE)
    settings = engine_settings(config, "cam-1")
    assert settings == EngineSettings(
        reach=ReachSettings(min_reach_s=0.6, end_grace_s=0.3),
        hands=HandSettings(min_angle_deg=40.0),
        shelf_state=ShelfStateSettings(structure_window=9),
        spots=ShelfEventSettings(unseen_confidence=0.2),
        registration=RegistrationSettings(max_step_px=6.0),
        feet=FeetSettings(edge_px=5.0),
    )
    assert engine_settings(config, "cam-2").feet == FeetSettings()
    engine = camera_engine(config, config.cameras[0], (480, 640))  # what the offline runner and the edge build
    assert engine.settings == settings
    assert engine.shelf.settings.unseen_confidence == 0.2
    assert engine.shelf.reaches.settings == settings.reach
    assert engine.shelf.hand_settings.min_angle_deg == 40.0
    assert engine.shelf.states["shelf-1"].settings.structure_window == 9
    assert engine.registration is not None and engine.registration.settings.max_step_px == 6.0
    assert engine.feet.settings.edge_px == 5.0


BAD = """\
store_id: s1
shelf_events:
  reach:
    min_reach_s: -0.4
  spots:
    unseen_confidence: 1.5
cameras:
  - id: cam-1
    source: synthetic:busy_hour
    shelf_events:
      hands:
        min_angle_deg: 200
      shelf_state:
        structure_window: 7.5
        settle: 0.6
"""


def test_config_check_reports_file_line_key_and_fix(write_config: WriteConfig, fake_models_dir: Path) -> None:
    path = write_config(BAD)
    found = {p.key_path: p for p in check_config(path, models_dir=fake_models_dir)}
    assert {key: p.line for key, p in found.items()} == {
        "shelf_events.reach.min_reach_s": 4,
        "shelf_events.spots.unseen_confidence": 6,
        "cameras[0].shelf_events.hands.min_angle_deg": 12,
        "cameras[0].shelf_events.shelf_state.structure_window": 14,
        "cameras[0].shelf_events.shelf_state.settle": 15,
    }
    assert all(p.path == str(path) and p.fix for p in found.values())
    assert found["shelf_events.reach.min_reach_s"].message == "must be >= 0 seconds, got -0.4"
    assert found["shelf_events.spots.unseen_confidence"].message == "must be <= 1, got 1.5"
    assert found["cameras[0].shelf_events.hands.min_angle_deg"].message == "must be <= 180 degrees, got 200"
    assert found["cameras[0].shelf_events.shelf_state.structure_window"].message == "must be a whole number, got 7.5"
    assert "did you mean 'settle_s'?" in found["cameras[0].shelf_events.shelf_state.settle"].message


def test_cli_check_prints_the_shelf_event_problems(write_config: WriteConfig, fake_models_dir: Path) -> None:
    path = write_config(BAD)
    result = CliRunner().invoke(config_cmd.app, ["check", str(path), "--models-dir", str(fake_models_dir)])
    assert result.exit_code == 1
    assert (
        f"{path}:4: shelf_events.reach.min_reach_s: must be >= 0 seconds, got -0.4 (fix: use a value >= 0)"
        in result.stdout.splitlines()
    )
