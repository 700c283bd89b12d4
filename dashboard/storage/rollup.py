"""Rollups maintained on ingest: per shelf / zone / camera and per minute and hour, so dashboards never scan events.

One rollup row is keyed by ``(bucket_s, bucket_start, store_id, shelf_id, zone_id, camera_id)`` and holds counts
that only ever grow by addition, so a batch's contribution is a *delta* added with an upsert, and adding the
deltas of the same events in any grouping gives the same table. Exactly-once counting therefore rests on
computing deltas only from events that the same transaction inserted for the first time.

Every shopper event is bucketed by ``ts_start`` (``dwell_started`` and its ``dwell`` or ``pass_by`` share it, so a
visit and its confirmation land in the same bucket). ``shelf_id`` / ``zone_id`` absent on an event are stored as ``""``
(a key column cannot be NULL: NULLs never conflict, so upserts would duplicate rows).

Dwell times go into a fixed histogram with log-spaced edges (`DWELL_EDGES_S`), so p50 / p90 over any set of
rows come from summing the histograms (`dwell_quantile`): exact to within the bucket that holds the quantile.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from shelfsight.vision.events.contract import (
    AnyEvent,
    DwellEvent,
    DwellStartedEvent,
    PassByEvent,
    PickupEvent,
    PutbackEvent,
    TouchEvent,
)

MINUTE_S: Final = 60
HOUR_S: Final = 3600
DAY_S: Final = 86_400
BUCKET_SIZES_S: Final[tuple[int, ...]] = (MINUTE_S, HOUR_S)
"""Rollup granularities kept on ingest; days are summed from hours at query time (they depend on a time zone)."""

DWELL_EDGES_S: Final[tuple[float, ...]] = (1, 2, 3, 5, 8, 12, 18, 27, 40, 60, 90, 135, 200, 300, 600)
"""Upper edges (exclusive) of the dwell histogram buckets in seconds; the last bucket is [600 s, inf).

Steps of about x1.5 keep the relative error of a quantile read from the sketch under about 25 % while 16
integer columns cover one second to ten minutes. Changing the edges changes the meaning of stored rollups:
it needs a migration that rebuilds them.
"""

HIST_COLUMNS: Final[tuple[str, ...]] = tuple(f"h{i:02d}" for i in range(len(DWELL_EDGES_S) + 1))
COUNT_COLUMNS: Final[tuple[str, ...]] = ("entries", "visits", "passbys", "touches", "pickups", "putbacks", "reversed")
"""``entries``: dwell_started; ``visits``: dwell; ``passbys``: pass_by events (contract 1.2; edges before it send none);
``reversed``: pickups of this bucket that a later put-back reversed (takes = pickups - reversed)."""
VALUE_COLUMNS: Final[tuple[str, ...]] = (*COUNT_COLUMNS, "dwell_sum_s", *HIST_COLUMNS)
KEY_COLUMNS: Final[tuple[str, ...]] = ("bucket_s", "bucket_start", "store_id", "shelf_id", "zone_id", "camera_id")
ROLLUP_COLUMNS: Final[tuple[str, ...]] = (*KEY_COLUMNS, *VALUE_COLUMNS)

_INDEX: Final = {name: i for i, name in enumerate(VALUE_COLUMNS)}
_VISITS: Final = _INDEX["visits"]
_DWELL_SUM: Final = _INDEX["dwell_sum_s"]
_HIST_FIRST: Final = _INDEX[HIST_COLUMNS[0]]

_COUNTED: Final[dict[type, tuple[int, bool]]] = {
    DwellEvent: (_INDEX["visits"], True),
    DwellStartedEvent: (_INDEX["entries"], True),
    PassByEvent: (_INDEX["passbys"], True),
    TouchEvent: (_INDEX["touches"], True),
    PickupEvent: (_INDEX["pickups"], False),
    PutbackEvent: (_INDEX["putbacks"], False),
}
"""Per event class: the count column it adds to, and whether its bucket keys carry its zone (pickups and
put-backs are counted per shelf only)."""

RollupKey = tuple[int, int, str, str, str, str]


def _counted_slowly(event: AnyEvent) -> tuple[int, bool] | None:
    """`_COUNTED` for a subclass of a counted event class; None for camera_status."""
    return next((counted for cls, counted in _COUNTED.items() if isinstance(event, cls)), None)


def bucket_start(ts: float, bucket_s: int) -> int:
    """Start of the bucket of ``bucket_s`` seconds holding ``ts`` (UTC epoch seconds, buckets aligned to epoch)."""
    return math.floor(ts / bucket_s) * bucket_s


def dwell_bin(dwell_s: float) -> int:
    """Index of the histogram bucket holding ``dwell_s`` (0 for under 1 s, the last for 600 s and more)."""
    return bisect.bisect_right(DWELL_EDGES_S, dwell_s)


def dwell_quantile(hist: Sequence[int], q: float) -> float | None:
    """The ``q`` quantile (0..1) of the dwell times summarised by ``hist``, interpolated within its bucket.

    Returns None for an empty histogram. In the open last bucket the lower edge (600 s) is returned: the
    quantile is at least that.
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q: expected a quantile in [0, 1], got {q!r}")
    total = sum(hist)
    if total == 0:
        return None
    target = q * total
    seen = 0
    for index, count in enumerate(hist):
        if count and seen + count >= target:
            low = 0.0 if index == 0 else float(DWELL_EDGES_S[index - 1])
            if index == len(DWELL_EDGES_S):
                return low
            high = float(DWELL_EDGES_S[index])
            return low + (high - low) * max(0.0, target - seen) / count
        seen += count
    return float(DWELL_EDGES_S[-1])


