"""CameraConfig: source forms and their derived kind, rate and model rules, detector defaults."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shelfsight.edge_config.camera import DEFAULT_MODEL, CameraConfig, SourceKind, source_kind_of
from shelfsight.edge_config.detector import DetectorConfig


def camera(**fields: Any) -> CameraConfig:
    return CameraConfig.model_validate({"id": "cam-1", "source": 0, **fields})


@pytest.mark.parametrize(
    ("source", "expected_kind"),
    [
        ("videos/aisle.mp4", SourceKind.FILE),
        ("/srv/footage/store 1/cam.mkv", SourceKind.FILE),
        ("C:\\footage\\cam.mp4", SourceKind.FILE),
        ("rtsp://10.0.0.5:554/stream1", SourceKind.RTSP),
        ("rtsps://user:secret@cam.local/live", SourceKind.RTSP),
        ("RTSP://10.0.0.5/stream1", SourceKind.RTSP),
        ("http://10.0.0.6/mjpeg", SourceKind.HTTP),
        ("https://cam.example/stream.m3u8", SourceKind.HTTP),
        (0, SourceKind.USB),
        (3, SourceKind.USB),
        ("synthetic:demo_aisle", SourceKind.SYNTHETIC),
    ],
)
def test_source_kind_is_derived(source: str | int, expected_kind: SourceKind) -> None:
    cam = camera(source=source)
    assert cam.source == source
    assert cam.source_kind is expected_kind
    assert source_kind_of(source) is expected_kind
    assert cam.model_dump()["source_kind"] == expected_kind


@pytest.mark.parametrize(
    ("source", "expected_error"),
    [
        (-1, "USB camera index must be >= 0, got -1"),
        (True, "got true"),
        (1.5, "got float"),
        (["rtsp://a/b"], "got list"),
        ("", "got an empty string"),
        ("0", "'0' is a quoted number"),
        ("udp://10.0.0.5:1234", "unsupported stream scheme 'udp'"),
        ("rtsp:///stream1", "has no host"),
        ("synthetic:", "synthetic:<scenario> needs"),
        ("synthetic:Demo Aisle", "got 'Demo Aisle'"),
    ],
)
def test_invalid_sources_say_what_is_valid(source: object, expected_error: str) -> None:
    with pytest.raises(ValidationError, match=r"(?s)" + expected_error.replace("(", r"\(").replace("[", r"\[")):
        camera(source=source)


@pytest.mark.parametrize(
    ("fps", "expected_error"),
    [(5, None), (0.5, None), (60, None), (0, "greater_than"), (-5, "greater_than"), (61, "less_than_equal")],
)
def test_detect_fps_bounds(fps: float, expected_error: str | None) -> None:
    if expected_error is None:
        assert camera(detect_fps=fps).detect_fps == fps
        return
    with pytest.raises(ValidationError) as info:
        camera(detect_fps=fps)
    assert info.value.errors()[0]["type"] == expected_error


@pytest.mark.parametrize(
    ("model", "expected_error"),
    [
        ("yolox_nano_416", None),
        ("models/person.onnx", None),
        ("/opt/models/person.onnx", None),
        ("models/person", "a model path must end in .onnx"),
        ("", "at least 1 character"),
    ],
)
def test_model_reference_form(model: str, expected_error: str | None) -> None:
    if expected_error is None:
        assert camera(model=model).model == model
        return
    with pytest.raises(ValidationError, match=expected_error):
        camera(model=model)


def test_defaults() -> None:
    cam = camera()
    assert cam.detect_fps == 5.0
    assert cam.model == DEFAULT_MODEL
    assert cam.detector == DetectorConfig(conf_threshold=0.3, nms_iou_threshold=0.45, class_ids=[0])
    assert cam.zones == []


@pytest.mark.parametrize(
    ("detector", "expected_type"),
    [
        ({"conf_threshold": 1.2}, "less_than_equal"),
        ({"nms_iou_threshold": -0.1}, "greater_than_equal"),
        ({"class_ids": []}, "too_short"),
        ({"class_ids": [-1]}, "greater_than_equal"),
        ({"type": "tensorrt"}, "literal_error"),
        ({"conf": 0.5}, "extra_forbidden"),
    ],
)
def test_detector_settings_are_bounded(detector: dict[str, Any], expected_type: str) -> None:
    with pytest.raises(ValidationError) as info:
        camera(detector=detector)
    assert info.value.errors()[0]["type"] == expected_type


def test_standing_zone_must_name_a_shelf_of_the_same_camera() -> None:
    zones = [
        {"id": "aisle-1", "kind": "aisle", "polygon": [[0, 0], [1, 0], [1, 1]]},
        {"id": "floor-1", "kind": "standing", "shelf_id": "aisle-1", "polygon": [[0, 0], [1, 0], [1, 1]]},
    ]
    with pytest.raises(ValidationError, match="shelf_id 'aisle-1' is a zone of kind 'aisle', not a shelf") as info:
        camera(zones=zones)
    assert info.value.errors()[0]["ctx"]["at"] == ("zones", 1, "shelf_id")
