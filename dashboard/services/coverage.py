"""Coverage per camera and per shelf: stored closed intervals plus each camera's open interval up to now."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from dashboard.services.windows import Bucket, TimeWindow, window_parts
from dashboard.storage.base import CameraStatusEntry, Store
from dashboard.storage.coverage import StatusPoint, open_interval_seconds


@dataclass(frozen=True)
class CameraSeconds:
    """Seconds one camera spent in each status within one series bucket, and the bucket's elapsed length."""

    online_s: float = 0.0
    degraded_s: float = 0.0
    offline_s: float = 0.0
    span_s: float = 0.0

    @property
    def known_s(self) -> float:
        return self.online_s + self.degraded_s + self.offline_s

    @property
    def share(self) -> float | None:
        """Share of the elapsed bucket the camera was online; None when its status was never known in it."""
        if self.known_s <= 0 or self.span_s <= 0:
            return None
        return min(1.0, self.online_s / self.span_s)


def camera_seconds(
    store: Store,
    store_id: str,
    buckets: Sequence[Bucket],
    *,
    now: float,
    latest: Sequence[CameraStatusEntry] | None = None,
) -> dict[str, list[CameraSeconds]]:
    """Per camera of the store, its `CameraSeconds` in each of ``buckets`` (same order; one rollup size).

    ``latest``: `Store.camera_latest` of the store when the caller has it already.
    """
    if not buckets:
        return {}
    size = buckets[0].rollup_s
    rows = store.coverage(store_id, size, buckets[0].start, buckets[-1].end)
    per_rollup: dict[str, dict[int, list[float]]] = defaultdict(dict)
    for row in rows:
        per_rollup[row.camera_id][row.bucket_start] = [row.online_s, row.degraded_s, row.offline_s]
    for last in store.camera_latest(store_id) if latest is None else latest:
        point = StatusPoint(last.ts, last.status)
        column = ("online", "degraded", "offline").index(last.status)
        for start in (s for bucket in buckets for s in bucket.rollup_starts()):
            extra = open_interval_seconds(point, start, size, now)
            if extra > 0:
                per_rollup[last.camera_id].setdefault(start, [0.0, 0.0, 0.0])[column] += extra
    result = {}
    for camera, seconds in per_rollup.items():
        result[camera] = [_bucket_seconds(seconds, bucket, now) for bucket in buckets]
    return result


def window_seconds(store: Store, store_id: str, window: TimeWindow, *, now: float) -> dict[str, CameraSeconds]:
    """Per camera of the store, its `CameraSeconds` over the whole of ``window`` (widened like `aligned`).

    Read from hour coverage for the whole hours and minute coverage for the ends (`window_parts`): the same
    seconds as from minutes alone, in a fraction of the rows and of the open-interval arithmetic.
    """
    parts = window_parts(window)
    latest = store.camera_latest(store_id)
    totals: dict[str, list[float]] = {}
    for part in parts:
        for camera, (seconds,) in camera_seconds(store, store_id, [part], now=now, latest=latest).items():
            total = totals.setdefault(camera, [0.0, 0.0, 0.0])
            total[0] += seconds.online_s
            total[1] += seconds.degraded_s
            total[2] += seconds.offline_s
    span = max(0.0, min(parts[-1].end, now) - parts[0].start)
    return {camera: CameraSeconds(t[0], t[1], t[2], span) for camera, t in totals.items()}


def combined_share(per_camera: Sequence[CameraSeconds]) -> float | None:
    """Mean online share of the cameras whose status is known (None when none is)."""
    shares = [s for s in (c.share for c in per_camera) if s is not None]
    return sum(shares) / len(shares) if shares else None


def _bucket_seconds(seconds: dict[int, list[float]], bucket: Bucket, now: float) -> CameraSeconds:
    total = [0.0, 0.0, 0.0]
    for start in bucket.rollup_starts():
        for i, value in enumerate(seconds.get(start, ())):
            total[i] += value
    span = max(0.0, min(bucket.end, now) - bucket.start)
    return CameraSeconds(total[0], total[1], total[2], span)
