"""Per-shelf summaries and series."""

from __future__ import annotations

from pydantic import Field

from shelfsight.dashboard.schemas.common import ApiModel, FiguresOut, HistogramBin, histogram_bins
from shelfsight.dashboard.services.shelves import SeriesPoint, ShelfSummary
from shelfsight.dashboard.services.windows import Granularity


class ShelfSummaryOut(ApiModel):
    """One shelf over the window."""

    shelf_id: str
    zones: list[str] = Field(description="Standing zones that reported visits or touches for this shelf.")
    cameras: list[str]
    figures: FiguresOut
    coverage: float | None = Field(
        description="Share of the window since coverage_since its cameras were online; null if unknown."
    )
    coverage_since: float | None = Field(
        default=None,
        description="Start of the time coverage is of: the window's start, or the store's first camera status when "
        "later (before it the state is unknown, not down); null when no status was ever reported.",
    )
    dwell_histogram: list[HistogramBin]

    @classmethod
    def of(cls, summary: ShelfSummary) -> ShelfSummaryOut:
        return cls(
            shelf_id=summary.shelf_id,
            zones=list(summary.zones),
            cameras=list(summary.cameras),
            figures=FiguresOut.of(summary.figures),
            coverage=summary.coverage,
            coverage_since=summary.coverage_since,
            dwell_histogram=histogram_bins(summary.counts.dwell_hist),
        )


class ShelfListOut(ApiModel):
    """Shelves of a store ranked by engagement rate (then visits)."""

    store_id: str
    since: float
    until: float
    shelves: list[ShelfSummaryOut]


class SeriesPointOut(ApiModel):
    """One bucket; ``gap`` when no camera was up (figures null, never zero)."""

    start: float
    end: float
    coverage: float | None
    gap: bool
    figures: FiguresOut | None

    @classmethod
    def of(cls, point: SeriesPoint) -> SeriesPointOut:
        figures = FiguresOut.of(point.figures) if point.figures is not None else None
        return cls(start=point.start, end=point.end, coverage=point.coverage, gap=figures is None, figures=figures)


class ShelfSeriesOut(ApiModel):
    """A shelf's figures per bucket."""

    store_id: str
    shelf_id: str
    granularity: Granularity
    tz: str
    points: list[SeriesPointOut]


class CompareOut(ApiModel):
    """Selected shelves side by side."""

    store_id: str
    since: float
    until: float
    shelves: list[ShelfSummaryOut]


__all__ = ["CompareOut", "ShelfListOut", "ShelfSeriesOut", "ShelfSummaryOut", "histogram_bins"]
