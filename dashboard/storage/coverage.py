"""Camera coverage per rollup bucket, from the step function that ``camera_status`` events describe.

A camera's status holds from one ``camera_status`` event to the next. The interval after the last known
event is still *open* (the camera is presumably still in that state) and is never stored: it is added at
query time (`shelfsight.dashboard.services.coverage`). Stored rows therefore depend only on closed intervals, and
when a status event arrives (even late, out of order) the buckets between its neighbours are recomputed
from the log (`coverage_rows`), which keeps the table exact under any arrival order.

Time before a camera's first status event is *unknown*, not offline: it is simply absent from the table.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from shelfsight.dashboard.storage.rollup import BUCKET_SIZES_S, bucket_start

STATUSES: Final[tuple[str, ...]] = ("online", "degraded", "offline")


@dataclass(frozen=True, slots=True)
class StatusPoint:
    """One ``camera_status`` event of a camera: from ``ts`` on, the camera is in ``status``."""

    ts: float
    status: str


@dataclass(frozen=True, slots=True)
class CoverageDelta:
    """Seconds of one bucket spent in each status (rows of the ``coverage`` table, less store and camera)."""

    bucket_s: int
    bucket_start: int
    online_s: float
    degraded_s: float
    offline_s: float


def recompute_window(points: Sequence[StatusPoint], new_ts: Sequence[float]) -> tuple[int, int]:
    """The hour-aligned window ``[start, end)`` whose coverage changes when status events at ``new_ts`` arrive.

    Args:
        points: The camera's whole status log after the insert, sorted by ts.
        new_ts: Timestamps of the newly inserted status events (non-empty).

    Returns:
        From the start of the hour holding the point before the earliest new one (or that new one) to the
        end of the hour holding the point after the latest new one (or that new one).
    """
    times = [p.ts for p in points]
    lo, hi = min(new_ts), max(new_ts)
    before = [t for t in times if t < lo]
    after = [t for t in times if t > hi]
    start = before[-1] if before else lo
    end = after[0] if after else hi
    hour = BUCKET_SIZES_S[-1]
    return bucket_start(start, hour), bucket_start(end, hour) + hour


def coverage_rows(points: Sequence[StatusPoint], window: tuple[int, int]) -> list[CoverageDelta]:
    """Seconds per status in every minute and hour bucket of ``window`` from the *closed* intervals of ``points``.

    Args:
        points: Status points sorted by ts; must include the last point before ``window[0]`` (if any) and the
            first point after ``window[1]`` (if any), so intervals crossing the window edges are known.
        window: ``[start, end)`` in epoch seconds, aligned to every bucket size.

    Returns:
        One row per bucket that received any closed-interval time, in bucket order per size.
    """
    start, end = window
    seconds: dict[tuple[int, int], list[float]] = {}
    for current, following in itertools.pairwise(points):
        low, high = max(current.ts, start), min(following.ts, end)
        if high <= low or current.status not in STATUSES:
            continue
        column = STATUSES.index(current.status)
        for size in BUCKET_SIZES_S:
            for bucket, overlap in _split(low, high, size):
                seconds.setdefault((size, bucket), [0.0, 0.0, 0.0])[column] += overlap
    return [CoverageDelta(size, bucket, *values) for (size, bucket), values in sorted(seconds.items())]


def _split(low: float, high: float, size: int) -> list[tuple[int, float]]:
    """Split ``[low, high)`` at multiples of ``size``: (bucket start, seconds inside) pairs."""
    parts = []
    bucket = bucket_start(low, size)
    while bucket < high:
        overlap = min(high, bucket + size) - max(low, bucket)
        if overlap > 0:
            parts.append((bucket, overlap))
        bucket += size
    return parts
