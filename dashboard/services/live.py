"""Who is dwelling now: open visits (a ``dwell_started`` with no ``dwell`` yet), newest confirmations last."""

from __future__ import annotations

from dataclasses import dataclass

from shelfsight.dashboard.storage.base import OpenVisit, Store


@dataclass(frozen=True)
class DwellingNow:
    """One shopper in a zone now, and for how long so far."""

    visit: OpenVisit
    dwell_so_far_s: float


def dwelling_now(store: Store, *, store_id: str, now: float, max_open_s: float) -> list[DwellingNow]:
    """Open visits confirmed within the last ``max_open_s`` seconds (older ones are presumed abandoned)."""
    visits = store.open_visits(store_id, confirmed_since=now - max_open_s)
    return [DwellingNow(v, max(0.0, now - v.ts_start)) for v in visits if v.confirmed_ts <= now]
