"""The trackers compared in the tracking benchmark, behind one small interface.

Ours (``ByteTracker`` with fragment re-linking), supervision's ``ByteTrack`` and Ultralytics' ``BYTETracker`` and
``BOTSORT``, each with its own defaults (what its users run), told the true frame rate so that their frame-counted
lost buffers last their intended time. BoT-SORT runs without global motion compensation (store cameras are
fixed, and the noisy-ground-truth sequences have no pixels) and without its ReID (off by default).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.tracking.bytetrack import ByteTracker, TrackerSettings
from shelfsight.vision.tracking.ids import IdCounter
from shelfsight.vision.tracking.reid import AppearanceModel
from shelfsight.vision.tracking.relink import FragmentRelinker, RelinkSettings

Image = npt.NDArray[np.uint8]


class Stepper(Protocol):
    """One tracker instance: detections (and the frame, if it has one) in, (ids, xyxy boxes) out."""

    def __call__(
        self, dets: FrameDetections, image: Image | None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Advance one frame."""
        ...


@dataclass(frozen=True)
class Contender:
    """A tracker in the comparison: its name and a factory taking the frame rate."""

    name: str
    make: Callable[[float], Stepper]


def ours(appearance: AppearanceModel | None = None) -> Contender:
    """shelfsight's tracker with default settings and fragment re-linking (ReID when ``appearance`` is given)."""

    def make(fps: float) -> Stepper:
        tracker = ByteTracker(
            TrackerSettings(), id_counter=IdCounter(), relinker=FragmentRelinker(RelinkSettings(), appearance)
        )

        def step(dets: FrameDetections, image: Image | None) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
            out = tracker.update(dets, image)
            assert out.tracker_id is not None
            return out.tracker_id, out.xyxy

        return step

    return Contender("shelfsight" + (" +ReID" if appearance is not None else ""), make)


def supervision_bytetrack() -> Contender:
    """``supervision.ByteTrack`` with its defaults."""
    import supervision as sv

    def make(fps: float) -> Stepper:
        tracker = sv.ByteTrack(frame_rate=round(fps))

        def step(dets: FrameDetections, image: Image | None) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
            detections = sv.Detections(
                xyxy=dets.xyxy.astype(np.float32), confidence=dets.confidence, class_id=dets.class_id
            )
            out = tracker.update_with_detections(detections)
            ids = np.zeros(0, np.int64) if out.tracker_id is None else out.tracker_id.astype(np.int64)
            return ids, np.asarray(out.xyxy, np.float32)

        return step

    return Contender("supervision.ByteTrack", make)


class _UltralyticsBoxes:
    """The slice of Ultralytics' ``Boxes`` interface its trackers read: conf, cls, xywh, masks, len."""

    def __init__(self, xyxy: npt.NDArray[np.float32], conf: npt.NDArray[np.float32], cls: npt.NDArray[np.float32]):
        self.xyxy, self.conf, self.cls = xyxy, conf, cls
        self.xywh = np.stack(
            [
                (xyxy[:, 0] + xyxy[:, 2]) / 2,
                (xyxy[:, 1] + xyxy[:, 3]) / 2,
                xyxy[:, 2] - xyxy[:, 0],
                xyxy[:, 3] - xyxy[:, 1],
            ],
            axis=1,
        )

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, index: Any) -> _UltralyticsBoxes:
        return _UltralyticsBoxes(self.xyxy[index], self.conf[index], self.cls[index])


def ultralytics_tracker(kind: str) -> Contender:
    """Ultralytics' ``BYTETracker`` (``kind="bytetrack"``) or ``BOTSORT`` (``"botsort"``) with their yaml defaults."""
    from ultralytics.trackers.bot_sort import BOTSORT
    from ultralytics.trackers.byte_tracker import BYTETracker
    from ultralytics.utils import ROOT, YAML, IterableSimpleNamespace

    config: dict[str, Any] = YAML.load(ROOT / "cfg" / "trackers" / f"{kind}.yaml")  # type: ignore[no-untyped-call]
    if kind == "botsort":
        config["gmc_method"] = "none"
    tracker_class = BOTSORT if kind == "botsort" else BYTETracker

    def make(fps: float) -> Stepper:
        # This Ultralytics counts track_buffer in frames (30 = 1 s at 30 fps); keep the intended second.
        scaled = config | {"track_buffer": max(1, round(config["track_buffer"] * fps / 30.0))}
        tracker = tracker_class(IterableSimpleNamespace(**scaled))  # type: ignore[no-untyped-call]

        def step(dets: FrameDetections, image: Image | None) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
            boxes = _UltralyticsBoxes(dets.xyxy.astype(np.float32), dets.confidence, dets.class_id.astype(np.float32))
            out = np.asarray(tracker.update(boxes, image))
            if len(out) == 0:
                return np.zeros(0, np.int64), np.zeros((0, 4), np.float32)
            return out[:, 4].astype(np.int64), out[:, :4].astype(np.float32)

        return step

    return Contender(f"ultralytics {'BoT-SORT' if kind == 'botsort' else 'BYTETracker'}", make)


def anchors() -> list[Contender]:
    """The anchors that import here (all of them in the test environment)."""
    found = []
    for build in (
        supervision_bytetrack,
        lambda: ultralytics_tracker("bytetrack"),
        lambda: ultralytics_tracker("botsort"),
    ):
        try:
            found.append(build())
        except ImportError as exc:  # an anchor that is not installed is left out of the table, and said so
            print(f"anchor left out: {exc}")
    return found
