"""Per-shelf figures, series and comparisons, read from rollups (never from raw events)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from shelfsight.dashboard.services.coverage import (
    CameraSeconds,
    camera_seconds,
    combined_share,
    known_since,
    window_seconds,
)
from shelfsight.dashboard.services.metrics import ShelfFigures, figures
from shelfsight.dashboard.services.windows import Granularity, TimeWindow, bucket_finder, series_buckets, window_parts
from shelfsight.dashboard.storage.base import RollupCounts, RollupQuery, Store, Target

GAP_COVERAGE = 0.0
"""A bucket whose cameras were up for this share of it (or less) is a gap: its figures are None, not zeros."""


@dataclass(frozen=True)
class ShelfSummary:
    """One shelf over a window: figures, the summed rollups they came from, and coverage.

    ``coverage`` is the share of the time since ``coverage_since`` (the window's start, or the store's first camera
    status when that came later; None when no status was ever reported) that its cameras were online.
    """

    shelf_id: str
    zones: tuple[str, ...]
    cameras: tuple[str, ...]
    counts: RollupCounts
    figures: ShelfFigures
    coverage: float | None
    coverage_since: float | None = None


@dataclass(frozen=True)
class SeriesPoint:
    """One bucket of a shelf's series; ``figures`` is None where no camera was up (a gap, not zero shoppers)."""

    start: float
    end: float
    coverage: float | None
    counts: RollupCounts
    figures: ShelfFigures | None


def shelf_cameras(targets: Sequence[Target]) -> dict[str, tuple[set[str], set[str]]]:
    """Per shelf id, the (zones, cameras) that reported on it."""
    shelves: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for target in targets:
        if target.shelf_id:
            zones, cameras = shelves[target.shelf_id]
            if target.zone_id:
                zones.add(target.zone_id)
            cameras.add(target.camera_id)
    return shelves


def summarize_shelves(
    store: Store, *, store_id: str, window: TimeWindow, shelf_ids: Sequence[str] = (), now: float
) -> list[ShelfSummary]:
    """Every shelf (or those named) over ``window``, ranked by engagement, then visits, then id.

    Shelves with no engagement figure (no pass-by information) rank after those with one.
    """
    known = shelf_cameras(store.targets(store_id))
    wanted = list(shelf_ids) or sorted(known)
    totals: dict[str, RollupCounts] = defaultdict(RollupCounts)
    for part in window_parts(window):  # whole hours from hour rollups, the ends from minute rollups
        query = RollupQuery(store_id, part.rollup_s, part.start, part.end, "shelf", tuple(wanted), per_bucket=False)
        for row in store.rollups(query):
            totals[row.target_id] = totals[row.target_id] + row.counts
    coverage = window_seconds(store, store_id, window, now=now)
    since = known_since(store, store_id, window.since)
    summaries = []
    for shelf_id in wanted:
        zones, cameras = known.get(shelf_id, (set(), set()))
        counts = totals[shelf_id]
        share = combined_share([coverage.get(c, CameraSeconds()) for c in sorted(cameras)])
        summaries.append(
            ShelfSummary(shelf_id, tuple(sorted(zones)), tuple(sorted(cameras)), counts, figures(counts), share, since)
        )
    return sorted(summaries, key=_rank)


def shelf_series(
    store: Store,
    *,
    store_id: str,
    shelf_id: str,
    window: TimeWindow,
    granularity: Granularity,
    tz: str = "UTC",
    now: float,
) -> list[SeriesPoint]:
    """A shelf's figures per minute, hour or day (days at midnight in ``tz``), up to ``now``, gaps marked."""
    buckets = [b for b in series_buckets(window, granularity, tz) if b.start < now]
    if not buckets:
        return []
    size = buckets[0].rollup_s
    rows = store.rollups(RollupQuery(store_id, size, buckets[0].start, buckets[-1].end, "shelf", (shelf_id,)))
    totals = [RollupCounts()] * len(buckets)
    find = bucket_finder(buckets)
    for row in rows:
        index = find(row.bucket_start)
        if index is not None:
            totals[index] = totals[index] + row.counts
    _, cameras = shelf_cameras(store.targets(store_id)).get(shelf_id, (set(), set()))
    coverage = camera_seconds(store, store_id, buckets, now=now)
    points = []
    for index, bucket in enumerate(buckets):
        counts = totals[index]
        share = combined_share([coverage[c][index] for c in sorted(cameras) if c in coverage])
        gap = share is not None and share <= GAP_COVERAGE
        points.append(SeriesPoint(bucket.start, bucket.end, share, counts, None if gap else figures(counts)))
    return points


def _rank(summary: ShelfSummary) -> tuple[int, float, int, str]:
    rate = summary.figures.engagement_rate
    return (0 if rate is not None else 1, -(rate or 0.0), -summary.figures.visits, summary.shelf_id)
