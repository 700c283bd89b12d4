"""Shelf metrics from summed rollups: the formulas, in one place, with their edge cases.

* visits = dwell events; pass-bys = pass_by events (contract 1.2) when the rows hold any; otherwise (edges before
  1.2 send none) confirmed entries (dwell_started) that ended without a dwell, the old estimate, which also counts
  the shoppers dwelling now. Both together would count a confirmed pass-by twice (its dwell_started and its
  pass_by). passers-by = visits + pass-bys.
* engagement rate = visits / passers-by, only where pass-by information was reported (entries or pass_by events:
  an edge that sends neither gives none, and 1.0 would be a lie): otherwise None.
* takes = pickups not reversed by a put-back; put-back rate = reversed / pickups.
* dwell mean is exact (sum / visits); p50 / p90 come from the histogram sketch (`dwell_quantile`).
"""

from __future__ import annotations

from dataclasses import dataclass

from shelfsight.dashboard.storage.base import RollupCounts
from shelfsight.dashboard.storage.rollup import dwell_quantile


@dataclass(frozen=True)
class ShelfFigures:
    """Derived figures of one shelf (or zone) over some buckets."""

    visits: int
    passbys: int
    passers_by: int
    engagement_rate: float | None
    dwell_mean_s: float | None
    dwell_p50_s: float | None
    dwell_p90_s: float | None
    touches: int
    pickups: int
    putbacks: int
    takes: int
    put_back_rate: float | None


def figures(counts: RollupCounts) -> ShelfFigures:
    """Compute `ShelfFigures` from summed rollups."""
    passbys = counts.passbys if counts.passbys else max(0, counts.entries - counts.visits)
    passers_by = counts.visits + passbys
    engaged = counts.entries > 0 or counts.passbys > 0
    return ShelfFigures(
        visits=counts.visits,
        passbys=passbys,
        passers_by=passers_by,
        engagement_rate=counts.visits / passers_by if engaged and passers_by else None,
        dwell_mean_s=counts.dwell_sum_s / counts.visits if counts.visits else None,
        dwell_p50_s=dwell_quantile(counts.dwell_hist, 0.5),
        dwell_p90_s=dwell_quantile(counts.dwell_hist, 0.9),
        touches=counts.touches,
        pickups=counts.pickups,
        putbacks=counts.putbacks,
        takes=counts.pickups - counts.reversed,
        put_back_rate=counts.reversed / counts.pickups if counts.pickups else None,
    )
