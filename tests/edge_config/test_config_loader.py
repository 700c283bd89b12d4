"""Loading and checking config files: every mistake reported at once, at its key path and line."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shelfsight.edge_config.loader import check_config, load_config, load_config_text
from shelfsight.edge_config.problems import ConfigError, ConfigProblem
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.edge_config.zone import ZoneKind

DATA_DIR = Path(__file__).parent / "data"
DEMO = Path(__file__).parents[2] / "edge_config" / "demo.yaml"
DELETE = "__delete__"
WriteConfig = Callable[..., Path]


def test_demo_config_loads() -> None:
    config = load_config(DEMO)
    assert config.store_id == "demo-store"
    assert [camera.source for camera in config.cameras] == ["synthetic:busy_hour", "synthetic:one_misplaces_item"]
    assert {camera.model for camera in config.cameras} == {"yolox_nano_416"}
    assert {camera.detect_fps for camera in config.cameras} == {5.0}
    overridden = [zone.id for _, zone in config.iter_zones() if zone.dwell is not None]
    assert overridden == ["endcap-floor-bottom"]
    for camera in config.cameras:
        shelves = {zone.id: zone for zone in camera.zones if zone.kind is ZoneKind.SHELF}
        standing = [zone for zone in camera.zones if zone.kind is ZoneKind.STANDING]
        assert len(shelves) == 2
        assert sorted(zone.shelf_id or "" for zone in standing) == sorted(shelves)
        for zone in standing:
            # eye-level view: the floor in front of a shelf is below the shelf in the image
            shelf_bottom = max(y for _, y in shelves[zone.shelf_id or ""].polygon)
            assert min(y for _, y in zone.polygon) > shelf_bottom


def test_demo_config_passes_check_with_models_present(fake_models_dir: Path) -> None:
    assert check_config(DEMO, models_dir=fake_models_dir) == []


# Each row: overlay on the minimal config, key path of the single expected problem, a fragment of its
# message, and a fragment of the YAML line it must point at (the file is block-style YAML).
MISTAKES = [
    ({"camras": []}, "camras", "unknown key 'camras' — did you mean 'cameras'?", "camras"),
    ({"cameras": {0: {"detct_fps": 5}}}, "cameras[0].detct_fps", "did you mean 'detect_fps'?", "detct_fps"),
    (
        {"cameras": {0: {"colour": "red"}}},
        "cameras[0].colour",
        "valid keys here: detect_fps, detector",
        "colour",
    ),
    ({"store_id": DELETE}, "store_id", "missing required key 'store_id'", "cameras:"),
    (
        {"cameras": {0: {"zones": {0: {"kind": DELETE}}}}},
        "cameras[0].zones[0].kind",
        "missing required key 'kind'",
        "id: shelf-1",
    ),
    (
        {"cameras": {0: {"zones": {1: {"shelf_id": DELETE}}}}},
        "cameras[0].zones[1].shelf_id",
        "standing zone 'floor-1' needs a shelf_id",
        "id: floor-1",
    ),
    (
        {"cameras": {0: {"zones": {0: {"polygon": [[0.1, 0.1], [0.5, 0.1]]}}}}},
        "cameras[0].zones[0].polygon",
        "polygon needs >= 3 points, got 2",
        "polygon:",
    ),
    (
        {"cameras": {0: {"zones": {0: {"polygon": [[0.1, 0.1], [1.4, 0.1], [0.5, 0.5]]}}}}},
        "cameras[0].zones[0].polygon[1]",
        "point 1 is [1.4, 0.1]",
        "1.4",
    ),
    ({"dwell": {"min_dwell_s": -2}}, "dwell.min_dwell_s", "must be >= 0 seconds, got -2", "min_dwell_s"),
    (
        {"dwell": {"exit_grace_s": 5000}},
        "dwell.exit_grace_s",
        "must be <= 3600 seconds, got 5000",
        "exit_grace_s",
    ),
    (
        {"cameras": {0: {"detect_fps": 0}}},
        "cameras[0].detect_fps",
        "must be > 0 frames per second, got 0",
        "detect_fps",
    ),
    (
        {"cameras": {0: {"detector": {"conf_threshold": "high"}}}},
        "cameras[0].detector.conf_threshold",
        "must be a number, got 'high'",
        "conf_threshold",
    ),
    (
        {"cameras": {0: {"zones": {0: {"kind": "shelve"}}}}},
        "cameras[0].zones[0].kind",
        "must be one of 'shelf', 'aisle', 'entrance', 'checkout' or 'standing', got 'shelve' — did you mean 'shelf'?",
        "kind: shelve",
    ),
    ({"cameras": {0: {"id": "cam 1"}}}, "cameras[0].id", "must be an id of 1-64 letters", "id: cam 1"),
    ({"store_id": False}, "store_id", "must be text, got false", "store_id"),
    ({"version": 2}, "version", "must be one of 1, got 2", "version"),
    ({"cameras": "cam-1"}, "cameras", "must be a list, got 'cam-1'", "cameras"),
    (
        {"cameras": {0: {"source": "udp://10.0.0.5:1234"}}},
        "cameras[0].source",
        "unsupported stream scheme",
        "source",
    ),
    (
        {
            "cameras": {
                0: {
                    "zones": {
                        2: {
                            "id": "floor-2",
                            "kind": "standing",
                            "shelf_id": "shelf-x",
                            "polygon": [[0, 0], [1, 0], [1, 1]],
                        }
                    }
                }
            }
        },
        "cameras[0].zones[2].shelf_id",
        "shelf_id 'shelf-x' is not a zone of this camera — did you mean 'shelf-1'?",
        "shelf_id: shelf-x",
    ),
    (
        {
            "cameras": {
                1: {
                    "id": "cam-2",
                    "source": 1,
                    "zones": [{"id": "shelf-1", "kind": "aisle", "polygon": [[0, 0], [1, 0], [1, 1]]}],
                }
            }
        },
        "cameras[1].zones[0].id",
        "zone id 'shelf-1' is already used by cameras[0].zones[0]",
        "id: shelf-1",
    ),
    (
        {"privacy": {"send_frames_to_aggregator": True}},
        "privacy.send_frames_to_aggregator",
        "frames never leave the box",
        "send_frames_to_aggregator",
    ),
    (
        {"aggregator": {"endpoint": "udp://x:1"}},
        "aggregator.endpoint",
        "must be tcp://HOST:PORT or ipc://PATH",
        "endpoint",
    ),
    ({"spool": {"max_bytes": 0}}, "spool.max_bytes", "must be > 0 bytes, got 0", "max_bytes"),
]


@pytest.mark.parametrize(("overlay", "key_path", "message", "line_text"), MISTAKES)
def test_each_mistake_is_reported_at_its_key_path_and_line(
    minimal_store_config: Any,
    write_config: WriteConfig,
    fake_models_dir: Path,
    overlay: dict[Any, Any],
    key_path: str,
    message: str,
    line_text: str,
) -> None:
    path = write_config(minimal_store_config(overlay))
    problems = check_config(path, models_dir=fake_models_dir)
    assert [(p.key_path, message in p.message) for p in problems] == [(key_path, True)], problems
    (problem,) = problems
    assert problem.path == str(path)
    assert problem.fix
    assert problem.line is not None
    assert line_text in path.read_text().splitlines()[problem.line - 1]


@pytest.mark.parametrize(
    ("text", "expected_line", "expected_key_path", "expected_message"),
    [
        ("", 1, "", "the file is empty"),
        ("# only a comment\n", 1, "", "the file is empty"),
        (
            "- cam-1\n- cam-2\n",
            1,
            "",
            "the top level must be a mapping of keys (store_id:, cameras:, ...), got a list",
        ),
        ("store_id: s\ncameras:\n  - id: a\n   source: 0\n", 4, "", "YAML syntax error"),
        ("store_id: s\ncameras: [\n", 3, "", "YAML syntax error"),
        ("store_id: s\n---\nstore_id: t\n", 2, "", "YAML syntax error: but found another document"),
        (
            "store_id: s\ncameras:\n  - id: a\n    source: 0\n    zones: []\n    zones: []\n",
            6,
            "cameras[0].zones",
            "key 'zones' appears twice in this mapping (first on line 5)",
        ),
        (
            "store_id: s\ncameras:\n  - id: a\n    source: 0\n    detector:\n      nms_iou_threshold: 0.5\n"
            "      type: onnx\n      conf: 0.2\n",
            8,
            "cameras[0].detector.conf",
            "unknown key 'conf'",
        ),
        (
            "store_id: s\ncameras:\n  - id: a\n    detect_fps: 5\n",
            3,
            "cameras[0].source",
            "missing required key",
        ),
        (
            "store_id: s\non: 1\ncameras: [{id: a, source: 0}]\n",
            2,
            "",
            "key 'on' is read by YAML as true/false",
        ),
        (
            'store_id: "s\ncameras: []\n',
            3,
            "",
            "YAML syntax error: found unexpected end of stream (while scanning a quoted scalar that starts on line 1)",
        ),
    ],
)
def test_lines_of_document_level_problems(
    write_config: WriteConfig,
    fake_models_dir: Path,
    text: str,
    expected_line: int,
    expected_key_path: str,
    expected_message: str,
) -> None:
    problems = check_config(write_config(text), models_dir=fake_models_dir)
    assert problems, "expected a problem"
    first = problems[0]
    assert (first.line, first.key_path) == (expected_line, expected_key_path)
    assert first.message.startswith(expected_message)


def test_yaml_merge_keys_are_not_duplicates(write_config: WriteConfig, fake_models_dir: Path) -> None:
    text = """\
