"""Windows read from hour rollups for whole hours and minute rollups at the ends give minute-exact answers."""

from __future__ import annotations

import itertools
import math

import pytest

from shelfsight.dashboard.services.cameras import camera_reports
from shelfsight.dashboard.services.coverage import camera_seconds, window_seconds
from shelfsight.dashboard.services.shelves import summarize_shelves
from shelfsight.dashboard.services.windows import Bucket, TimeWindow, aligned, window_parts
from shelfsight.dashboard.storage.base import RollupCounts, RollupQuery, Store
from tests.dashboard.scenario import ALL_EVENTS, HOUR, T0

MINUTE = 60.0


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        # whole hours: hour rollups only
        (T0, T0 + 3 * HOUR, [(T0, T0 + 3 * HOUR, 3600)]),
        # inside one hour: minutes only (widened to whole minutes)
        (T0 + 90, T0 + 1000, [(T0 + 60, T0 + 1020, 60)]),
        # across an hour boundary with no whole hour inside: minutes only
        (T0 + 1800, T0 + HOUR + 1800, [(T0 + 1800, T0 + HOUR + 1800, 60)]),
        # ragged both ends: minutes, hours, minutes
        (T0 + 754.25, T0 + 3 * HOUR + 754.25, [(T0 + 720, T0 + HOUR, 60), (T0 + HOUR, T0 + 3 * HOUR, 3600),
                                              (T0 + 3 * HOUR, T0 + 3 * HOUR + 780, 60)]),
        # starts on an hour, ends ragged: hours then minutes
        (T0, T0 + 2 * HOUR + 30, [(T0, T0 + 2 * HOUR, 3600), (T0 + 2 * HOUR, T0 + 2 * HOUR + 60, 60)]),
    ],
)  # fmt: skip
def test_window_parts_tile_the_aligned_window(since: float, until: float, expected: list[tuple[float, ...]]) -> None:
    parts = window_parts(TimeWindow(since, until))
    assert [(p.start, p.end, p.rollup_s) for p in parts] == expected
    whole = aligned(TimeWindow(since, until), 60)
    assert (parts[0].start, parts[-1].end) == (whole.since, whole.until)
    assert all(a.end == b.start for a, b in itertools.pairwise(parts))


WINDOWS = [
    (T0 - 2 * HOUR + 754.25, T0 + 3 * HOUR + 754.25),  # the pages' "last N hours" from a ragged now
    (T0 + 1799.5, T0 + 2 * HOUR + 1),
    (T0 - HOUR, T0 + 4 * HOUR),
    (T0 + 100, T0 + 700),
]


@pytest.mark.parametrize(("since", "until"), WINDOWS)
def test_shelf_totals_and_coverage_equal_those_from_minutes_alone(
    sqlite_store: Store, since: float, until: float
) -> None:
    sqlite_store.ingest(ALL_EVENTS, [], received_at=T0)
    now = T0 + 3 * HOUR + 900
    window = TimeWindow(since, until)
    minutes = aligned(window, 60)
    reference_rows = sqlite_store.rollups(
        RollupQuery("store-1", 60, minutes.since, minutes.until, "shelf", per_bucket=False)
    )
    reference_counts = {r.target_id: r.counts for r in reference_rows}
    reference_seconds = camera_seconds(sqlite_store, "store-1", [Bucket(minutes.since, minutes.until, 60)], now=now)

    summaries = summarize_shelves(sqlite_store, store_id="store-1", window=window, now=now)
    assert {s.shelf_id: s.counts for s in summaries if s.counts != RollupCounts()} == reference_counts
    seconds = window_seconds(sqlite_store, "store-1", window, now=now)
    assert set(seconds) == set(reference_seconds)
    for camera, (expected,) in reference_seconds.items():
        got = seconds[camera]
        for name in ("online_s", "degraded_s", "offline_s", "span_s"):
            assert math.isclose(getattr(got, name), getattr(expected, name), abs_tol=1e-6), (camera, name)
    reports = {r.camera_id: r for r in camera_reports(sqlite_store, store_id="store-1", window=window, now=now)}
    for camera, (expected,) in reference_seconds.items():
        share = reports[camera].online_share
        assert (share is None) == (expected.share is None)
        assert share is None or math.isclose(share, expected.share or 0.0, abs_tol=1e-9)
