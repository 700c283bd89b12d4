"""A camera's ``pose:`` section: defaults, bounds, and `shelfsight config check` on a missing or wrong-kind model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from shelfsight.cli import config_cmd
from shelfsight.edge_config import ConfigError, load_config_text
from shelfsight.edge_config.loader import check_config
from shelfsight.edge_config.pose import DEFAULT_POSE_MODEL, PoseConfig
from shelfsight.edge_config.store import EdgeConfig
from tests.edge_config.conftest import place_reid

ConfigBuilder = Callable[..., dict[str, Any]]


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config_text(text)
    return [f"{p.key_path}: {p.message} (fix: {p.fix})" for p in caught.value.problems]


def test_pose_is_off_unless_the_section_is_there(minimal_store_config: ConfigBuilder) -> None:
    assert EdgeConfig.model_validate(minimal_store_config()).cameras[0].pose is None
    with_pose = EdgeConfig.model_validate(minimal_store_config({"cameras": {0: {"pose": {}}}}))
    assert with_pose.cameras[0].pose == PoseConfig()
    assert PoseConfig().model == DEFAULT_POSE_MODEL == "blazepose_landmark_full"


def test_every_pose_field_has_a_default_title_and_description() -> None:
    for name, field in PoseConfig.model_fields.items():
        assert not field.is_required(), name
        assert field.title and field.description, name


@pytest.mark.parametrize(
    ("pose", "key", "expected"),
    [
        ({"crop_scale": 5.0}, "cameras[0].pose.crop_scale", "must be <= 3"),
        ({"crop_grow_up": -0.1}, "cameras[0].pose.crop_grow_up", "must be >= 0"),
        ({"max_people_per_frame": 0}, "cameras[0].pose.max_people_per_frame", "must be >= 1"),
        ({"max_people_per_frame": "4"}, "cameras[0].pose.max_people_per_frame", "number"),
        ({"model": "pose/landmarks.tflite"}, "cameras[0].pose.model", "a model path must end in .onnx"),
        ({"modle": "blazepose_landmark_lite"}, "cameras[0].pose.modle", "did you mean 'model'"),
    ],
)
def test_bad_pose_values_name_the_key(
    minimal_store_config: ConfigBuilder, pose: dict[str, Any], key: str, expected: str
) -> None:
    problems = _problems(yaml.safe_dump(minimal_store_config({"cameras": {0: {"pose": pose}}})))
    assert any(line.startswith(f"{key}: ") and expected in line for line in problems), problems


def test_a_pose_model_on_a_camera_without_a_shelf_is_an_error(minimal_store_config: ConfigBuilder) -> None:
    aisle_only = [{"id": "aisle-1", "kind": "aisle", "polygon": [[0, 0], [1, 0], [1, 1]]}]
    config = minimal_store_config({"cameras": {0: {"pose": {}, "zones": aisle_only}}})
    (problem,) = _problems(yaml.safe_dump(config))
    assert problem.startswith("cameras[0].pose: camera 'cam-1' has a pose model but no shelf zone")
    assert "remove its `pose:` section" in problem


def _models(tmp_path: Path, models_dir: Path) -> Path:
    """A models folder with the real default detector, ReID model and pose files (links, not copies)."""
    folder = tmp_path / "models"
    (folder / "pose").mkdir(parents=True)
    (folder / "yolox_nano_416.onnx").symlink_to(models_dir / "yolox_nano_416.onnx")
    place_reid(folder)
    for name in ("blazepose_landmark_lite.onnx", "yolo11n_pose_640.onnx"):
        (folder / "pose" / name).symlink_to(models_dir / "pose" / name)
    return folder


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("blazepose_landmark_lite", None),
        ("models/pose/blazepose_landmark_lite.onnx", None),
        ("blazepose_landmark_full", "model 'blazepose_landmark_full' is not in"),
        ("yolo11n_pose_640", "model 'yolo11n_pose_640' is a pose model, not a BlazePose landmark model"),
        ("models/yolox_nano_416.onnx", "is not a BlazePose landmark model: a BlazePose landmark model takes"),
        ("nowhere/landmarks.onnx", "does not exist"),
    ],
)
def test_config_check_catches_a_missing_or_wrong_kind_pose_model(
    minimal_store_config: ConfigBuilder,
    write_config: Callable[..., Path],
    tmp_path: Path,
    models_dir: Path,
    model: str,
    expected: str | None,
) -> None:
    folder = _models(tmp_path, models_dir)
    path = write_config(minimal_store_config({"cameras": {0: {"pose": {"model": model}}}}))
    problems = check_config(path, models_dir=folder)
    if expected is None:
        assert problems == []
        return
    (problem,) = problems
    assert problem.key_path == "cameras[0].pose.model" and problem.line is not None
    assert expected in problem.message
    assert problem.fix


def test_config_check_reports_the_pose_model_beside_other_mistakes(
    minimal_store_config: ConfigBuilder, write_config: Callable[..., Path], tmp_path: Path, models_dir: Path
) -> None:
    folder = _models(tmp_path, models_dir)
    config = minimal_store_config({"cameras": {0: {"detect_fps": -1, "pose": {"model": "yolo11n_pose_640"}}}})
    problems = {p.key_path: p for p in check_config(write_config(config), models_dir=folder)}
    assert set(problems) == {"cameras[0].detect_fps", "cameras[0].pose.model"}
    assert (
        "a pose detector such as yolo11n_pose_640 goes in the camera's `model:`"
        in problems["cameras[0].pose.model"].fix
    )


def test_config_check_command_names_the_file_key_and_fix(
    minimal_store_config: ConfigBuilder, write_config: Callable[..., Path], tmp_path: Path, models_dir: Path
) -> None:
    folder = _models(tmp_path, models_dir)
    path = write_config(minimal_store_config({"cameras": {0: {"pose": {"model": "models/yolox_nano_416.onnx"}}}}))
    result = CliRunner().invoke(config_cmd.app, ["check", str(path), "--models-dir", str(folder)])
    assert result.exit_code == 1
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"{path}:") and "cameras[0].pose.model: " in line and "(fix: use blazepose_landmark" in line
