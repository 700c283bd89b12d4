"""`CameraPipeline`, which every runner drives: a real tracker and event engine on a shopper standing in a lane,
and the camera's status events in order with the visit's events (online first, offline last, visits closed
before a stream stops or the disk fills)."""

from __future__ import annotations

import numpy as np
import pytest

from shelfsight.pipeline.assembly import build_tracker
from shelfsight.pipeline.camera_pipeline import ENDED, OPENED, CameraPipeline, stamp_detections
from shelfsight.pipeline.edge.camera_state import DISK_FREE, DISK_FULL, RESUMED, UNCLEAN_STOP
from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.events.contract import AnyEvent, CameraStatusEvent
from tests.pipeline.test_assembly import FRAME_HW, store

T0 = 1_767_603_600.0
FPS = 5.0
IMAGE = np.zeros((*FRAME_HW, 3), np.uint8)
DWELL = {"min_dwell_s": 1.0, "entry_debounce_s": 0.2, "exit_grace_s": 0.5}


def _pipeline() -> CameraPipeline:
    config = store({"dwell": DWELL}, {"detect_fps": FPS})
    camera = config.cameras[0]
    tracker = build_tracker(camera, config.tracker_for(camera.id), models_dir=None, reid=False)
    return CameraPipeline(config=config, camera=camera, tracker=tracker)


def _shopper(index: int) -> FrameDetections:
    """A shopper standing inside the lane (pixels x 300..340, feet at y 340), at frame ``index``."""
    found = FrameDetections(
        np.array([[300.0, 150.0, 340.0, 340.0]], np.float32),
        np.full(1, 0.9, np.float32),
        np.zeros(1, np.int64),
        frame_size=FRAME_HW,
    )
    return stamp_detections(found, "cam-1", index, T0 + index / FPS)


def _stand(pipeline: CameraPipeline, frames: int) -> list[AnyEvent]:
    return [event for i in range(frames) for event in pipeline.step(_shopper(i), IMAGE).events]


def _statuses(events: list[AnyEvent]) -> list[tuple[str, str, float]]:
    return [(e.status, e.reason, e.ts) for e in events if isinstance(e, CameraStatusEvent)]


def test_a_replayed_source_opens_at_its_first_frame_and_ends_one_frame_after_its_last() -> None:
    pipeline = _pipeline()
    events = pipeline.capture("online", OPENED, T0) + _stand(pipeline, 20)
    events += pipeline.finish()
    assert _statuses(events) == [("online", OPENED, T0), ("offline", ENDED, T0 + 19 / FPS + 1 / FPS)]
    assert isinstance(events[0], CameraStatusEvent) and events[0].fps == FPS
    assert isinstance(events[-1], CameraStatusEvent)  # after the visit it closed
    assert [e.type for e in events].count("dwell") == 1, [e.type for e in events]
    assert pipeline.finish() == []  # visits closed, offline recorded: nothing twice


def test_a_stage_that_hears_only_frames_records_online_with_the_first_frame() -> None:
    pipeline = _pipeline()
    events = pipeline.step(_shopper(0), IMAGE).events
    assert _statuses(events) == [("online", RESUMED, T0)]


def test_a_stream_that_breaks_closes_the_visit_before_recording_offline() -> None:
    pipeline = _pipeline()
    pipeline.capture("online", OPENED, T0)
    assert "dwell_started" in [e.type for e in _stand(pipeline, 20)]
    events = pipeline.capture("offline", "stream lost", T0 + 10)
    assert [e.type for e in events] == ["dwell", "camera_status"]
    assert _statuses(events) == [("offline", "stream lost", T0 + 10)]


def test_a_full_disk_closes_the_visit_and_degrades_the_camera_until_it_has_room() -> None:
    pipeline = _pipeline()
    pipeline.capture("online", OPENED, T0)
    _stand(pipeline, 20)
    full = pipeline.disk(True, T0 + 5, DISK_FULL)
    assert [e.type for e in full] == ["dwell", "camera_status"] and _statuses(full) == [("degraded", DISK_FULL, T0 + 5)]
    assert pipeline.disk(True, T0 + 6, DISK_FULL) == []  # only changes are recorded
    assert _statuses(pipeline.disk(False, T0 + 7, DISK_FREE)) == [("online", DISK_FREE, T0 + 7)]


def test_an_edge_stop_is_recorded_with_its_reason_and_time() -> None:
    pipeline = _pipeline()
    pipeline.capture("online", OPENED, T0)
    _stand(pipeline, 3)
    assert _statuses(pipeline.finish("edge stopped", T0 + 30)) == [("offline", "edge stopped", T0 + 30)]
    with pytest.raises(ValueError, match="time"):
        _pipeline().finish("edge stopped")


def test_a_source_with_no_frame_records_nothing() -> None:
    assert _pipeline().finish() == []


def test_an_unclean_stop_is_recorded_once_at_the_last_frame_seen() -> None:
    pipeline = _pipeline()
    assert _statuses(pipeline.unclean_stop("online", T0 - 60)) == [("offline", UNCLEAN_STOP, T0 - 60)]
    assert _pipeline().unclean_stop("offline", T0 - 60) == []
    assert _statuses(pipeline.step(_shopper(0), IMAGE).events) == [("online", RESUMED, T0)]
