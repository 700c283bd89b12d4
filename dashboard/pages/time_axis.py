"""The time axis of a shelf's series: only the span that has data (plus one bucket each side), in the store's
time zone, with ticks people read at a glance (``14:00``, or ``Mon 3 Jun`` per day) and the date in the title.

Without this a 24-hour window with one busy hour drew 24 bars' worth of empty axis, and plotly labelled the
ticks in UTC with its own changing formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shelfsight.dashboard.services.labels import PageLabels
from shelfsight.dashboard.services.shelves import SeriesPoint
from shelfsight.dashboard.storage.base import RollupCounts

PAD_BUCKETS = 1
"""Empty buckets shown before the first and after the last bucket with data, so edge bars are not cut."""
HOUR_MS = 3_600_000
HOUR_STEPS = ((12, 1), (24, 2), (48, 3), (96, 6))
"""(largest span in hours, hours between ticks): about 12 ticks at most, never crowded at 1400 px or less."""


@dataclass(frozen=True)
class SeriesSpan:
    """The buckets a chart shows and the plotly x axis that goes with them."""

    points: list[SeriesPoint]
    axis: dict[str, Any]


def has_data(counts: RollupCounts) -> bool:
    """True when anybody was seen at the shelf in the bucket (an entry, a visit, a pass-by or a reach)."""
    return (counts.entries + counts.visits + counts.passbys + counts.touches + counts.pickups + counts.putbacks) > 0


def series_span(points: Sequence[SeriesPoint], labels: PageLabels) -> SeriesSpan:
    """The points from the first to the last with data, padded by `PAD_BUCKETS`, and their axis.

    Every point is kept when none has data (the page then shows an empty window, not a blank chart).
    """
    if not points:
        return SeriesSpan([], {"type": "date"})
    busy = [i for i, p in enumerate(points) if has_data(p.counts)]
    first, last = (busy[0], busy[-1]) if busy else (0, len(points) - 1)
    shown = list(points[max(0, first - PAD_BUCKETS) : last + PAD_BUCKETS + 1])
    start, end = shown[0].start, shown[-1].end
    size_s = shown[0].end - shown[0].start
    axis: dict[str, Any] = {
        "type": "date",
        "range": [labels.time(start), labels.time(end)],
        "title": {"text": _date_title(start, end, labels)},
        "showgrid": True,
        "ticks": "outside",
    }
    if size_s >= 86_400:
        axis.update(tickformat="%a %-d %b", dtick=86_400_000)
    else:
        hours = (end - start) / 3600
        step = next((s for top, s in HOUR_STEPS if hours <= top), None)
        axis.update(tickformat="%H:%M")
        if step is not None:
            axis.update(dtick=step * HOUR_MS, tick0=labels.time(start // 3600 * 3600, "%Y-%m-%d %H:00:00"))
    return SeriesSpan(shown, axis)


def _date_title(start: float, end: float, labels: PageLabels) -> str:
    """``Mon 3 Jun 2024``, or ``Mon 3 – Tue 4 Jun 2024`` across days, then the time zone."""
    first, last = labels.local(start), labels.local(max(start, end - 1))
    if first.date() == last.date():
        dates = first.strftime("%a %-d %b %Y")
    elif (first.year, first.month) == (last.year, last.month):
        dates = f"{first.strftime('%a %-d')} – {last.strftime('%a %-d %b %Y')}"
    else:
        dates = f"{first.strftime('%a %-d %b %Y')} – {last.strftime('%a %-d %b %Y')}"
    return f"{dates} ({labels.timezone})"
