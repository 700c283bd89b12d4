"""Coverage: the cost of a query does not grow with its window, a silent edge box's cameras are unknown (not
online), and the bisected, per-span arithmetic equals a rollup-by-rollup reference."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest

from shelfsight.dashboard.services.cameras import camera_reports
from shelfsight.dashboard.services.coverage import camera_seconds, open_intervals
from shelfsight.dashboard.services.shelves import shelf_series, summarize_shelves
from shelfsight.dashboard.services.windows import Bucket, Granularity, TimeWindow, series_buckets
from shelfsight.dashboard.storage.base import CameraLiveness, Store
from tests.dashboard.scenario import ALL_EVENTS, HOUR, T0

MAX_EPOCH_S = 253_402_300_799.0
NOW = T0 + 3 * HOUR


class CallBudgetExceeded(Exception):
    pass


@contextmanager
def call_budget(limit: int) -> Iterator[Callable[[], int]]:
    """Count Python and C function calls in this thread; raise once there are more than ``limit`` (a measure of
    work that does not depend on the machine's speed or load, and stops a runaway loop at once)."""
    calls = 0

    def profile(_frame: FrameType, event: str, _arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1
            if calls > limit:
                sys.setprofile(None)
                raise CallBudgetExceeded(f"more than {limit} calls")

    sys.setprofile(profile)
    try:
        yield lambda: calls
    finally:
        sys.setprofile(None)


def _reads(store: Store, window: TimeWindow) -> None:
    summarize_shelves(store, store_id="store-1", window=window, now=NOW)
    camera_reports(store, store_id="store-1", window=window, now=NOW)


@pytest.fixture
def loaded(sqlite_store: Store) -> Store:
    sqlite_store.ingest(ALL_EVENTS, [], received_at=T0)
    return sqlite_store


def test_a_window_of_8000_years_costs_what_a_day_costs(loaded: Store) -> None:
    day = TimeWindow(T0 - 12 * HOUR, T0 + 12 * HOUR + 754.25)
    with call_budget(1_000_000) as narrow:
        _reads(loaded, day)
    narrow_calls = narrow()
    # Before: one Python step per hour of the window, ~70 million of them (39 s of CPU for one request).
    with call_budget(narrow_calls * 2) as wide:
        _reads(loaded, TimeWindow(0.0, MAX_EPOCH_S))
    assert wide() <= narrow_calls * 2
    # A series is bounded by its bucket count (at most 10,000), not by the rollups inside its buckets.
    with call_budget(2_000_000):
        points = shelf_series(loaded, store_id="store-1", shelf_id="shelf-B", window=TimeWindow(T0 - 9000 * 86_400,
                              T0 + 86_400), granularity=Granularity.DAY, now=NOW)  # fmt: skip
    assert sum(p.counts.visits for p in points) == 3


def test_the_widest_windows_give_the_figures_of_the_days_with_data(loaded: Store) -> None:
    wide = {s.shelf_id: s for s in summarize_shelves(loaded, store_id="store-1", window=TimeWindow(0, MAX_EPOCH_S),
                                                     now=NOW)}  # fmt: skip
    day = {s.shelf_id: s for s in summarize_shelves(loaded, store_id="store-1", window=TimeWindow(T0 - HOUR, NOW),
                                                    now=NOW)}  # fmt: skip
    assert {k: v.counts for k, v in wide.items()} == {k: v.counts for k, v in day.items()}
    (cam1,) = [r for r in camera_reports(loaded, store_id="store-1", window=TimeWindow(0, MAX_EPOCH_S), now=NOW)
               if r.camera_id == "cam1"]  # fmt: skip
    assert cam1.online_share == pytest.approx(1.0)  # online from T0-60 (the first status) to now; before: unknown
    assert cam1.known_since == T0 - 60


def test_a_camera_whose_edge_stopped_beating_is_unknown_after_its_last_beat(loaded: Store) -> None:
    window = TimeWindow(T0, T0 + 3 * HOUR)
    loaded.record_liveness([CameraLiveness("store-1", "cam1", last_seen=T0 + 600, stale_after_s=15.0)])
    cameras = {r.camera_id: r for r in camera_reports(loaded, store_id="store-1", window=window, now=NOW)}
    assert (cameras["cam1"].state, cameras["cam1"].silent_since) == ("unknown", T0 + 600)
    assert cameras["cam1"].online_share == pytest.approx(600 / (3 * HOUR))  # was 1.0: online "for ever"
    assert (cameras["cam2"].state, cameras["cam2"].silent_since) == ("online", None)  # never beat: as before
    shelf_a = summarize_shelves(loaded, store_id="store-1", window=window, shelf_ids=["shelf-A"], now=NOW)[0]
    assert shelf_a.coverage == pytest.approx(600 / (3 * HOUR))
    # Beating again (the box is back): its status counts up to now once more.
    loaded.record_liveness([CameraLiveness("store-1", "cam1", last_seen=NOW - 5, stale_after_s=15.0)])
    assert open_intervals(loaded, "store-1", now=NOW)["cam1"].state == "online"
    # An older beat arriving late never moves last_seen back.
    loaded.record_liveness([CameraLiveness("store-1", "cam1", last_seen=T0, stale_after_s=15.0)])
    assert {c.camera_id: c.last_seen for c in loaded.camera_liveness("store-1")} == {"cam1": NOW - 5}


def _reference(store: Store, buckets: list[Bucket], now: float) -> dict[str, list[tuple[float, float, float]]]:
    """Rollup by rollup, as the code before issue 14 did: stored rows plus the open interval of each rollup."""
    size = buckets[0].rollup_s
    stored: dict[str, dict[int, list[float]]] = {}
    for row in store.coverage("store-1", size, buckets[0].start, buckets[-1].end):
        stored.setdefault(row.camera_id, {})[row.bucket_start] = [row.online_s, row.degraded_s, row.offline_s]
    for interval in open_intervals(store, "store-1", now=now).values():
        column = ("online", "degraded", "offline").index(interval.latest.status)
        for start in (s for bucket in buckets for s in bucket.rollup_starts()):
            extra = max(0.0, min(start + size, interval.end) - max(start, interval.latest.ts))
            if extra > 0:
                stored.setdefault(interval.latest.camera_id, {}).setdefault(start, [0.0, 0.0, 0.0])[column] += extra
    result = {}
    for camera, seconds in stored.items():
        cells = []
        for bucket in buckets:
            values = [seconds.get(s, [0.0, 0.0, 0.0]) for s in bucket.rollup_starts()]
            cells.append((sum(v[0] for v in values), sum(v[1] for v in values), sum(v[2] for v in values)))
        result[camera] = cells
    return result


@pytest.mark.parametrize(
    ("granularity", "tz", "since", "until"),
    [
        (Granularity.HOUR, "UTC", T0 - 5 * HOUR, T0 + 6 * HOUR),
        (Granularity.MINUTE, "UTC", T0 + 1700, T0 + 2000),
        (Granularity.DAY, "Asia/Kolkata", T0 - 3 * 86_400, T0 + 86_400),  # days end at :30 UTC
        (Granularity.DAY, "America/New_York", T0 - 86_400, T0 + 2 * 86_400),
    ],
)
def test_series_coverage_equals_the_rollup_by_rollup_reference(
    loaded: Store, granularity: Granularity, tz: str, since: float, until: float
) -> None:
    loaded.record_liveness([CameraLiveness("store-1", "cam2", last_seen=T0 + 2 * HOUR + 1234.5, stale_after_s=10)])
    buckets = [b for b in series_buckets(TimeWindow(since, until), granularity, tz) if b.start < NOW]
    got = camera_seconds(loaded, "store-1", buckets, now=NOW)
    expected = _reference(loaded, buckets, NOW)
    assert set(got) == set(expected)
    for camera, cells in expected.items():
        for seconds, (online, degraded, offline) in zip(got[camera], cells, strict=True):
            assert math.isclose(seconds.online_s, online, abs_tol=1e-6), camera
            assert math.isclose(seconds.degraded_s, degraded, abs_tol=1e-6), camera
            assert math.isclose(seconds.offline_s, offline, abs_tol=1e-6), camera
