"""Plotly figure specs (data + layout, plain JSON) for the pages; plotly.js draws them in the browser.

Times go to plotly as ``YYYY-MM-DD HH:MM:SS`` strings in the store's time zone (`PageLabels.time`), which its
date axes understand; zones and shelves are shown by name (`PageLabels.name`), ids where they have none.

Plotly reads text (tick labels, hover text, categories) as a small HTML subset: ``<a href=...>`` becomes a
live link, ``<b>`` bold. Ids come from edge boxes, so every id is passed through `label` first, which escapes
``&``, ``<`` and ``>`` as entities that plotly shows as the characters themselves: an id is always text.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shelfsight.dashboard.pages.time_axis import series_span
from shelfsight.dashboard.services.cameras import CameraReport
from shelfsight.dashboard.services.funnel import Funnel
from shelfsight.dashboard.services.labels import PageLabels
from shelfsight.dashboard.services.shelves import SeriesPoint, ShelfSummary
from shelfsight.dashboard.services.shoppers import Journey
from shelfsight.dashboard.storage.rollup import DWELL_EDGES_S

COLOURS = {"visits": "#2f6db5", "touches": "#8fb8e8", "pickups": "#e39b2d", "takes": "#c2452d", "gap": "#9aa0a6"}
STATUS_COLOURS = {"online": "#3a9a5b", "degraded": "#e3b12d", "offline": "#c2452d"}
_BASE_LAYOUT: dict[str, Any] = {
    "margin": {"l": 50, "r": 20, "t": 30, "b": 40},
    "height": 320,
    "legend": {"orientation": "h", "y": -0.2},
    "plot_bgcolor": "#ffffff",
    "paper_bgcolor": "#ffffff",
}


@dataclass(frozen=True)
class Chart:
    """One chart: the element id it draws into, and the plotly ``data`` and ``layout``."""

    element_id: str
    data: list[dict[str, Any]]
    layout: dict[str, Any] = field(default_factory=dict)


def label(text: str) -> str:
    """``text`` as plotly shows it literally (its ``&``, ``<``, ``>`` as entities, never markup)."""
    return html.escape(text, quote=False)


def utc_text(ts: float) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


SMALL_COUNT = 5
"""Up to this many, a count axis gets a tick per whole number (plotly would label 0.5 steps: half a visit)."""


def count_axis(title: str, values: Sequence[float | None]) -> dict[str, Any]:
    """A y axis for counts: from zero, whole-number ticks only."""
    top = max((v for v in values if v is not None), default=0)
    axis: dict[str, Any] = {"title": {"text": title}, "rangemode": "tozero", "tickformat": ",d"}
    if top <= SMALL_COUNT:
        axis.update(dtick=1, range=[0, max(1, top) * 1.05])
    return axis


def shelf_names(shelf_ids: Sequence[str], labels: PageLabels) -> list[str]:
    """Each shelf's name as a chart category; a name two shelves share gets its id added (else their bars merge)."""
    names = [labels.name(i) for i in shelf_ids]
    return [label(f"{n} ({i})" if names.count(n) > 1 else n) for n, i in zip(names, shelf_ids, strict=True)]


def shelf_ranking(summaries: Sequence[ShelfSummary], labels: PageLabels) -> Chart:
    """Visits per shelf (bars) with the engagement rate (dots, right axis), in ranking order, by name."""
    shelves = shelf_names([s.shelf_id for s in summaries], labels)
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": "visits",
            "x": shelves,
            "y": [s.figures.visits for s in summaries],
            "marker": {"color": COLOURS["visits"]},
        },
        {
            "type": "scatter",
            "mode": "markers",
            "name": "engagement rate",
            "x": shelves,
            "yaxis": "y2",
            "y": [s.figures.engagement_rate for s in summaries],
            "marker": {"size": 11, "color": COLOURS["takes"]},
        },
    ]
    layout = {
        **_BASE_LAYOUT,
        "yaxis": count_axis("visits", [s.figures.visits for s in summaries]),
        "yaxis2": share_axis("engagement"),
        "margin": {**_BASE_LAYOUT["margin"], "r": 70},
    }
    return Chart("chart-ranking", data, layout)


def shelf_timeline(all_points: Sequence[SeriesPoint], labels: PageLabels) -> Chart:
    """Visits, touches, pickups and takes per bucket; buckets with partial coverage shaded, gaps marked.

    Only the buckets from the first to the last with data are drawn (plus one each side), on a local-time axis
    (`shelfsight.dashboard.pages.time_axis`).
    """
    span = series_span(all_points, labels)
    points = span.points
    x = [labels.time((p.start + p.end) / 2) for p in points]
    data = []
    for name in ("visits", "touches", "pickups", "takes"):
        values = [getattr(p.figures, name) if p.figures is not None else None for p in points]
        data.append({"type": "bar", "name": name, "x": x, "y": values, "marker": {"color": COLOURS[name]}})
    shapes, notes = [], []
    for point in points:
        if point.coverage is not None and point.coverage < 1.0:
            shapes.append(
                {
                    "type": "rect",
                    "xref": "x",
                    "yref": "paper",
                    "x0": labels.time(point.start),
                    "x1": labels.time(point.end),
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": COLOURS["gap"],
                    "opacity": 0.15 + 0.35 * (1 - point.coverage),
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
        if point.figures is None:
            notes.append(
                {
                    "x": labels.time((point.start + point.end) / 2),
                    "y": 0.5,
                    "yref": "paper",
                    "text": "camera down",
                    "showarrow": False,
                    "textangle": -90,
                    "font": {"color": "#555", "size": 10},
                }
            )
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": "coverage",
            "x": x,
            "yaxis": "y2",
            "line": {"color": "#777", "dash": "dot"},
            "y": [p.coverage for p in points],
        }
    )
    peaks = [max(f.visits, f.touches, f.pickups, f.takes) for p in points if (f := p.figures) is not None]
    layout = {
        **_BASE_LAYOUT,
        "barmode": "group",
        "shapes": shapes,
        "annotations": notes,
        "xaxis": span.axis,
        "yaxis": count_axis("count", peaks),
        "yaxis2": share_axis("coverage"),
        "margin": {**_BASE_LAYOUT["margin"], "r": 70},
    }
    return Chart("chart-timeline", data, layout)


