"""Cameras of a store: current status, frame rate, drop-outs and coverage over a window."""

from __future__ import annotations

from dataclasses import dataclass

from shelfsight.dashboard.services.coverage import UNKNOWN, known_since, open_intervals, window_seconds
from shelfsight.dashboard.services.windows import TimeWindow
from shelfsight.dashboard.storage.base import CameraStatusEntry, Store


@dataclass(frozen=True)
class CameraReport:
    """One camera over a window.

    Attributes:
        latest: Its latest status event (None when it only ever sent shopper events).
        state: Its state now: the latest status, or ``unknown`` when it never sent one or its edge box stopped
            beating (then ``silent_since`` is the box's last beat).
        drops: Times it went offline within the window.
        online_share: Share of the window since ``known_since`` it was online (None when its status was never known
            in it).
        known_since: Start of the time shares are of: the window's start, or the store's first status when later
            (before it the cameras' state is unknown, not down); None when the store never reported a status.
        history: Its status events within the window (and the one in force at its start), oldest first.
    """

    camera_id: str
    latest: CameraStatusEntry | None
    state: str
    silent_since: float | None
    drops: int
    online_share: float | None
    degraded_share: float | None
    history: list[CameraStatusEntry]
    known_since: float | None = None


def camera_reports(store: Store, *, store_id: str, window: TimeWindow, now: float) -> list[CameraReport]:
    """A report per camera known from status events or shopper events, sorted by camera id."""
    intervals = open_intervals(store, store_id, now=now)
    log = store.camera_log(store_id, window.since, window.until)
    cameras = sorted(set(intervals) | {t.camera_id for t in store.targets(store_id)} | {e.camera_id for e in log})
    seconds = window_seconds(store, store_id, window, now=now, intervals=intervals)
    since = known_since(store, store_id, window.since)
    reports = []
    for camera in cameras:
        history = [e for e in log if e.camera_id == camera]
        drops = sum(
            1
            for before, entry in zip([None, *history], history, strict=False)
            if entry.status == "offline" and entry.ts >= window.since and (before is None or before.status != "offline")
        )
        spent = seconds.get(camera)
        share = spent.share if spent else None
        degraded = spent.degraded_s / spent.span_s if spent and spent.span_s and share is not None else None
        interval = intervals.get(camera)
        latest = interval.latest if interval else None
        state, silent = (interval.state, interval.silent_since) if interval else (UNKNOWN, None)
        reports.append(CameraReport(camera, latest, state, silent, drops, share, degraded, history, since))
    return reports
