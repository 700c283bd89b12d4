"""`config check` names a missing ReID model (issue 15: without it the event stages died at every restart while
nothing but the edge log said so): where relink.reid is on, store-wide or for one camera, and not with --no-reid."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from shelfsight.cli import app
from shelfsight.cli.demo_cmd import DEMO_CONFIG
from shelfsight.edge_config.loader import check_config
from shelfsight.edge_config.tracker import REID_MODEL
from shelfsight.models.registry import get_spec, resolve_model


def _demo_copy(tmp_path: Path, change: dict[str, object] | None = None) -> Path:
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    for key, value in (change or {}).items():
        if key == "camera0":
            data["cameras"][0].update(value)
        else:
            data[key] = value
    path = tmp_path / "store.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _detector_only(tmp_path: Path) -> Path:
    """A models folder with the real default detector (a link) and nothing else."""
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "yolox_nano_416.onnx").symlink_to(resolve_model("yolox_nano_416"))
    return folder


def test_the_demo_config_without_the_reid_model_is_a_problem_with_the_command(tmp_path: Path) -> None:
    folder = _detector_only(tmp_path)
    assert not (folder / get_spec(REID_MODEL).file).exists()
    result = CliRunner().invoke(app, ["config", "check", str(DEMO_CONFIG), "--models-dir", str(folder)])
    assert result.exit_code == 1
    (line,) = [line for line in result.stdout.splitlines() if "reid" in line]
    assert "tracker.relink.reid" in line
    assert f"shelfsight models fetch {REID_MODEL}" in line
    assert "relink: {reid: false}" in line  # the other way out


def test_no_reid_model_needed_when_relinking_by_appearance_is_off(tmp_path: Path) -> None:
    folder = _detector_only(tmp_path)
    off = _demo_copy(tmp_path, {"tracker": {"relink": {"reid": False}}})
    assert check_config(off, models_dir=folder) == []
    # The runner's --no-reid switch: the config asks for it, the run will not use it.
    assert check_config(DEMO_CONFIG, models_dir=folder, reid=False) == []


def test_one_camera_turning_reid_on_is_where_the_problem_points(tmp_path: Path) -> None:
    folder = _detector_only(tmp_path)
    path = _demo_copy(
        tmp_path, {"tracker": {"relink": {"reid": False}}, "camera0": {"tracker": {"relink": {"reid": True}}}}
    )
    (problem,) = check_config(path, models_dir=folder)
    assert problem.key_path == "cameras[0].tracker.relink.reid"
    assert problem.line is not None and "reid: true" in path.read_text().splitlines()[problem.line - 1]
