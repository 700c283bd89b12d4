"""Memory stays bounded on a stream that runs for weeks: dead tracks leave nothing behind.

A week at 5 fps is about 3 million frames, with a few thousand shoppers. Rather than feed that many frames,
this feeds the births and deaths of a much longer stream at speed: one million tracks, each born, confirmed
(given an id), lost and dropped, 100 of them per frame over 10,000 frames. tracemalloc (which slows allocation
threefold, so it is switched on only for the last 3,000 frames) must see no growth over the last 2,000: a leak
of a single byte per track would show as 200 kB.
"""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.tracking.bytetrack import ByteTracker, TrackerSettings
from shelfsight.vision.tracking.relink import FragmentRelinker, RelinkSettings

pytestmark = pytest.mark.slow  # tens of seconds of computation on 2 cores

PER_FRAME = 100
FRAMES = 10_000
TRACE_FROM = 7_000
BASELINE_AT = 8_000
ALLOWED_GROWTH_BYTES = 64 * 1024


def _group(frame: int) -> FrameDetections:
    """The 100 boxes born at ``frame``: a row of boxes in band ``frame % 4``, so groups two frames apart never
    overlap and every group is a new set of people."""
    band = frame % 4
    x = np.arange(PER_FRAME, dtype=np.float32) * 20.0
    y = np.full(PER_FRAME, band * 200.0, np.float32)
    xyxy = np.stack([x, y, x + 15.0, y + 150.0], axis=1)
    confidence = np.full(PER_FRAME, 0.9, np.float32)
    return FrameDetections(xyxy=xyxy, confidence=confidence, class_id=np.zeros(PER_FRAME, np.int64))


def _frame(frame: int) -> FrameDetections:
    """Group ``frame`` (first sight) plus group ``frame - 1`` (second sight, which confirms it)."""
    fresh, second = _group(frame), _group(frame - 1)
    return FrameDetections(
        xyxy=np.concatenate([fresh.xyxy, second.xyxy]),
        confidence=np.concatenate([fresh.confidence, second.confidence]),
        class_id=np.concatenate([fresh.class_id, second.class_id]),
        captured_at=float(frame),  # one second apart: a group lost in one frame is past the buffer at once
        frame_seq=frame,
    )


def test_one_million_tracks_born_and_dropped_in_bounded_memory() -> None:
    relinker = FragmentRelinker(RelinkSettings(max_pool=64))
    tracker = ByteTracker(TrackerSettings(lost_track_buffer_s=0.5), relinker=relinker)
    frames = [_frame(k) for k in range(4)]  # the inputs repeat with period 4 (bands), times are set per call
    baseline = current = 0
    peak_live = 0
    try:
        for k in range(FRAMES + 1):
            template = frames[k % 4]
            dets = FrameDetections(
                xyxy=template.xyxy, confidence=template.confidence, class_id=template.class_id, captured_at=float(k)
            )
            tracker.update(dets)
            peak_live = max(peak_live, tracker.live_tracks)
            if k == TRACE_FROM:
                tracemalloc.start()
            elif k == BASELINE_AT:
                gc.collect()  # reference cycles are freed by the collector, not at once: count only what lives
                baseline, _ = tracemalloc.get_traced_memory()
        gc.collect()
        current, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert tracker.id_counter.issued - 1 == FRAMES * PER_FRAME, "every group was confirmed: 1,000,000 ids"
    assert peak_live <= 3 * PER_FRAME, f"live tracks must stay bounded, peaked at {peak_live}"
    assert len(relinker) <= 64
    assert current - baseline < ALLOWED_GROWTH_BYTES, f"memory grew by {current - baseline} bytes after warm-up"
