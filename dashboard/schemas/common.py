"""Shared query and response pieces."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dashboard.services.metrics import ShelfFigures
from dashboard.storage.rollup import DWELL_EDGES_S

MAX_EPOCH_S = 253_402_300_799.0
"""9999-12-31T23:59:59Z: times beyond it (or before 1970) are not camera times, and would overflow storage integers."""


class ApiModel(BaseModel):
    """Base of every response model: frozen, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class WindowQuery(ApiModel):
    """A time window in UTC epoch seconds; missing ends default to the 24 hours before now."""

    # Query-parameter model sharing the query string with other parameters: extras are not errors.
    model_config = ConfigDict(frozen=True, extra="ignore")

    since: float | None = Field(
        default=None, ge=0, le=MAX_EPOCH_S, description="Window start, UTC epoch seconds (inclusive)."
    )
    until: float | None = Field(
        default=None, ge=0, le=MAX_EPOCH_S, description="Window end, UTC epoch seconds (exclusive)."
    )


class FiguresOut(ApiModel):
    """Derived figures (see docs/dashboard.md for each formula)."""

    visits: int = Field(description="Dwell events (complete visits).")
    passbys: int = Field(description="Confirmed entries that ended under the minimum dwell, plus pass-by events.")
    passers_by: int = Field(description="visits + passbys.")
    engagement_rate: float | None = Field(description="visits / passers_by; null without pass-by information.")
    dwell_mean_s: float | None = Field(description="Mean visit length, seconds (exact).")
    dwell_p50_s: float | None = Field(description="Median visit length, seconds (from the histogram sketch).")
    dwell_p90_s: float | None = Field(description="90th percentile visit length, seconds (from the sketch).")
    touches: int
    pickups: int
    putbacks: int
    takes: int = Field(description="Pickups not reversed by a put-back.")
    put_back_rate: float | None = Field(description="Share of pickups put back; null without pickups.")

    @classmethod
    def of(cls, figures: ShelfFigures) -> FiguresOut:
        return cls.model_validate(figures, from_attributes=True)


class HistogramBin(ApiModel):
    """One dwell histogram bucket: ``[low_s, high_s)`` (``high_s`` null for the last, open bucket)."""

    low_s: float
    high_s: float | None
    count: int


def histogram_bins(hist: tuple[int, ...]) -> list[HistogramBin]:
    """The dwell histogram with its edges."""
    lows = (0.0, *map(float, DWELL_EDGES_S))
    highs: tuple[float | None, ...] = (*map(float, DWELL_EDGES_S), None)
    return [HistogramBin(low_s=lo, high_s=hi, count=n) for lo, hi, n in zip(lows, highs, hist, strict=True)]
