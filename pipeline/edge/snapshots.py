"""Audit frames on the box's own disk: the frame at each shelf event, only when ``privacy.store_frames`` is on.

A merchandiser who doubts a pick-up can look at the shelf as the box saw it then. Each frame is written as
``frames/<camera>/<ms since 1970>-<type>-<event id>.jpg`` beside the spool, with people's heads pixelated unless
``privacy.blur_faces`` is false (`shelfsight.vision.privacy`), and deleted ``privacy.stored_frames_retention_h`` after
it was written.
Nothing here sends a frame anywhere. A frame that cannot be written (a full disk) is skipped and counted:
audit frames never hold up events.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2

from shelfsight.edge_config.privacy import PrivacyConfig
from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.events.contract import AnyEvent
from shelfsight.vision.privacy import Image, blur_heads

logger = logging.getLogger(__name__)

SNAPSHOT_TYPES = frozenset({"touch", "pickup", "putback", "dwell_started"})
"""Events worth a frame: what happened at a shelf. Dwell ends and camera statuses are not."""
SWEEP_EVERY_S = 60.0
JPEG_QUALITY = 85


class EventSnapshots:
    """Writes and expires one camera's audit frames.

    Args:
        folder: ``frames/<camera>`` (created).
        privacy: The config's privacy section (blur, retention).
        person_class: Class index of people in the detections (heads are blurred on those).
        clock: Wall clock, UTC epoch seconds (tests move it).
    """

    def __init__(
        self, folder: Path, privacy: PrivacyConfig, *, person_class: int = 0, clock: Callable[[], float] = time.time
    ) -> None:
        with contextlib.suppress(OSError):  # a full disk: each save then fails and is counted, the stage runs on
            folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.privacy, self.person_class, self.clock = folder, privacy, person_class, clock
        self.written = 0
        self.failed = 0
        self.expired = 0
        self._swept_at = float("-inf")

    def save(self, events: Sequence[AnyEvent], image: Image, detections: FrameDetections) -> int:
        """Write ``image`` once per shelf event among ``events``; returns how many files were written."""
        wanted = [event for event in events if event.type in SNAPSHOT_TYPES]
        self.sweep()
        if not wanted:
            return 0
        frame = blur_heads(image, detections, self.person_class) if self.privacy.blur_faces else image
        written = 0
        for event in wanted:
            path = self.folder / f"{round(event.ts * 1000)}-{event.type}-{event.event_id}.jpg"
            if _write_jpeg(path, frame):
                written += 1
                continue
            self.failed += 1
            with contextlib.suppress(OSError):  # a partly written file on a full disk
                path.unlink(missing_ok=True)
            if self.failed == 1:
                logger.warning("cannot write audit frame %s (disk full?); skipping audit frames", path)
        self.written += written
        return written

    def sweep(self, *, force: bool = False) -> int:
        """Delete frames older than the retention (at most once a minute unless ``force``); returns how many."""
        now = self.clock()
        if not force and now - self._swept_at < SWEEP_EVERY_S:
            return 0
        self._swept_at = now
        cutoff = now - self.privacy.stored_frames_retention_h * 3600.0
        removed = 0
        for path in self.folder.glob("*.jpg"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:  # when it was stored: a replayed file's events are old
                    path.unlink()
                    removed += 1
        self.expired += removed
        return removed


def _write_jpeg(path: Path, image: Image) -> bool:
    try:
        return bool(cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]))
    except cv2.error:
        return False
