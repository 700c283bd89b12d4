"""Coverage from camera status steps: closed intervals split into buckets; the recompute window."""

from __future__ import annotations

import pytest

from shelfsight.dashboard.storage.coverage import (
    CoverageDelta,
    StatusPoint,
    coverage_rows,
    recompute_window,
)

H = 3600


def _hours(rows: list[CoverageDelta]) -> dict[int, tuple[float, float, float]]:
    return {r.bucket_start: (r.online_s, r.degraded_s, r.offline_s) for r in rows if r.bucket_s == H}


@pytest.mark.parametrize(
    ("points", "expected_hours"),
    [
        ([StatusPoint(0, "online")], {}),  # one point: its interval is still open, nothing stored
        ([StatusPoint(0, "online"), StatusPoint(1800, "offline")], {0: (1800.0, 0.0, 0.0)}),
        (
            [StatusPoint(1800, "online"), StatusPoint(H + 900, "degraded"), StatusPoint(2 * H, "offline")],
            {0: (1800.0, 0.0, 0.0), H: (900.0, 2700.0, 0.0)},
        ),
        ([StatusPoint(0, "offline"), StatusPoint(2 * H, "online")], {0: (0.0, 0.0, 3600.0), H: (0.0, 0.0, 3600.0)}),
    ],
)
def test_coverage_rows_split_closed_intervals_into_hours(
    points: list[StatusPoint], expected_hours: dict[int, tuple[float, float, float]]
) -> None:
    assert _hours(coverage_rows(points, (0, 3 * H))) == expected_hours


def test_minute_rows_add_up_to_the_hour_rows() -> None:
    rows = coverage_rows([StatusPoint(90, "online"), StatusPoint(1000, "offline"), StatusPoint(3000, "online")], (0, H))
    minutes = [r for r in rows if r.bucket_s == 60]
    assert sum(r.online_s for r in minutes) == pytest.approx(910.0)
    assert sum(r.offline_s for r in minutes) == pytest.approx(2000.0)
    assert minutes[0] == CoverageDelta(60, 60, 30.0, 0.0, 0.0)


def test_intervals_are_clipped_to_the_window() -> None:
    rows = coverage_rows([StatusPoint(-5000, "online"), StatusPoint(5 * H, "offline")], (H, 2 * H))
    assert _hours(rows) == {H: (3600.0, 0.0, 0.0)}


def test_recompute_window_spans_the_neighbours_of_the_new_points() -> None:
    points = [StatusPoint(100, "online"), StatusPoint(5000, "offline"), StatusPoint(9000, "online")]
    assert recompute_window(points, [5000]) == (0, 3 * H)
    assert recompute_window(points, [9000]) == (H, 3 * H)
    assert recompute_window(points, [100]) == (0, 2 * H)
