"""MOTChallenge text files: tracker results and ground truth, read and written column-wise.

One line per box: ``frame, id, bb_left, bb_top, bb_width, bb_height, conf, x, y, z`` (results) or
``frame, id, bb_left, bb_top, bb_width, bb_height, mark, class, visibility`` (ground truth). Frames are
1-based, boxes in pixels. The 7th column is a score in results and the "consider" mark (0 = ignore) in ground
truth; the 8th is the class in ground truth (1 = pedestrian) and -1 (world x) in results.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt

from shelfsight.vision.detections import FrameDetections

PEDESTRIAN_CLASS = 1


class MotFormatError(ValueError):
    """A MOTChallenge file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class MotTable:
    """The rows of one MOTChallenge file, as columns sorted by frame then id.

    Attributes:
        frame: (n,) int64 1-based frame numbers.
        track_id: (n,) int64 ids.
        tlwh: (n, 4) float64 left, top, width, height in pixels.
        conf: (n,) float64 7th column: score (results) or mark, 0 meaning "ignore" (ground truth).
        class_id: (n,) int64 8th column: class (ground truth; 1 = pedestrian), -1 when absent.
        visibility: (n,) float64 9th column: visible share 0..1 (ground truth), 1 when absent.
    """

    frame: npt.NDArray[np.int64]
    track_id: npt.NDArray[np.int64]
    tlwh: npt.NDArray[np.float64]
    conf: npt.NDArray[np.float64]
    class_id: npt.NDArray[np.int64]
    visibility: npt.NDArray[np.float64]

    def __post_init__(self) -> None:
        n = len(self.frame)
        for name in ("track_id", "conf", "class_id", "visibility"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"MotTable.{name} must have shape ({n},), got {getattr(self, name).shape}")
        if self.tlwh.shape != (n, 4):
            raise ValueError(f"MotTable.tlwh must have shape ({n}, 4), got {self.tlwh.shape}")

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def xyxy(self) -> npt.NDArray[np.float64]:
        """(n, 4) boxes as x1, y1, x2, y2."""
        return np.concatenate([self.tlwh[:, :2], self.tlwh[:, :2] + self.tlwh[:, 2:]], axis=1)

    @property
    def num_frames(self) -> int:
        """The largest frame number (0 for an empty table)."""
        return int(self.frame.max()) if len(self.frame) else 0

    def select(self, mask: npt.NDArray[np.bool_] | npt.NDArray[np.int64] | slice) -> MotTable:
        """The rows selected by a boolean mask, an index array or a slice."""
        return MotTable(
            self.frame[mask],
            self.track_id[mask],
            self.tlwh[mask],
            self.conf[mask],
            self.class_id[mask],
            self.visibility[mask],
        )

    def per_frame(self, num_frames: int | None = None) -> Iterator[tuple[int, MotTable]]:
        """(frame, rows of that frame) for frames 1..``num_frames`` (default: the last frame), empty ones too."""
        last = self.num_frames if num_frames is None else num_frames
        bounds = np.searchsorted(self.frame, np.arange(1, last + 2))
        for frame in range(1, last + 1):
            yield frame, self.select(slice(int(bounds[frame - 1]), int(bounds[frame])))


def mot_table(
    frame: npt.ArrayLike,
    track_id: npt.ArrayLike,
    tlwh: npt.ArrayLike,
    conf: npt.ArrayLike | None = None,
    class_id: npt.ArrayLike | None = None,
    visibility: npt.ArrayLike | None = None,
) -> MotTable:
    """A ``MotTable`` from columns (sorted by frame, then id); missing columns take their defaults."""
    frames = np.asarray(frame, np.int64).reshape(-1)
    n = len(frames)
    table = MotTable(
        frame=frames,
        track_id=np.asarray(track_id, np.int64).reshape(-1),
        tlwh=np.asarray(tlwh, np.float64).reshape(n, 4),
        conf=np.ones(n) if conf is None else np.asarray(conf, np.float64).reshape(-1),
        class_id=np.full(n, -1, np.int64) if class_id is None else np.asarray(class_id, np.int64).reshape(-1),
        visibility=np.ones(n) if visibility is None else np.asarray(visibility, np.float64).reshape(-1),
    )
    order = np.lexsort((table.track_id, table.frame))
    return table.select(order) if n else table


def read_mot(path: Path) -> MotTable:
    """Read a MOTChallenge results or ground-truth file (comma- or space-separated, 6 to 10 columns).

    Raises:
        MotFormatError: Naming the file and the first bad line.
    """
    rows: list[list[float]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text:
                continue
            fields = text.replace(",", " ").split()
            if len(fields) < 6:
                raise MotFormatError(f"{path}:{number}: expected at least 6 columns, got {len(fields)}: {text!r}")
            try:
                values = [float(v) for v in fields[:9]]
            except ValueError as exc:
                raise MotFormatError(f"{path}:{number}: not a number ({exc}): {text!r}") from None
            rows.append(values + [1.0, -1.0, 1.0][len(values) - 6 :] if len(values) < 9 else values)
    data = np.array(rows, np.float64).reshape(-1, 9)
    if len(data) and (data[:, 0] < 1).any():
        raise MotFormatError(f"{path}: frame numbers are 1-based, found {int(data[:, 0].min())}")
    return mot_table(data[:, 0], data[:, 1], data[:, 2:6], data[:, 6], data[:, 7], data[:, 8])


def format_results(frame: int, tracks: FrameDetections) -> str:
    """MOTChallenge result lines of one frame's tracks (``frame`` 1-based); empty string for no tracks."""
    if tracks.tracker_id is None:
        raise ValueError("format_results needs tracks (FrameDetections with tracker_id), got detections")
    lines = []
    for i in range(len(tracks)):
        x1, y1, x2, y2 = (float(v) for v in tracks.xyxy[i])
        lines.append(
            f"{frame},{int(tracks.tracker_id[i])},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},"
            f"{float(tracks.confidence[i]):.4f},-1,-1,-1\n"
        )
    return "".join(lines)


class MotWriter:
    """Writes tracker results frame by frame to an open text file (see ``write_mot`` for whole tables)."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle
        self.rows = 0

    def write(self, frame: int, tracks: FrameDetections) -> None:
        """Append the tracks of one frame (1-based)."""
        if frame < 1:
            raise ValueError(f"MOTChallenge frames are 1-based, got frame {frame}")
        self._handle.write(format_results(frame, tracks))
        self.rows += len(tracks)


def write_mot(path: Path, table: MotTable, *, ground_truth: bool = False) -> None:
    """Write a whole table: results columns, or ground-truth columns (mark, class, visibility)."""
    with path.open("w", encoding="utf-8") as handle:
        for i in range(len(table)):
            left, top, width, height = (float(v) for v in table.tlwh[i])
            head = f"{int(table.frame[i])},{int(table.track_id[i])},{left:.2f},{top:.2f},{width:.2f},{height:.2f}"
            if ground_truth:
                tail = f"{int(table.conf[i])},{int(table.class_id[i])},{float(table.visibility[i]):.4f}"
            else:
                tail = f"{float(table.conf[i]):.4f},-1,-1,-1"
            handle.write(f"{head},{tail}\n")