store_id: s
cameras:
  - &base {id: a, source: 0, detector: {conf_threshold: 0.2}}
  - <<: *base
    id: b
"""
    assert check_config(write_config(text), models_dir=fake_models_dir) == []
    assert load_config(write_config(text)).cameras[1].detector.conf_threshold == 0.2


def test_unreadable_file_is_a_problem_without_line(tmp_path: Path) -> None:
    (problem,) = check_config(tmp_path / "missing.yaml")
    assert problem.line is None
    assert problem.message == "cannot read the file: No such file or directory"
    with pytest.raises(ConfigError, match=r"1 config problem in .*missing\.yaml"):
        load_config(tmp_path / "missing.yaml")


def _marked_lines(path: Path) -> list[int]:
    return [number for number, line in enumerate(path.read_text().splitlines(), 1) if "# MISTAKE" in line]


BAD_FIVE_KEY_PATHS = [
    "dwell.exit_grace_s",
    "cameras[0].detct_fps",
    "cameras[0].zones[0].polygon",
    "cameras[1].zones[0].polygon[1]",
    "cameras[1].zones[1].id",
]


def test_bad_five_reports_all_five_at_their_lines(bad_five_copy: Path) -> None:
    problems = check_config(bad_five_copy)
    assert [(p.line, p.key_path) for p in problems] == list(
        zip(_marked_lines(bad_five_copy), BAD_FIVE_KEY_PATHS, strict=True)
    )
    messages = [p.message for p in problems]
    assert messages[0] == "must be >= 0 seconds, got -2"
    assert messages[1] == "unknown key 'detct_fps' — did you mean 'detect_fps'?"
    assert messages[2] == "polygon needs >= 3 points, got 2"
    assert messages[3].startswith("point 1 is [1.4, 0.1]")
    assert messages[4].startswith("zone id 'floor-1' is already used by cameras[0].zones[1]")


def test_load_config_raises_every_problem(bad_five_copy: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(bad_five_copy)
    assert [p.key_path for p in info.value.problems] == BAD_FIVE_KEY_PATHS
    assert str(info.value).startswith(f"5 config problems in {bad_five_copy}:\n  {bad_five_copy}:8: dwell.exit_grace_s")


def test_all_kinds_of_problems_are_collected_in_one_pass(write_config: WriteConfig, tmp_path: Path) -> None:
    text = """\
