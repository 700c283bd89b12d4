"""`series_span`: the shelf chart's x axis covers the buckets with data plus one each side, in local time."""

from __future__ import annotations

from shelfsight.dashboard.pages.time_axis import series_span
from shelfsight.dashboard.services.labels import PageLabels
from shelfsight.dashboard.services.metrics import figures
from shelfsight.dashboard.services.shelves import SeriesPoint
from shelfsight.dashboard.storage.base import RollupCounts

MIDNIGHT = 1_717_372_800.0  # 2024-06-03 00:00 UTC, a Monday


def _points(busy: set[int], *, size_s: float = 3600.0, count: int = 24) -> list[SeriesPoint]:
    points = []
    for i in range(count):
        counts = RollupCounts(visits=2) if i in busy else RollupCounts()
        start = MIDNIGHT + i * size_s
        points.append(SeriesPoint(start, start + size_s, 1.0, counts, figures(counts)))
    return points


def test_hours_with_data_are_padded_by_one_each_side_and_ticked_hourly() -> None:
    span = series_span(_points({9, 12}), PageLabels("America/New_York"))  # UTC-4 in June
    assert [p.start for p in span.points] == [MIDNIGHT + h * 3600 for h in range(8, 14)]
    assert span.axis["range"] == ["2024-06-03 04:00:00", "2024-06-03 10:00:00"]
    assert span.axis["dtick"] == 3_600_000 and span.axis["tickformat"] == "%H:%M"
    assert span.axis["title"]["text"] == "Mon 3 Jun 2024 (America/New_York)"


def test_a_busy_day_gets_wider_tick_steps_and_a_title_across_midnight() -> None:
    span = series_span(_points({0, 23}), PageLabels("Europe/Paris"))  # 02:00 Mon to 02:00 Tue in Paris
    assert len(span.points) == 24 and span.axis["dtick"] == 2 * 3_600_000
    assert span.axis["title"]["text"] == "Mon 3 – Tue 4 Jun 2024 (Europe/Paris)"


def test_days_are_labelled_by_weekday_and_an_empty_window_keeps_every_bucket() -> None:
    days = series_span(_points({3}, size_s=86_400, count=7), PageLabels())
    assert [p.start for p in days.points] == [MIDNIGHT + d * 86_400 for d in (2, 3, 4)]
    assert days.axis["tickformat"] == "%a %-d %b" and days.axis["dtick"] == 86_400_000
    empty = series_span(_points(set()), PageLabels())
    assert len(empty.points) == 24 and empty.axis["range"] == ["2024-06-03 00:00:00", "2024-06-04 00:00:00"]
    assert series_span([], PageLabels()).axis == {"type": "date"}
