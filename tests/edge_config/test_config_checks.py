"""Model file checks: manifest names looked up in the models dir, paths relative to the config file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shelfsight.edge_config.checks import absolute_model_ref, check_model_files
from shelfsight.edge_config.loader import check_config
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.models.registry import MODELS_DIR_ENV
from tests.edge_config.conftest import place_detector


@pytest.mark.parametrize(
    ("model", "files", "expected_error"),
    [
        ("yolox_nano_416", ["models/yolox_nano_416.onnx"], None),
        ("yolox_nano_416", [], "shelfsight models fetch yolox_nano_416`"),
        ("yolo11n_640", [], "yolo export model=yolo11n.pt"),
        ("no_such_model", [], "unknown model 'no_such_model'; known models:"),
        ("person.onnx", ["person.onnx"], None),
        ("nets/person.onnx", ["nets/person.onnx"], None),
        ("nets/person.onnx", ["person.onnx"], "does not exist"),
        ("person.onnx", [], "does not exist"),
    ],
)
def test_model_files(
    minimal_store_config: Any, tmp_path: Path, model: str, files: list[str], expected_error: str | None
) -> None:
    for name in files:
        place_detector(tmp_path / name)
    config = EdgeConfig.model_validate(minimal_store_config({"cameras": {0: {"model": model}}}))
    findings = check_model_files(config, config_dir=tmp_path, models_dir=tmp_path / "models")
    if expected_error is None:
        assert findings == []
        return
    (finding,) = findings
    assert finding.loc == ("cameras", 0, "model")
    assert expected_error in finding.message


def test_relative_model_path_is_relative_to_the_config_file_not_the_cwd(
    minimal_store_config: Any,
    write_config: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write_config(minimal_store_config({"cameras": {0: {"model": "person.onnx"}}}))
    place_detector(tmp_path / "person.onnx")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert check_config(path) == []
    assert absolute_model_ref("person.onnx", config_dir=tmp_path) == str(tmp_path / "person.onnx")
    assert absolute_model_ref("/abs/person.onnx", config_dir=tmp_path) == "/abs/person.onnx"
    assert absolute_model_ref("yolox_nano_416", config_dir=tmp_path) == "yolox_nano_416"


def test_models_dir_defaults_to_the_project_setting(
    minimal_store_config: Any,
    write_config: Callable[..., Path],
    fake_models_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write_config(minimal_store_config())
    monkeypatch.setenv(MODELS_DIR_ENV, str(fake_models_dir))
    assert check_config(path) == []
    monkeypatch.setenv(MODELS_DIR_ENV, str(fake_models_dir.parent / "empty"))
    # The detector and the ReID model of the default tracker (relink.reid is on unless switched off).
    assert sorted(problem.key_path for problem in check_config(path)) == ["cameras[0].model", "tracker.relink.reid"]
