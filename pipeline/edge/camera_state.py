"""The ``camera_status`` a camera's event stage records, decided from three things, and kept on disk.

What the capture reports (online / offline / degraded), whether frames reach the event stage at all, and
whether the spool can take events (a full disk makes the camera ``degraded``: its frames are being dropped)
decide the status. Only changes are recorded, so every rollup sees exactly when coverage started and stopped.

The last recorded status and the last time frames were seen are kept in ``status-{camera}.json`` beside the
spool. A power cut or ``kill -9`` leaves no time to record ``offline``; the next start of the event stage
finds the file still saying ``online`` and records ``offline`` at the last time frames were seen, so the dead
time counts as not covered instead of as a camera watching an empty store.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from shelfsight.pipeline.durable import write_json_durably
from shelfsight.pipeline.edge.messages import CAMERA_STATUSES
from shelfsight.vision.events.contract import MAX_TIMESTAMP_S, MIN_TIMESTAMP_S

logger = logging.getLogger(__name__)

ALIVE_EVERY_S = 2.0
"""Seconds of frames between two writes of the last-seen time (the most a crash's gap is under-counted by)."""
UNCLEAN_STOP = "edge stopped without recording it (power cut or crash); last frame seen then"
RESUMED = "frames reach the event stage again"
DISK_FULL = "disk full: events cannot be stored, frames are dropped"
DISK_FREE = "events are stored again"


@dataclass(frozen=True)
class StatusChange:
    """A status to record as a ``camera_status`` event: at ``ts`` (UTC epoch seconds), for ``reason``."""

    status: str
    reason: str
    ts: float


class CameraStatusKeeper:
    """Combines the inputs into the camera's status; each method returns the change to record, if any.

    Call contract: feed every capture status (`on_capture`), every frame the stage processes (`on_frame`) and
    every change of the spool's state (`on_disk`); record each returned change in order with the camera's
    other events.
    """

    def __init__(self, recorded: str | None = None) -> None:
        self.recorded = recorded
        """The status last recorded (None: nothing recorded by this stage yet)."""
        self._capture: tuple[str, str] | None = None
        self._disk_full = False

    def on_capture(self, status: str, reason: str, ts: float) -> StatusChange | None:
        self._capture = (status, reason)
        return self._change(ts, reason)

    def on_frame(self, ts: float) -> StatusChange | None:
        """A frame arrived: a stage restarted under a running capture has heard no status yet, but frames flow."""
        if self._capture is None:
            self._capture = ("online", RESUMED)
            return self._change(ts, RESUMED)
        return None

    def on_disk(self, full: bool, ts: float, reason: str) -> StatusChange | None:
        """The spool stopped (``full``) or started again to store events."""
        if full == self._disk_full:
            return None
        self._disk_full = full
        return self._change(ts, reason)

    def _effective(self) -> str | None:
        if self._capture is None:
            return None
        status = self._capture[0]
        return "degraded" if status == "online" and self._disk_full else status

    def _change(self, ts: float, reason: str) -> StatusChange | None:
        status = self._effective()
        if status is None or status == self.recorded:
            return None
        self.recorded = status
        return StatusChange(status, reason, ts)


@dataclass(frozen=True)
class StatusMark:
    """What ``status-{camera}.json`` holds: the last recorded status and when frames were last seen (epoch s)."""

    status: str
    alive_at: float


class StatusMarks:
    """Reads and writes one camera's mark (see the module docstring); a full disk only delays the writes."""

    def __init__(self, folder: Path, camera_id: str) -> None:
        self.path = folder / f"status-{camera_id}.json"
        self._written_at = float("-inf")
        self._failing = False

    def read(self) -> StatusMark | None:
        """The mark a previous run left; None when there is none or it cannot be read."""
        try:
            data = json.loads(self.path.read_text())
            mark = StatusMark(str(data["status"]), float(data["alive_at"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("ignoring unreadable camera status mark %s: %s", self.path, exc)
            return None
        if mark.status not in CAMERA_STATUSES or not MIN_TIMESTAMP_S <= mark.alive_at < MAX_TIMESTAMP_S:
            logger.warning("ignoring camera status mark %s: %s", self.path, mark)
            return None
        return mark

    def write(self, status: str, alive_at: float, *, now: float, force: bool = False) -> None:
        """Record ``status`` and ``alive_at``; without ``force`` at most once every `ALIVE_EVERY_S` of ``now``."""
        if not force and now - self._written_at < ALIVE_EVERY_S:
            return
        try:
            write_json_durably(self.path, {"status": status, "alive_at": alive_at})
        except OSError as exc:
            if not self._failing:
                logger.warning("cannot write camera status mark %s: %s", self.path, exc)
            self._failing = True
            return
        self._failing, self._written_at = False, now
