"""Tracker settings in the YAML: bounds, store-wide settings merged with a camera's overrides (nested ``relink:``
included), the low <= high rule across both, and `config check` pointing at the file, line and key of each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from shelfsight.cli import config_cmd
from shelfsight.edge_config.base import merge_overrides
from shelfsight.edge_config.loader import check_config
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.edge_config.tracker import RelinkConfig, TrackerConfig

WriteConfig = Callable[..., Path]


@pytest.mark.parametrize(
    ("section", "expected_type"),
    [
        ({"lost_track_buffer_s": -1.0}, "greater_than_equal"),
        ({"lost_track_buffer_s": 1500.0}, "less_than_equal"),  # milliseconds typed as seconds
        ({"track_activation_threshold": 1.5}, "less_than_equal"),
        ({"high_confidence_threshold": "0.5"}, "float_type"),
        ({"minimum_consecutive_frames": 0}, "greater_than_equal"),
        ({"minimum_consecutive_frames": 2.5}, "int_type"),
        ({"minimum_confirmation_s": True}, "float_type"),
        ({"lost_track_buffer": 2.0}, "extra_forbidden"),
        ({"relink": {"minimum_similarity": 2.0}}, "less_than_equal"),
        ({"relink": {"max_height_ratio": 0.5}}, "greater_than_equal"),
        ({"relink": {"reid": "no"}}, "bool_type"),
        ({"relink": {"window_s": 6.0}}, "extra_forbidden"),
    ],
)
def test_values_are_bounded(section: dict[str, Any], expected_type: str) -> None:
    with pytest.raises(ValidationError) as info:
        TrackerConfig.model_validate(section)
    assert info.value.errors()[0]["type"] == expected_type


def test_merge_overrides_only_keys_the_camera_set() -> None:
    store = TrackerConfig.model_validate({"lost_track_buffer_s": 3.0, "relink": {"relink_window_s": 10.0}})
    camera = TrackerConfig.model_validate({"track_activation_threshold": 0.6, "relink": {"reid": False}})
    merged = merge_overrides(store, camera)
    assert merged.lost_track_buffer_s == 3.0 and merged.track_activation_threshold == 0.6
    assert merged.relink == RelinkConfig(relink_window_s=10.0, reid=False)
    assert merge_overrides(store, None) is store
    assert camera.model_fields_set == {"track_activation_threshold", "relink"}, "the merge must not change its input"


def test_store_applies_camera_overrides(minimal_store_config: Any) -> None:
    config = EdgeConfig.model_validate(
        minimal_store_config(
            {
                "tracker": {"minimum_confirmation_s": 0.4},
                "cameras": {0: {"tracker": {"relink": {"max_pool": 8}}}},
            }
        )
    )
    tracker = config.tracker_for("cam-1")
    assert tracker.minimum_confirmation_s == 0.4 and tracker.relink.max_pool == 8
    assert tracker.relink.relink_window_s == RelinkConfig().relink_window_s
    with pytest.raises(KeyError, match="no camera 'cam-9'"):
        config.tracker_for("cam-9")


@pytest.mark.parametrize(
    ("conf_threshold", "low", "expected"),
    [(0.3, 0.1, 0.3), (0.05, 0.1, 0.1), (0.6, 0.2, 0.6)],
)
def test_high_threshold_follows_the_detector_when_unset(conf_threshold: float, low: float, expected: float) -> None:
    tracker = TrackerConfig(low_confidence_threshold=low)
    assert tracker.high_threshold_for(conf_threshold) == expected
    assert TrackerConfig(high_confidence_threshold=0.45).high_threshold_for(conf_threshold) == 0.45


BAD_TRACKER = """\
store_id: s1
tracker:
  lost_track_buffer_s: -2
  relink:
    minimum_similarity: 1.5
cameras:
  - id: cam-1
    source: synthetic:busy_hour
    tracker:
      minimum_consecutive_frames: 0
      relink:
        exit_lookahead: 0.5
    zones:
      - id: floor-1
        kind: aisle
        polygon: [[0.1, 0.1], [0.4, 0.1], [0.4, 0.4]]
        dwell:
          anchor: bottom_center
          border_margin_px: -3
