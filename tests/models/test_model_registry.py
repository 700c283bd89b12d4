"""The manifest, model lookup, and fetch with checksum verification against a real HTTP server on loopback."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shelfsight.cli import models_cmd
from shelfsight.models import registry
from shelfsight.models.fetch import FetchError, fetch_model
from shelfsight.models.registry import (
    MODELS_DIR_ENV,
    ModelNotFoundError,
    get_spec,
    load_manifest,
    resolve_model,
    sha256_of,
)


def test_every_shared_model_matches_its_manifest_checksum(models_dir: Path) -> None:
    checked = 0
    for spec in load_manifest().values():
        path = models_dir / spec.file
        if spec.sha256 is not None and path.is_file():
            assert sha256_of(path) == spec.sha256, spec.name
            assert path.stat().st_size == spec.size_bytes, spec.name
            checked += 1
    assert checked >= 3  # both detectors and a ReID model are in ../shared/models


def test_manifest_entries_say_how_to_get_them() -> None:
    for spec in load_manifest().values():
        assert spec.urls or spec.export, f"{spec.name} has neither a download URL nor an export command"
        assert spec.licence


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("yolox_nano_416", None),
        ("not_a_model", "unknown model 'not_a_model'; known models:"),
        ("missing/file.onnx", "does not exist"),
        ("yolo11n_640", "yolo export model=yolo11n.pt"),  # known but not in the folder: says how to export
    ],
)
def test_resolve_model(models_dir: Path, name: str, error: str | None) -> None:
    if error is None:
        assert resolve_model(name, models_dir) == models_dir / "yolox_nano_416.onnx"
    else:
        with pytest.raises(ModelNotFoundError, match=error.replace("(", r"\(")):
            resolve_model(name, models_dir)


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on 127.0.0.1 serving files from a temp folder: (base URL, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_downloads_and_verifies(http_server: tuple[str, Path], models_dir: Path, tmp_path: Path) -> None:
    base, served = http_server
    spec = get_spec("reid_retail_0248")
    (served / "reid.onnx").write_bytes((models_dir / spec.file).read_bytes())
    spec = dataclasses.replace(spec, urls=(f"{base}/missing.onnx", f"{base}/reid.onnx"))  # first URL 404s
    seen: list[int] = []
    path = fetch_model(spec, tmp_path / "models", progress=lambda done, total: seen.append(done))
    assert path == tmp_path / "models" / spec.file
    assert sha256_of(path) == spec.sha256
    assert seen and seen[-1] == spec.size_bytes


def test_fetch_rejects_a_checksum_mismatch(http_server: tuple[str, Path], tmp_path: Path) -> None:
    base, served = http_server
    (served / "tampered.onnx").write_bytes(b"not the model")
    spec = dataclasses.replace(get_spec("reid_retail_0248"), urls=(f"{base}/tampered.onnx",))
    with pytest.raises(FetchError, match="checksum mismatch"):
        fetch_model(spec, tmp_path / "models")
    assert not list((tmp_path / "models").rglob("*.onnx")), "a file that failed verification must not be kept"


def test_fetch_without_network_says_what_to_do(tmp_path: Path) -> None:
    spec = dataclasses.replace(get_spec("reid_retail_0248"), urls=("http://127.0.0.1:9/unreachable.onnx",))
    with pytest.raises(FetchError, match=r"no internet on this machine.*copy"):
        fetch_model(spec, tmp_path)


def test_fetch_of_an_export_only_model_gives_the_export_command(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="end2end=True"):
        fetch_model(get_spec("yolo26n_640_e2e"), tmp_path)


@pytest.mark.parametrize(
    ("name", "file", "task"),
    [
        ("blazepose_landmark_full", "pose/blazepose_landmark_full.onnx", "pose_landmarks"),
        ("blazepose_landmark_lite", "pose/blazepose_landmark_lite.onnx", "pose_landmarks"),
        ("yolo11n_pose_640", "pose/yolo11n_pose_640.onnx", "pose"),
    ],
)
def test_pose_models_are_listed_and_found_where_the_shared_folder_keeps_them(
    models_dir: Path, name: str, file: str, task: str
) -> None:
    spec = get_spec(name)
    assert (spec.file, spec.task) == (file, task) and spec.sha256 is not None
    listed = CliRunner().invoke(models_cmd.app, ["list"], env={MODELS_DIR_ENV: str(models_dir), "COLUMNS": "300"})
    assert listed.exit_code == 0
    row = next(line for line in listed.stdout.splitlines() if f" {name} " in line)
    assert f" {task} " in row and " yes " in row, row
    found = CliRunner().invoke(models_cmd.app, ["path", name, "--models-dir", str(models_dir)])
    assert found.exit_code == 0 and found.stdout.strip() == str(models_dir / file)


def test_a_missing_blazepose_model_says_how_to_convert_it(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=r"tf2onnx\.convert --tflite pose_landmark_lite\.tflite"):
        resolve_model("blazepose_landmark_lite", tmp_path)


def test_the_models_folder_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One rule for every command: the setting; else ../shared/models beside the checkout; else the user cache."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(tmp_path / "setting"))
    assert registry.models_folder() == tmp_path / "setting"
    monkeypatch.delenv(registry.MODELS_DIR_ENV)
    shared = tmp_path / "shared" / "models"
    monkeypatch.setattr(registry, "SHARED_MODELS_DIR", shared)
    assert registry.models_folder() == tmp_path / "home" / ".cache" / "shelfsight" / "models"  # no shared folder
    shared.mkdir(parents=True)
    assert registry.models_folder() == shared
