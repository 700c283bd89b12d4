"""Builders for per-frame containers in tests: terse boxes in, valid ``FrameDetections`` out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from shelfsight.vision.detections import FrameDetections

Box = Sequence[float]


def make_dets(
    boxes: Sequence[Box] = (),
    scores: Sequence[float] | float = 0.9,
    *,
    t: float = 0.0,
    camera_id: str = "cam",
    frame_seq: int = 0,
    class_id: int = 0,
    frame_size: tuple[int, int] = (720, 1280),
) -> FrameDetections:
    """Detections of one frame: xyxy ``boxes`` with ``scores`` (one value for all, or one per box), at time ``t``."""
    n = len(boxes)
    score_list = [float(scores)] * n if isinstance(scores, (int, float)) else [float(s) for s in scores]
    if len(score_list) != n:
        raise ValueError(f"make_dets: {n} boxes but {len(score_list)} scores")
    return FrameDetections(
        xyxy=np.asarray(boxes, np.float32).reshape(n, 4),
        confidence=np.asarray(score_list, np.float32),
        class_id=np.full((n,), class_id, np.int64),
        camera_id=camera_id,
        frame_seq=frame_seq,
        captured_at=t,
        frame_size=frame_size,
    )


def make_tracks(
    boxes: Sequence[Box],
    ids: Sequence[int],
    scores: Sequence[float] | float = 0.9,
    *,
    t: float = 0.0,
    camera_id: str = "cam",
    frame_seq: int = 0,
    states: Sequence[int] | None = None,
) -> FrameDetections:
    """Tracker output of one frame: ``make_dets`` plus ``tracker_id`` and the tracker's ``data`` columns.

    ``state`` defaults to 1 (tracked), ``age_s`` to 0 and ``detection_index`` to the row number.
    """
    dets = make_dets(boxes, scores, t=t, camera_id=camera_id, frame_seq=frame_seq)
    n = len(dets)
    if len(ids) != n:
        raise ValueError(f"make_tracks: {n} boxes but {len(ids)} ids")
    return FrameDetections(
        xyxy=dets.xyxy,
        confidence=dets.confidence,
        class_id=dets.class_id,
        tracker_id=np.asarray(ids, np.int64),
        camera_id=camera_id,
        frame_seq=frame_seq,
        captured_at=t,
        frame_size=dets.frame_size,
        data={
            "state": np.asarray(states if states is not None else [1] * n, np.int8),
            "age_s": np.zeros((n,), np.float32),
            "detection_index": np.arange(n, dtype=np.int64),
        },
    )


def walk(start: Box, velocity_px_s: tuple[float, float], t: float) -> list[float]:
    """Box ``start`` (xyxy) moved by ``velocity_px_s`` for ``t`` seconds."""
    dx, dy = velocity_px_s[0] * t, velocity_px_s[1] * t
    return [start[0] + dx, start[1] + dy, start[2] + dx, start[3] + dy]
