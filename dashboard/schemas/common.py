"""Shared query and response pieces."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from shelfsight.dashboard.schemas.times import MAX_EPOCH_S, TIME_HELP, QueryTime
from shelfsight.dashboard.services.metrics import ShelfFigures
from shelfsight.dashboard.services.windows import check_order
from shelfsight.dashboard.storage.rollup import DWELL_EDGES_S

__all__ = ["MAX_EPOCH_S", "ApiModel", "FiguresOut", "HistogramBin", "TimeBounds", "WindowQuery", "histogram_bins"]


class ApiModel(BaseModel):
    """Base of every response model: frozen, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TimeBounds(ApiModel):
    """``since`` / ``until`` query parameters (`QueryTime`: epoch seconds or ISO 8601, held as UTC epoch seconds),
    with the one rule between them: when both are given, ``until`` is later than ``since`` (else a 422)."""

    # Query-parameter model sharing the query string with other parameters: extras are not errors.
    model_config = ConfigDict(frozen=True, extra="ignore")

    since: QueryTime | None = None
    until: QueryTime | None = None

    @field_validator("until")
    @classmethod
    def _after_since(cls, until: float | None, info: ValidationInfo) -> float | None:
        since = info.data.get("since")
        if until is not None and since is not None:
            try:
                check_order(since, until)
            except ValueError as exc:  # custom error: no "Value error, " prefix, the message stays as written
                raise PydanticCustomError("value_error", str(exc)) from exc
        return until


class WindowQuery(TimeBounds):
    """A time window; missing ends default to the 24 hours before now (or before ``until``)."""

    since: QueryTime | None = Field(default=None, description="Window start (inclusive). " + TIME_HELP)
    until: QueryTime | None = Field(default=None, description="Window end (exclusive). " + TIME_HELP)


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
