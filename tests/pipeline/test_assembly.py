"""Building a camera's tracker, detector settings and event engine from the config: every tracker threshold and
the floor zones' anchor and border margin reach the objects that use them."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shelfsight.edge_config.events import ZoneAnchor
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.edge_config.tracker import RelinkConfig, TrackerConfig
from shelfsight.models.registry import ModelNotFoundError
from shelfsight.pipeline.assembly import build_tracker, camera_engine, detector_key, relink_settings, tracker_settings
from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.tracking.bytetrack import TrackerSettings
from shelfsight.vision.tracking.relink import RelinkSettings
from shelfsight.vision.zones import Anchor

NOT_CONFIGURABLE = {"report_lost", "noise"}  # a runner's output choice and model constants (edge_config/tracker.py)
FRAME_HW = (480, 640)


def store(
    overlay: dict[str, Any] | None = None,
    camera: dict[str, Any] | None = None,
    lane_dwell: dict[str, Any] | None = None,
) -> EdgeConfig:
    """One camera with two floor zones (pixels x 160..480: y 120..360 and y 360..480 at 640x480)."""
    lane = {"id": "lane", "kind": "checkout", "polygon": [[0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75]]}
    aisle = {"id": "aisle", "kind": "aisle", "polygon": [[0.25, 0.75], [0.75, 0.75], [0.75, 1.0], [0.25, 1.0]]}
    if lane_dwell is not None:
        lane["dwell"] = lane_dwell
    cam = {"id": "cam-1", "source": "synthetic:busy_hour", "zones": [lane, aisle]} | (camera or {})
    return EdgeConfig.model_validate({"store_id": "s1", "cameras": [cam]} | (overlay or {}))


def test_every_tracker_threshold_is_configurable() -> None:
    configurable = set(TrackerConfig.model_fields) - {"relink"}
    assert configurable == {f.name for f in dataclasses.fields(TrackerSettings)} - NOT_CONFIGURABLE
    assert set(RelinkConfig.model_fields) - {"reid"} == {f.name for f in dataclasses.fields(RelinkSettings)}


def test_defaults_are_the_trackers_own_with_the_high_threshold_from_the_detector() -> None:
    config = store()
    camera = config.cameras[0]
    assert tracker_settings(camera, config.tracker_for("cam-1")) == TrackerSettings(high_confidence_threshold=0.3)
    assert relink_settings(config.tracker_for("cam-1").relink) == RelinkSettings()


def test_camera_overrides_reach_the_tracker() -> None:
    config = store(
        {"tracker": {"lost_track_buffer_s": 3.0, "relink": {"relink_window_s": 9.0, "reid": False}}},
        {"detector": {"conf_threshold": 0.4}, "tracker": {"minimum_confirmation_s": 0.4, "relink": {"max_pool": 5}}},
    )
    # reid off in the config: no ReID model is needed, even where the runner would allow it
    tracker = build_tracker(config.cameras[0], config.tracker_for("cam-1"), models_dir=Path("/nonexistent"))
    assert tracker.settings == TrackerSettings(
        high_confidence_threshold=0.4, lost_track_buffer_s=3.0, minimum_confirmation_s=0.4
    )
    assert tracker.relinker is not None and tracker.relinker.appearance is None
    assert tracker.relinker.settings == RelinkSettings(relink_window_s=9.0, max_pool=5)


def test_reid_on_needs_the_model(tmp_path: Path) -> None:
    config = store()
    with pytest.raises(ModelNotFoundError):
        build_tracker(config.cameras[0], config.tracker_for("cam-1"), models_dir=tmp_path)
    tracker = build_tracker(config.cameras[0], config.tracker_for("cam-1"), models_dir=tmp_path, reid=False)
    assert tracker.relinker is not None and tracker.relinker.appearance is None


def test_the_detector_keeps_boxes_down_to_the_low_threshold(models_dir: Path, tmp_path: Path) -> None:
    config = store({"tracker": {"low_confidence_threshold": 0.05}})
    key = detector_key(config.cameras[0], config.tracker_for("cam-1"), config_dir=tmp_path, models_dir=models_dir)
    assert key.settings.conf_threshold == 0.05
    default = store()
    key = detector_key(default.cameras[0], default.tracker_for("cam-1"), config_dir=tmp_path, models_dir=models_dir)
    assert key.settings.conf_threshold == 0.1


def test_every_config_anchor_is_a_vision_anchor() -> None:
    assert [anchor.value for anchor in ZoneAnchor] == [anchor.value for anchor in Anchor]


def overhead_shopper(t: float) -> FrameDetections:
    """A shopper seen from above standing across the lane's bottom border: centre inside, feet in the aisle."""
    box = np.array([[300.0, 220.0, 340.0, 380.0]], np.float32)
    return FrameDetections(
        box, np.ones(1, np.float32), np.zeros(1, np.int64), tracker_id=np.array([1]), captured_at=t,
        camera_id="cam-1", frame_size=FRAME_HW,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("store_anchor", "lane_anchor", "dwelling_in"),
    [
        (None, None, ["aisle"]),  # the feet, by default: in the aisle
        (None, "centre", ["aisle", "lane"]),  # the lane by the box centre, the aisle still by the feet
        (None, "box_overlap", ["aisle", "lane"]),
        ("centre", None, ["lane"]),  # store-wide: both zones by the box centre
    ],
)
def test_the_zone_anchor_reaches_the_event_engine(
    store_anchor: str | None, lane_anchor: str | None, dwelling_in: list[str]
) -> None:
    config = store(
        {"dwell": {"anchor": store_anchor}} if store_anchor else None,
        lane_dwell={"anchor": lane_anchor, "border_margin_px": 12.0} if lane_anchor else None,
    )
    engine = camera_engine(config, config.cameras[0], FRAME_HW)
    floor = {f.zone.zone_id: f for f in engine.zones.floor}
    assert floor["aisle"].anchor is Anchor(store_anchor or "bottom_centre")
    assert floor["lane"].anchor is Anchor(lane_anchor or store_anchor or "bottom_centre")
    assert floor["lane"].rule.border_margin_px == (12.0 if lane_anchor else 8.0)
    assert floor["aisle"].rule.border_margin_px == 8.0
    events = [e for t in np.arange(0.0, 8.0, 0.2) for e in engine.update(overhead_shopper(1_767_603_600.0 + t))]
    events += engine.flush()
    assert sorted(e.zone_id for e in events if e.type == "dwell") == dwelling_in
