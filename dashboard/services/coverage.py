"""Coverage per camera and per shelf: stored closed intervals plus each camera's open interval.

Time before the store's first status is unknown, not down: every share is of the elapsed time since then
(`known_since`), so cameras started minutes ago read their real share, not "online 0 %" of a 24 h window.

The open interval runs from a camera's latest status to now, or, when its edge box stopped beating
(`shelfsight.transport.liveness`), only to the box's last beat: after that the camera's status is unknown, not
its last one (a box that lost power would otherwise count as online for ever).

Cost does not grow with the window: stored rows are sparse and each is placed in its bucket by bisection, and an
open interval's share of a bucket is one overlap of two spans (the bucket's rollup buckets are contiguous), so
a window of 8,000 years costs what a day does (before: one Python step per hour in the window, 39 s).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from shelfsight.dashboard.services.windows import Bucket, TimeWindow, bucket_finder, window_parts
from shelfsight.dashboard.storage.base import CameraStatusEntry, Store
from shelfsight.dashboard.storage.coverage import STATUSES

UNKNOWN = "unknown"
"""A camera's state when its status was never reported, or its edge box went silent."""


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


@dataclass(frozen=True)
class OpenInterval:
    """A camera's latest status, and the span it holds for: from the status to now, or to its box's last beat.

    Attributes:
        silent_since: The box's last beat when it has been silent too long (then ``end`` is that), else None.
    """

    latest: CameraStatusEntry
    end: float
    silent_since: float | None

    @property
    def state(self) -> str:
        """The camera's state now: its latest status, or `UNKNOWN` when its box went silent."""
        return UNKNOWN if self.silent_since is not None else self.latest.status


def known_since(store: Store, store_id: str, start: float) -> float | None:
    """The first moment at or after ``start`` (epoch s) from which the store's camera status is known: ``start``
    when a status was reported before it, else the store's first status; None when it never reported one."""
    first = store.first_status_ts(store_id)
    return None if first is None else max(start, first)


def open_intervals(
    store: Store, store_id: str, *, now: float, latest: Sequence[CameraStatusEntry] | None = None
) -> dict[str, OpenInterval]:
    """Per camera of the store with a status, its `OpenInterval` at ``now``.

    A camera whose box never sent a beat (an edge from before beats existed) keeps its status up to now.
    """
    heard = {live.camera_id: live for live in store.camera_liveness(store_id)}
    intervals = {}
    for entry in store.camera_latest(store_id) if latest is None else latest:
        live = heard.get(entry.camera_id)
        silent = live.silent_since(now) if live is not None else None
        intervals[entry.camera_id] = OpenInterval(entry, now if silent is None else min(now, silent), silent)
    return intervals


def camera_seconds(
    store: Store,
    store_id: str,
    buckets: Sequence[Bucket],
    *,
    now: float,
    intervals: dict[str, OpenInterval] | None = None,
) -> dict[str, list[CameraSeconds]]:
    """Per camera of the store, its `CameraSeconds` in each of ``buckets`` (in order, one rollup size).

    ``intervals``: `open_intervals` of the store when the caller has them already. Each bucket's ``span_s`` counts
    only its time since the store's first status (`known_since`): a bucket wholly before it has a share of None.
    """
    if not buckets:
        return {}
    known = known_since(store, store_id, buckets[0].start)
    size = buckets[0].rollup_s
    starts = [bucket.start for bucket in buckets]
    seconds: dict[str, list[list[float]]] = {}

    def row_of(camera: str) -> list[list[float]]:
        return seconds.setdefault(camera, [[0.0, 0.0, 0.0] for _ in buckets])

    find = bucket_finder(buckets)
    for row in store.coverage(store_id, size, buckets[0].start, buckets[-1].end):
        index = find(row.bucket_start)
        if index is not None:
            cell = row_of(row.camera_id)[index]
            cell[0] += row.online_s
            cell[1] += row.degraded_s
            cell[2] += row.offline_s
    for camera, interval in (open_intervals(store, store_id, now=now) if intervals is None else intervals).items():
        if interval.latest.status not in STATUSES:
            continue
        column = STATUSES.index(interval.latest.status)
        # From the bucket before the one holding the status: a bucket's rollups may spill past its end (days in
        # a half-hour time zone end at :30, their hour rollups on the hour).
        first = max(0, bisect_right(starts, interval.latest.ts) - 2)
        for index in range(first, len(buckets)):
            rollups = buckets[index].rollup_starts()
            if not rollups:
                continue
            # The bucket's rollup buckets are contiguous: their union is one span, overlapped once.
            overlap = min(rollups[-1] + size, interval.end) - max(rollups[0], interval.latest.ts)
            if overlap > 0:
                row_of(camera)[index][column] += overlap
    spans = [max(0.0, min(bucket.end, now) - max(bucket.start, known or bucket.end)) for bucket in buckets]
    return {
        camera: [CameraSeconds(c[0], c[1], c[2], span) for c, span in zip(cells, spans, strict=True)]
        for camera, cells in seconds.items()
    }


def window_seconds(
    store: Store, store_id: str, window: TimeWindow, *, now: float, intervals: dict[str, OpenInterval] | None = None
) -> dict[str, CameraSeconds]:
    """Per camera of the store, its `CameraSeconds` over the whole of ``window`` (widened like `aligned`).

    Read from hour coverage for the whole hours and minute coverage for the ends (`window_parts`): the same
    seconds as from minutes alone, in a fraction of the rows. ``span_s`` runs from `known_since`, not from the
    window's start.
    """
    parts = window_parts(window)
    if intervals is None:
        intervals = open_intervals(store, store_id, now=now)
    totals: dict[str, list[float]] = {}
    for part in parts:
        for camera, (seconds,) in camera_seconds(store, store_id, [part], now=now, intervals=intervals).items():
            total = totals.setdefault(camera, [0.0, 0.0, 0.0])
            total[0] += seconds.online_s
            total[1] += seconds.degraded_s
            total[2] += seconds.offline_s
    known = known_since(store, store_id, parts[0].start)
    span = max(0.0, min(parts[-1].end, now) - max(parts[0].start, known or parts[-1].end))
    return {camera: CameraSeconds(t[0], t[1], t[2], span) for camera, t in totals.items()}


def combined_share(per_camera: Sequence[CameraSeconds]) -> float | None:
    """Mean online share of the cameras whose status is known (None when none is)."""
    shares = [s for s in (c.share for c in per_camera) if s is not None]
    return sum(shares) / len(shares) if shares else None
