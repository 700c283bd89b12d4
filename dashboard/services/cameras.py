"""Cameras of a store: current status, frame rate, drop-outs and coverage over a window."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.services.coverage import window_seconds
from dashboard.services.windows import TimeWindow
from dashboard.storage.base import CameraStatusEntry, Store


@dataclass(frozen=True)
class CameraReport:
    """One camera over a window.

    Attributes:
        latest: Its latest status event (None when it only ever sent shopper events).
        drops: Times it went offline within the window.
        online_share: Share of the window it was online (None when its status was never known in it).
        history: Its status events within the window (and the one in force at its start), oldest first.
    """

    camera_id: str
    latest: CameraStatusEntry | None
    drops: int
    online_share: float | None
    degraded_share: float | None
    history: list[CameraStatusEntry]


def camera_reports(store: Store, *, store_id: str, window: TimeWindow, now: float) -> list[CameraReport]:
    """A report per camera known from status events or shopper events, sorted by camera id."""
    latest = {entry.camera_id: entry for entry in store.camera_latest(store_id)}
    log = store.camera_log(store_id, window.since, window.until)
    cameras = sorted(set(latest) | {t.camera_id for t in store.targets(store_id)} | {e.camera_id for e in log})
    seconds = window_seconds(store, store_id, window, now=now)
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
        reports.append(CameraReport(camera, latest.get(camera), drops, share, degraded, history))
    return reports
