"""ByteTracker lifecycles, frame by frame: birth delay, occlusion within the lost buffer, death after it (in
seconds, at several fps), the second (low-score) association stage, id uniqueness, per-camera id spaces."""

from __future__ import annotations

import numpy as np
import pytest

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.tracking.bytetrack import ByteTracker, TrackerSettings
from shelfsight.vision.tracking.ids import IdCounter
from shelfsight.vision.tracking.tracks import TrackState
from tests.builders import make_dets, walk

A = [100.0, 100.0, 160.0, 280.0]  # a shopper, 60x180 px
B = [600.0, 100.0, 660.0, 280.0]


def ids(out: FrameDetections) -> list[int]:
    assert out.tracker_id is not None
    return out.tracker_id.tolist()


def states(out: FrameDetections) -> list[int]:
    return out.data["state"].tolist()


@pytest.mark.parametrize("frames_needed", [1, 2, 3])
def test_birth_needs_consecutive_frames(frames_needed: int) -> None:
    tracker = ByteTracker(TrackerSettings(minimum_consecutive_frames=frames_needed))
    for step in range(frames_needed - 1):
        out = tracker.update(make_dets([A], t=0.1 * step))
        assert len(out) == 0, f"frame {step}: tentative track must not be reported"
    out = tracker.update(make_dets([A], t=0.1 * (frames_needed - 1)))
    assert ids(out) == [1]
    assert states(out) == [TrackState.TRACKED]
    assert out.data["age_s"][0] == pytest.approx(0.1 * (frames_needed - 1))
    assert out.data["detection_index"].tolist() == [0]


def test_a_miss_resets_a_tentative_track() -> None:
    tracker = ByteTracker(TrackerSettings(minimum_consecutive_frames=2))
    assert len(tracker.update(make_dets([A], t=0.0))) == 0
    assert len(tracker.update(make_dets([], t=0.1))) == 0
    assert tracker.live_tracks == 0  # the unmatched tentative track is dropped at once
    assert len(tracker.update(make_dets([A], t=0.2))) == 0
    assert ids(tracker.update(make_dets([A], t=0.3))) == [1]


def test_low_score_detection_never_starts_a_track() -> None:
    tracker = ByteTracker()
    for step in range(5):
        assert len(tracker.update(make_dets([A], 0.3, t=0.1 * step))) == 0
    assert tracker.id_counter.issued == 1


def test_occlusion_within_the_lost_buffer_keeps_the_id() -> None:
    """A walker hidden for 1.0 s (buffer 1.5 s) is re-found at the predicted place with the same id."""
    fps, velocity = 10.0, (80.0, 0.0)
    tracker = ByteTracker(TrackerSettings(lost_track_buffer_s=1.5, report_lost=True))
    timeline: list[tuple[float, list[int], list[int]]] = []
    for frame in range(40):
        t = frame / fps
        hidden = 1.0 <= t < 2.0
        out = tracker.update(make_dets([] if hidden else [walk(A, velocity, t)], t=t))
        timeline.append((t, ids(out), states(out)))
    for t, got_ids, got_states in timeline[1:]:
        assert got_ids == [1], f"t={t}: expected id 1, got {got_ids}"
        hidden = 1.0 <= t < 2.0
        assert got_states == [TrackState.LOST if hidden else TrackState.TRACKED], f"t={t}"
    assert tracker.id_counter.issued == 2


def test_lost_track_reports_predicted_box_and_no_detection() -> None:
    tracker = ByteTracker(TrackerSettings(report_lost=True))
    for frame in range(5):
        tracker.update(make_dets([walk(A, (100.0, 0.0), frame * 0.1)], t=frame * 0.1))
    out = tracker.update(make_dets([], t=0.5))
    assert states(out) == [TrackState.LOST]
    assert out.data["detection_index"].tolist() == [-1]
    assert out.xyxy[0, 0] == pytest.approx(A[0] + 50.0, abs=8.0)  # moved on at ~100 px/s


