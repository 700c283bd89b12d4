"""`config check` finds what would make a stage fail at every restart (issue 14, item 10): an empty or
wrong-kind model, an unknown synthetic scenario, a video that does not decode, a missing or secret-less CURVE
certificate; a truncated video is a warning naming how many frames decode; a 100,000-deep YAML is one line."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zmq.auth

from shelfsight.edge_config.loader import check_config, load_config
from shelfsight.edge_config.problems import ConfigError
from shelfsight.models.registry import resolve_model
from shelfsight.pipeline.sources import open_file
from tests.cli import run_shelfsight
from tests.edge_config.conftest import place_detector

pytestmark = pytest.mark.slow  # tens of seconds of computation on 2 cores

WriteConfig = Callable[..., Path]
FOOTAGE = "one_by_one_walkers_768x432.mp4"  # 1394 frames, the index (moov) at the front: a cut copy still opens


def _footage() -> Path:
    path = Path(os.environ["SHELFSIGHT_FOOTAGE_DIR"]) / FOOTAGE
    assert path.is_file(), f"{path} is missing: the shared footage must be present (../shared/README.md)"
    return path


def _truncated_copy(folder: Path) -> Path:
    data = _footage().read_bytes()
    path = folder / "cut.mp4"
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.fixture
def check(minimal_store_config: Any, write_config: WriteConfig, fake_models_dir: Path) -> Callable[..., list[Any]]:
    """``check(overlay)``: the problems of the minimal config with ``overlay`` merged in, as (key path, message)."""

    def run(overlay: dict[Any, Any], warnings: list[str] | None = None) -> list[tuple[str, str]]:
        problems = check_config(write_config(minimal_store_config(overlay)), models_dir=fake_models_dir,
                                warnings=warnings)  # fmt: skip
        return [(p.key_path, p.message) for p in problems]

    return run


def test_a_good_config_has_no_problem(check: Callable[..., list[Any]]) -> None:
    assert check({}) == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"", "is empty (0 bytes)"), (b"this is text, not a model", "not an ONNX model"), ("reid", "NCHW")],
    ids=["zero-byte", "not-onnx", "reid-model"],
)
def test_broken_or_wrong_kind_models(
    check: Callable[..., list[Any]], tmp_path: Path, content: bytes | str, expected: str
) -> None:
    model = tmp_path / "person.onnx"
    if content == "reid":
        shutil.copy(resolve_model("reid_retail_0287"), model)  # a real ONNX model of the wrong kind
    else:
        model.write_bytes(content)  # type: ignore[arg-type]
    ((key, message),) = check({"cameras": {0: {"model": "person.onnx"}}})
    assert key == "cameras[0].model" and "not a detection model this pipeline can run" in message
    assert expected in message


def test_unknown_synthetic_scenario(check: Callable[..., list[Any]]) -> None:
    ((key, message),) = check({"cameras": {0: {"source": "synthetic:no_such_scene"}}})
    assert key == "cameras[0].source" and "'synthetic:no_such_scene' names no scenario" in message
    assert "busy_hour" in message  # the known names are listed


@pytest.mark.parametrize("kind", ["missing", "not-a-video"])
def test_unreadable_video(check: Callable[..., list[Any]], tmp_path: Path, kind: str) -> None:
    if kind == "not-a-video":
        (tmp_path / "clip.mp4").write_text("not a video")
    ((key, message),) = check({"cameras": {0: {"source": "clip.mp4"}}})
    assert key == "cameras[0].source"
    assert ("does not exist" if kind == "missing" else "cannot open video") in message


def test_a_truncated_video_is_a_warning_with_the_frames_that_decode(
    check: Callable[..., list[Any]], tmp_path: Path
) -> None:
    _truncated_copy(tmp_path)
    warnings: list[str] = []
    assert check({"cameras": {0: {"source": "cut.mp4"}}}, warnings=warnings) == []
    (warning,) = warnings
    assert warning.startswith("cameras[0].source: ") and "of the 1394 frames it declares decode" in warning
    readable = int(warning.split("only ")[1].split(" of")[0])
    assert 0 < readable < 1394
    assert check({"cameras": {0: {"source": str(_footage())}}}, warnings=(whole := [])) == [] and whole == []


def test_replaying_a_truncated_video_warns_with_the_count(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    source = open_file("cam", _truncated_copy(tmp_path), replay=True, start_epoch=1.7e9, detect_fps=5.0)
    with caplog.at_level(logging.WARNING, logger="shelfsight.pipeline.sources"):
        frames = sum(1 for _ in source.frames)
    assert frames > 0
    (record,) = [r for r in caplog.records if "truncated" in r.getMessage()]
    assert "of the 1394 frames it declares" in record.getMessage()


def test_curve_certificate_files(check: Callable[..., list[Any]], tmp_path: Path) -> None:
    public, secret = zmq.auth.create_certificates(tmp_path, "box")
    server_key = zmq.auth.load_certificate(public)[0].decode()
    for certificate, expected in (("nowhere.key_secret", "does not exist"), (public, "holds no secret key"),
                                  (secret, None)):  # fmt: skip
        overlay = {"aggregator": {"server_public_key": server_key, "client_certificate_file": str(certificate)}}
        found = check(overlay)
        if expected is None:
            assert found == []
        else:
            ((key, message),) = found
            assert key == "aggregator.client_certificate_file" and expected in message


def test_a_100k_deep_yaml_is_one_line_not_a_traceback(write_config: WriteConfig) -> None:
    path = write_config("store_id: " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    (problem,) = raised.value.problems
    assert "nests lists or mappings deeper than can be read" in problem.message
    done = run_shelfsight("config", "check", str(path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stdout.count("\n") == 1 and "deeper than can be read" in done.stdout


def test_edge_run_refuses_a_config_that_would_crash_loop(
    minimal_store_config: Any, write_config: WriteConfig, tmp_path: Path
) -> None:
    place_detector(tmp_path / "models" / "yolox_nano_416.onnx")
    path = write_config(minimal_store_config({"cameras": {0: {"source": "synthetic:no_such_scene"}}}))
    done = run_shelfsight("edge", "run", str(path), "--models-dir", str(tmp_path / "models"), "--health-port", "0")
    assert done.returncode == 2 and "names no scenario" in done.stderr, done.stderr