def share_axis(title: str) -> dict[str, Any]:
    """The right-hand axis of a share (0 to 100 %) drawn over counts."""
    return {
        "title": {"text": title},
        "overlaying": "y",
        "side": "right",
        "range": [0, 1.05],
        "tickformat": ".0%",
        "dtick": 0.25,
        "showgrid": False,
    }


def funnel(shelf: Funnel) -> Chart:
    """Passers-by -> visits -> interacted -> picked up -> took: visits at each stage
    (`shelfsight.dashboard.services.funnel`)."""
    stages = [label for label, _ in shelf.stages()]
    values = [count for _, count in shelf.stages()]
    data = [
        {
            "type": "funnel",
            "y": stages,
            "x": values,
            "textinfo": "value+percent initial",
            "marker": {
                "color": ["#9aa0a6", COLOURS["visits"], COLOURS["touches"], COLOURS["pickups"], COLOURS["takes"]]
            },
        }
    ]
    return Chart("chart-funnel", data, {**_BASE_LAYOUT, "margin": {"l": 90, "r": 20, "t": 20, "b": 20}})


def dwell_histogram(hist: Sequence[int]) -> Chart:
    """Visits per dwell-time bucket."""
    lows = [0, *DWELL_EDGES_S]
    labels = [f"{lo:g}-{hi:g}" for lo, hi in zip(lows, DWELL_EDGES_S, strict=False)] + [f"{DWELL_EDGES_S[-1]:g}+"]
    data = [{"type": "bar", "name": "visits", "x": labels, "y": list(hist), "marker": {"color": COLOURS["visits"]}}]
    layout = {
        **_BASE_LAYOUT,
        "margin": {**_BASE_LAYOUT["margin"], "b": 70},
        "xaxis": {"title": {"text": "dwell (s)"}, "tickangle": -45, "type": "category"},
        "yaxis": count_axis("visits", list(hist)),
    }
    return Chart("chart-dwell", data, layout)


def journey_timeline(journey: Journey, labels: PageLabels) -> Chart:
    """The shopper's visits as bars per zone (by name) over local time, with touches, pickups and put-backs."""
    data: list[dict[str, Any]] = []
    for visit in journey.visits:
        d = visit.dwell
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "showlegend": False,
                "x": [labels.time(d.ts_start), labels.time(d.ts_end)],
                "y": [label(labels.name(d.zone_id))] * 2,
                "line": {"width": 18, "color": COLOURS["visits"]},
                "hovertext": f"{label(labels.name(d.zone_id))}: {d.dwell_s:.1f} s",
                "hoverinfo": "text",
            }
        )
    kinds = (("touches", "touch", "circle"), ("pickups", "pickup", "triangle-up"), ("putbacks", "putback", "x"))
    for attribute, name, symbol in kinds:
        xs, ys = [], []
        for visit in journey.visits:
            for event in getattr(visit, attribute):
                xs.append(labels.time(event.ts_start))
                ys.append(label(labels.name(visit.dwell.zone_id)))
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": name,
                "x": xs,
                "y": ys,
                "marker": {"size": 12, "symbol": symbol, "color": COLOURS.get(attribute, "#333")},
            }
        )
    layout = {
        **_BASE_LAYOUT,
        "xaxis": {"type": "date", "title": {"text": f"time ({labels.timezone})"}},
        "yaxis": {"type": "category", "automargin": True},
    }
    return Chart("chart-journey", data, layout)


def camera_status_timeline(reports: Sequence[CameraReport], *, since: float, until: float, labels: PageLabels) -> Chart:
    """Each camera's status over ``[since, until)`` as coloured segments, in the store's time zone."""
    data: list[dict[str, Any]] = []
    shown: set[str] = set()
    for report in reports:
        history = report.history
        for entry, following in zip(history, [*history[1:], None], strict=True):
            end = following.ts if following is not None else until
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": entry.status,
                    "legendgroup": entry.status,
                    "showlegend": entry.status not in shown,
                    "x": [labels.time(max(entry.ts, since)), labels.time(end)],
                    "y": [label(report.camera_id)] * 2,
                    "line": {"width": 16, "color": STATUS_COLOURS.get(entry.status, "#333")},
                }
            )
            shown.add(entry.status)
    layout = {
        **_BASE_LAYOUT,
        "height": 140 + 40 * max(1, len(reports)),
        "xaxis": {"type": "date", "title": {"text": f"time ({labels.timezone})"}},
        "yaxis": {"type": "category", "automargin": True},
        # Legend above the plot area, in its own margin: inside it, it covered the top camera's bar.
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "margin": {**_BASE_LAYOUT["margin"], "t": 40},
    }
    return Chart("chart-cameras", data, layout)