@pytest.mark.parametrize("fps", [5.0, 10.0, 30.0])
@pytest.mark.parametrize(("gap_s", "same_id"), [(1.4, True), (1.7, False)])
def test_death_after_the_buffer_is_measured_in_seconds(fps: float, gap_s: float, same_id: bool) -> None:
    """Buffer 1.5 s: a standing shopper missing for 1.4 s keeps the id, one missing 1.7 s gets a new one,
    whatever the frame rate (time comes from captured_at, not from counting frames)."""
    tracker = ByteTracker(TrackerSettings(lost_track_buffer_s=1.5))
    t, step = 0.0, 1.0 / fps
    for _ in range(3):
        out = tracker.update(make_dets([A], t=t))
        t += step
    assert ids(out) == [1]
    last_seen = t - step
    while t < last_seen + gap_s - 1e-9:
        assert len(tracker.update(make_dets([], t=t))) == 0
        t += step
    reappeared_at = last_seen + gap_s
    out = tracker.update(make_dets([A], t=reappeared_at))
    if same_id:
        assert ids(out) == [1]
    else:
        assert len(out) == 0 and tracker.live_tracks == 1, "the old track is gone, a tentative one was born"
        assert ids(tracker.update(make_dets([A], t=reappeared_at + step))) == [2]


def test_second_stage_rescues_a_low_score_detection() -> None:
    """A half-hidden shopper scoring 0.3 (below the 0.5 high threshold) keeps their track through stage 2."""
    tracker = ByteTracker()
    for frame in range(3):
        tracker.update(make_dets([A, B], t=frame * 0.1))
    out = tracker.update(make_dets([B, A], [0.9, 0.3], t=0.3))
    assert sorted(ids(out)) == [1, 2]
    rescued = ids(out).index(1)
    assert out.data["detection_index"][rescued] == 1
    assert out.confidence[rescued] == pytest.approx(0.3)
    assert states(out) == [TrackState.TRACKED, TrackState.TRACKED]


def test_second_stage_only_serves_tracks_seen_in_the_previous_frame() -> None:
    tracker = ByteTracker(TrackerSettings(report_lost=True))
    for frame in range(3):
        tracker.update(make_dets([A], t=frame * 0.1))
    assert states(tracker.update(make_dets([], t=0.3))) == [TrackState.LOST]
    out = tracker.update(make_dets([A], 0.3, t=0.4))  # lost tracks match only confident boxes
    assert states(out) == [TrackState.LOST]


def test_crossing_walkers_keep_their_ids() -> None:
    """Two shoppers walk past each other at 10 fps; at the crossing the rear one scores low or is missed."""
    tracker = ByteTracker()
    left, right = [100.0, 200.0, 160.0, 380.0], [700.0, 210.0, 760.0, 390.0]
    seen: dict[int, list[float]] = {}
    for frame in range(60):
        t = frame / 10.0
        a, b = walk(left, (100.0, 0.0), t), walk(right, (-100.0, 0.0), t)
        crossing = abs(a[0] - b[0]) < 60
        boxes, scores = ([a, b], [0.9, 0.2]) if crossing else ([a, b], [0.9, 0.9])
        if crossing and frame % 2:
            boxes, scores = [a], [0.9]
        out = tracker.update(make_dets(boxes, scores, t=t))
        for track_id, box in zip(ids(out), out.xyxy.tolist(), strict=True):
            seen.setdefault(track_id, []).append(box[0])
    assert sorted(seen) == [1, 2]
    assert seen[1][-1] > seen[1][0] and seen[2][-1] < seen[2][0], "each id kept its own direction"