"""


def test_config_check_reports_file_line_key_and_fix(write_config: WriteConfig, fake_models_dir: Path) -> None:
    path = write_config(BAD_TRACKER)
    problems = check_config(path, models_dir=fake_models_dir)
    found = {p.key_path: p for p in problems}
    assert sorted(found) == [
        "cameras[0].tracker.minimum_consecutive_frames",
        "cameras[0].tracker.relink.exit_lookahead",
        "cameras[0].zones[0].dwell.anchor",
        "cameras[0].zones[0].dwell.border_margin_px",
        "tracker.lost_track_buffer_s",
        "tracker.relink.minimum_similarity",
    ]
    assert all(p.path == str(path) and p.fix for p in problems)
    lines = {key: p.line for key, p in found.items()}
    assert lines == {
        "tracker.lost_track_buffer_s": 3,
        "tracker.relink.minimum_similarity": 5,
        "cameras[0].tracker.minimum_consecutive_frames": 10,
        "cameras[0].tracker.relink.exit_lookahead": 12,
        "cameras[0].zones[0].dwell.anchor": 18,
        "cameras[0].zones[0].dwell.border_margin_px": 19,
    }
    assert found["tracker.lost_track_buffer_s"].message == "must be >= 0 seconds, got -2"
    assert found["cameras[0].zones[0].dwell.border_margin_px"].message == "must be >= 0 pixels, got -3"
    assert "did you mean 'exit_lookahead_s'?" in found["cameras[0].tracker.relink.exit_lookahead"].message
    assert "did you mean 'bottom_centre'?" in found["cameras[0].zones[0].dwell.anchor"].message


def thresholds_config(store: str, camera: str) -> str:
    """A one-camera config (detector conf_threshold 0.3) with ``store`` and ``camera`` tracker sections."""
    return (
        f"store_id: s1\ntracker: {store}\ncameras:\n  - id: cam-1\n    source: synthetic:busy_hour\n"
        f"    tracker: {camera}\n"
    )


@pytest.mark.parametrize(
    ("store", "camera", "key_path", "line"),
    [
        (
            "{high_confidence_threshold: 0.2}",
            "{low_confidence_threshold: 0.25}",
            "cameras[0].tracker.low_confidence_threshold",
            6,
        ),
        (
            "{low_confidence_threshold: 0.25}",
            "{high_confidence_threshold: 0.2}",
            "cameras[0].tracker.high_confidence_threshold",
            6,
        ),
        ("{high_confidence_threshold: 0.05}", "{}", "tracker.high_confidence_threshold", 2),
    ],
)
def test_low_above_high_is_reported_where_it_was_set(
    write_config: WriteConfig, fake_models_dir: Path, store: str, camera: str, key_path: str, line: int
) -> None:
    path = write_config(thresholds_config(store, camera))
    (problem,) = check_config(path, models_dir=fake_models_dir)
    assert (problem.key_path, problem.line) == (key_path, line)
    assert "low_confidence_threshold" in problem.message and "is above high_confidence_threshold" in problem.message
    assert problem.fix.startswith("set low_confidence_threshold to at most")


def test_an_unset_high_threshold_rises_to_the_low_one(write_config: WriteConfig, fake_models_dir: Path) -> None:
    """Unset, the high threshold follows the detector (0.3) but never sits below the low threshold."""
    path = write_config(thresholds_config("{}", "{low_confidence_threshold: 0.4}"))
    assert check_config(path, models_dir=fake_models_dir) == []


def test_cli_check_prints_the_tracker_problems(write_config: WriteConfig, fake_models_dir: Path) -> None:
    path = write_config(BAD_TRACKER)
    result = CliRunner().invoke(config_cmd.app, ["check", str(path), "--models-dir", str(fake_models_dir)])
    assert result.exit_code == 1
    assert f"{path}:3: tracker.lost_track_buffer_s: must be >= 0 seconds, got -2 (fix: use a value >= 0)" in (
        result.stdout.splitlines()
    )