@dataclass(frozen=True, slots=True)
class ReversedPickup:
    """Where a pickup that a put-back has just reversed was counted, so its bucket's ``reversed`` grows."""

    store_id: str
    camera_id: str
    shelf_id: str
    ts_start: float


@dataclass
class RollupDeltas:
    """Additive rollup changes of one ingest transaction, one row per key (upserts need unique keys)."""

    rows: dict[RollupKey, list[float]] = field(default_factory=dict)
    """Values per key in `VALUE_COLUMNS` order: counts are ints, the dwell sum a float."""

    def add_events(self, events: Iterable[AnyEvent]) -> None:
        """Count newly stored events; camera_status events carry no shopper counts and are skipped."""
        # One pass with the bucketing inlined (as in `bucket_start`): this runs for every event ingested.
        rows = self.rows
        for event in events:
            counted = _COUNTED.get(type(event)) or _counted_slowly(event)
            if counted is None:
                continue
            column, zoned = counted
            fields = event.__dict__  # .get() avoids pydantic's slow __getattr__ for fields a type lacks
            ts_start: float = fields.get("ts_start", fields["ts"])  # every shopper event has one
            store_id, camera_id = fields["store_id"], fields["camera_id"]
            shelf_id = fields.get("shelf_id") or ""
            zone_id = (fields.get("zone_id") or "") if zoned else ""
            dwell_s: float | None = fields["dwell_s"] if column == _VISITS else None
            for size in BUCKET_SIZES_S:
                key = (size, math.floor(ts_start / size) * size, store_id, shelf_id, zone_id, camera_id)
                row = rows.get(key)
                if row is None:
                    row = rows[key] = _zero_row()
                row[column] += 1
                if dwell_s is not None:
                    row[_DWELL_SUM] += dwell_s
                    row[_HIST_FIRST + dwell_bin(dwell_s)] += 1

    def add_reversals(self, pickups: Iterable[ReversedPickup]) -> None:
        """Count pickups reversed by a put-back, in the pickup's own buckets (zone "": pickups have none)."""
        for pickup in pickups:
            for size in BUCKET_SIZES_S:
                start = bucket_start(pickup.ts_start, size)
                key = (size, start, pickup.store_id, pickup.shelf_id, "", pickup.camera_id)
                self._row(key)[_INDEX["reversed"]] += 1

    def as_rows(self, *, plus: RollupDeltas | None = None) -> list[tuple[object, ...]]:
        """Rows in `ROLLUP_COLUMNS` order with ``plus`` added (neither is changed).

        One row per key: an upsert may not touch a row twice on PostgreSQL and DuckDB.
        """
        rows = self.rows
        if plus is not None and plus.rows:
            rows = dict(rows)
            for key, values in plus.rows.items():
                mine = rows.get(key)
                rows[key] = list(values) if mine is None else [a + b for a, b in zip(mine, values, strict=True)]
        return [(*key, *values) for key, values in rows.items()]

    def _row(self, key: RollupKey) -> list[float]:
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = _zero_row()
        return row


def _zero_row() -> list[float]:
    """Values of a new delta row: int counts (so rows need no conversion for the database), a float dwell sum."""
    row: list[float] = [0] * len(VALUE_COLUMNS)
    row[_DWELL_SUM] = 0.0
    return row
