"""The plain records that cross the storage interface (`shelfsight.dashboard.storage.base.Store`).

Frozen dataclasses, never dicts, carrying only plain values, so services and routers never see a connection or a
row tuple. In a module of their own so that what builds on them (`prepared.py`) and the interface both import them,
and neither imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shelfsight.dashboard.storage.rollup import HIST_COLUMNS
from shelfsight.vision.events.contract import AnyEvent


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An event that failed validation, kept with its raw bytes for inspection (ingest never stops for it)."""

    raw: bytes
    error: str
    store_id: str
    batch_id: str
    received_at: float


@dataclass(frozen=True, slots=True)
class StoredDeadLetter:
    """A dead letter as stored, with its row id."""

    id: int
    letter: DeadLetter


@dataclass(frozen=True, slots=True)
class IngestResult:
    """Outcome of one ingest transaction.

    Attributes:
        accepted: Events stored for the first time, in input order.
        duplicates: Events whose ``event_id`` was already stored (or repeated earlier in the same call).
        dead_lettered: Dead letters written.
    """

    accepted: tuple[AnyEvent, ...]
    duplicates: int
    dead_lettered: int


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Feed filters; None / empty means "any". Times are UTC epoch seconds, ``since`` inclusive, ``until`` not."""

    store_id: str | None = None
    camera_id: str | None = None
    zone_id: str | None = None
    shelf_id: str | None = None
    shopper_id: str | None = None
    types: tuple[str, ...] = ()
    since: float | None = None
    until: float | None = None


@dataclass(frozen=True, slots=True)
class FeedPosition:
    """Keyset position in the feed's stable order ``(ts, event_id)``: the last row a page returned. An empty
    ``event_id`` is the position before every event at ``ts`` (to start a page at a time)."""

    ts: float
    event_id: str


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One stored event: its sort key and its canonical JSON (exactly what `shelfsight.vision.events.codec.to_json`
    wrote)."""

    ts: float
    event_id: str
    payload: str


@dataclass(frozen=True, slots=True)
class RollupCounts:
    """Summable rollup values of one or more rows (see `shelfsight.dashboard.storage.rollup` for their meaning)."""

    entries: int = 0
    visits: int = 0
    passbys: int = 0
    touches: int = 0
    pickups: int = 0
    putbacks: int = 0
    reversed: int = 0
    dwell_sum_s: float = 0.0
    dwell_hist: tuple[int, ...] = field(default=(0,) * len(HIST_COLUMNS))

    def __add__(self, other: RollupCounts) -> RollupCounts:
        return RollupCounts(
            entries=self.entries + other.entries,
            visits=self.visits + other.visits,
            passbys=self.passbys + other.passbys,
            touches=self.touches + other.touches,
            pickups=self.pickups + other.pickups,
            putbacks=self.putbacks + other.putbacks,
            reversed=self.reversed + other.reversed,
            dwell_sum_s=self.dwell_sum_s + other.dwell_sum_s,
            dwell_hist=tuple(a + b for a, b in zip(self.dwell_hist, other.dwell_hist, strict=True)),
        )


@dataclass(frozen=True, slots=True)
class RollupQuery:
    """Which rollups to sum: one store, one bucket size, a time range, grouped by shelf or by zone.

    Attributes:
        store_id: The store.
        bucket_s: 60 or 3600.
        since: First bucket start included (epoch s).
        until: Buckets starting at or after this are excluded.
        group_by: ``"shelf"`` sums zones and cameras per shelf; ``"zone"`` sums shelves and cameras per zone.
        target_ids: Only these shelves (or zones); empty for all. Rows without a shelf (or zone) are never returned.
        per_bucket: One row per target and bucket; False sums the whole window into one row per target (its
            ``bucket_start`` is then the target's first bucket with data in the window).
    """

    store_id: str
    bucket_s: int
    since: float
    until: float
    group_by: str = "shelf"
    target_ids: tuple[str, ...] = ()
    per_bucket: bool = True


@dataclass(frozen=True, slots=True)
class RollupRow:
    """Summed rollups of one shelf or zone in one bucket."""

    target_id: str
    bucket_start: int
    counts: RollupCounts


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """Seconds one camera spent in each status within one bucket (closed intervals only)."""

    camera_id: str
    bucket_start: int
    online_s: float
    degraded_s: float
    offline_s: float


@dataclass(frozen=True, slots=True)
class CameraStatusEntry:
    """One ``camera_status`` event as logged (kept forever: it is small and coverage is recomputed from it)."""

    store_id: str
    camera_id: str
    ts: float
    status: str
    reason: str
    fps: float | None


@dataclass(frozen=True, slots=True)
class Target:
    """A (shelf, zone) pair a camera has reported on, with the first and last event time seen."""

    store_id: str
    shelf_id: str
    zone_id: str
    camera_id: str
    first_ts: float
    last_ts: float


@dataclass(frozen=True, slots=True)
class OpenVisit:
    """A ``dwell_started`` whose ``dwell`` has not arrived: a shopper dwelling now (or an abandoned visit)."""

    store_id: str
    camera_id: str
    shopper_id: str
    zone_id: str
    shelf_id: str | None
    ts_start: float
    confirmed_ts: float


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API token as stored: only the sha256 of the secret, never the secret itself.

    ``expires_at`` is set on page sign-in sessions (`shelfsight.dashboard.services.tokens.start_session`), never on API
    tokens: a session is refused after it, and sign-out revokes it.
    """

    token_id: str
    name: str
    scopes: tuple[str, ...]
    token_hash: str
    created_at: float
    revoked_at: float | None = None
    expires_at: float | None = None


@dataclass(frozen=True, slots=True)
class CameraLiveness:
    """When the aggregator last heard the edge box of one camera (its publisher's `EdgeBeat`).

    Attributes:
        last_seen: Aggregator clock at the latest beat, UTC epoch seconds.
        stale_after_s: Seconds of silence after which the camera's status is unknown (the box's own setting).
    """

    store_id: str
    camera_id: str
    last_seen: float
    stale_after_s: float

    def silent_since(self, now: float) -> float | None:
        """``last_seen`` when the box has been silent too long at ``now``, else None (it is alive)."""
        return self.last_seen if now - self.last_seen > self.stale_after_s else None


@dataclass(frozen=True, slots=True)
class StoreLabels:
    """What a store's edge boxes call things: its time zone and its zones' display names (from their beats).

    Attributes:
        timezone: IANA time zone name, or None when no box has said (pages then use UTC).
        zone_names: Display name by zone id, for the zones that have one.
        updated_at: Aggregator clock when these were received, UTC epoch seconds.
    """

    store_id: str
    timezone: str | None = None
    zone_names: Mapping[str, str] = field(default_factory=dict)
    updated_at: float = 0.0


@dataclass(frozen=True, slots=True)
class StoreCounts:
    """Row counts, for health and the admin API."""

    events: int
    dead_letters: int
    rollup_rows: int


@dataclass(frozen=True, slots=True)
class RetentionResult:
    """Rows deleted by one retention run (rollups, coverage and the camera log are kept)."""

    events: int
    dead_letters: int
    open_visits: int