def test_ids_are_never_reused() -> None:
    tracker = ByteTracker(TrackerSettings(lost_track_buffer_s=0.2))
    issued: list[int] = []
    t = 0.0
    for round_ in range(30):
        box = walk(A, (0.0, 0.0), 0.0) if round_ % 2 else B
        for _ in range(2):
            issued += ids(tracker.update(make_dets([box], t=t)))
            t += 0.1
        t += 1.0  # gone past the buffer
        tracker.update(make_dets([], t=t))
        if round_ == 15:
            tracker.reset()
    distinct = sorted(set(issued))
    assert distinct == list(range(1, 31)), "one fresh id per visit, in order, none twice, reset included"


def test_cameras_have_independent_id_spaces() -> None:
    front = ByteTracker(id_counter=IdCounter(), camera_id="front")
    back = ByteTracker(id_counter=IdCounter(), camera_id="back")
    for frame in range(3):
        out_front = front.update(make_dets([A, B], t=frame * 0.1, camera_id="front"))
        out_back = back.update(make_dets([A], t=frame * 0.1, camera_id="back"))
    assert sorted(ids(out_front)) == [1, 2]
    assert ids(out_back) == [1]
    assert out_back.camera_id == "back"


def test_a_shared_counter_makes_ids_unique_across_cameras() -> None:
    counter = IdCounter(start=100)
    one, two = ByteTracker(id_counter=counter), ByteTracker(id_counter=counter)
    for frame in range(2):
        a = one.update(make_dets([A], t=frame * 0.1))
        b = two.update(make_dets([A], t=frame * 0.1))
    assert ids(a) == [100] and ids(b) == [101]


def test_output_links_back_to_input_rows_and_carries_keypoints() -> None:
    tracker = ByteTracker()
    keypoints = np.zeros((2, 17, 3), np.float32)
    keypoints[1, :, 2] = 0.8
    for frame in range(3):
        dets = make_dets([A, B], [0.9, 0.8], t=frame * 0.1)
        dets = FrameDetections(
            xyxy=dets.xyxy[::-1].copy(), confidence=dets.confidence[::-1].copy(), class_id=dets.class_id,
            keypoints=keypoints, captured_at=dets.captured_at, camera_id="cam", frame_seq=frame,
        )  # fmt: skip
        out = tracker.update(dets)
    index = out.data["detection_index"]
    np.testing.assert_array_equal(out.xyxy, dets.xyxy[index])
    assert out.keypoints is not None
    np.testing.assert_array_equal(out.keypoints, keypoints[index])
    assert out.frame_seq == 2
    np.testing.assert_allclose(out.foot_points, np.stack([(out.xyxy[:, 0] + out.xyxy[:, 2]) / 2, out.xyxy[:, 3]], 1))


def test_empty_frames_are_fine_before_anything_was_seen() -> None:
    tracker = ByteTracker()
    for frame in range(3):
        out = tracker.update(make_dets([], t=frame * 0.1))
        assert len(out) == 0 and out.tracker_id is not None and out.data["state"].dtype == np.int8


@pytest.mark.parametrize(
    ("dets", "error"),
    [
        (make_dets([A], t=0.05), "captured_at went backwards"),
        (make_dets([A], t=0.2, camera_id="other"), "use one tracker per camera"),
    ],
)
def test_contract_violations_fail_fast(dets: FrameDetections, error: str) -> None:
    tracker = ByteTracker(camera_id="cam")
    tracker.update(make_dets([A], t=0.1))
    with pytest.raises(ValueError, match=error):
        tracker.update(dets)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"high_confidence_threshold": 1.5}, "high_confidence_threshold must be within 0..1, got 1.5"),
        ({"low_confidence_threshold": 0.6}, "low_confidence_threshold must be <= high_confidence_threshold"),
        ({"minimum_consecutive_frames": 0}, "minimum_consecutive_frames must be >= 1, got 0"),
        ({"lost_track_buffer_s": -1.0}, "lost_track_buffer_s must be >= 0 seconds, got -1.0"),
    ],
)
def test_settings_name_the_bad_value(kwargs: dict[str, float], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        TrackerSettings(**kwargs)  # type: ignore[arg-type]