store_id: s
store_id: t
cameras:
  - id: a
    source: 0
    model: ./absent.onnx
    zones:
      - {id: z1, kind: shelf, polygon: [[0, 0], [1, 0]]}
      - {id: z2, kind: standing, shelf_id: nope, polygon: [[0, 0], [1, 0], [1, 1]]}
  - id: a
    source: 1
    zones:
      - {id: z1, kind: aisle, polygon: [[0, 0], [1, 0], [1, 1]]}
"""
    problems = check_config(write_config(text), models_dir=tmp_path / "models")
    assert [(p.line, p.key_path) for p in problems] == [
        (2, "store_id"),  # duplicate YAML key
        (6, "cameras[0].model"),  # missing model file, although other fields failed
        (8, "cameras[0].zones[0].polygon"),  # field rule
        (9, "cameras[0].zones[1].shelf_id"),  # cross-reference inside a camera
        (10, "cameras[1].id"),  # duplicate camera id
        (10, "cameras[1].model"),  # default manifest model absent from the empty models dir
        (13, "cameras[1].zones[0].id"),  # duplicate zone id across cameras
    ]
    assert "model file" in problems[1].message and "absent.onnx" in problems[1].message


def test_load_config_text_and_problem_format(minimal_store_config: Any) -> None:
    import yaml

    config = load_config_text(yaml.safe_dump(minimal_store_config()))
    assert isinstance(config, EdgeConfig)
    with pytest.raises(ConfigError) as info:
        load_config_text("store_id: s\n", source="inline")
    assert str(info.value.problems[0]) == (
        "inline:1: cameras: missing required key 'cameras' (fix: add `cameras:` — The cameras this box "
        "processes; camera ids unique, zone ids unique across all cameras.)"
    )
    assert str(ConfigProblem("f.yaml", "", None, "m", "x")) == "f.yaml: m (fix: x)"
    assert re.fullmatch(r"f\.yaml:3: a\[0\]\.b: m \(fix: x\)", str(ConfigProblem("f.yaml", "a[0].b", 3, "m", "x")))
