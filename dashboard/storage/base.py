"""The one storage interface of the aggregator (its records are in `records.py`, re-exported here).

Two real backends implement `Store`: an embedded one that needs no server (SQLite, the default; DuckDB is
kept for comparison, see bench/README.md) and PostgreSQL for a central, multi-store deployment. Every
backend runs the same test-suite (tests/dashboard/storage). Records are frozen dataclasses, never
dicts, and carry only plain values, so services and routers never see a connection or a row tuple.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from shelfsight.dashboard.storage.records import (
    CameraLiveness,
    CameraStatusEntry,
    CoverageRow,
    DeadLetter,
    EventFilter,
    FeedPosition,
    IngestResult,
    OpenVisit,
    RetentionResult,
    RollupCounts,
    RollupQuery,
    RollupRow,
    StoreCounts,
    StoredDeadLetter,
    StoredEvent,
    StoreLabels,
    Target,
    TokenRecord,
)
from shelfsight.vision.events.contract import AnyEvent

if TYPE_CHECKING:  # prepared.py builds on the records, not on this interface
    from shelfsight.dashboard.storage.prepared import PreparedIngest

# The records are imported from here by most of the aggregator; they live in records.py.
__all__ = [
    "CameraLiveness",
    "CameraStatusEntry",
    "CoverageRow",
    "DeadLetter",
    "EventFilter",
    "FeedPosition",
    "IngestResult",
    "OpenVisit",
    "RetentionResult",
    "RollupCounts",
    "RollupQuery",
    "RollupRow",
    "Store",
    "StoreCounts",
    "StoreLabels",
    "StoredDeadLetter",
    "StoredEvent",
    "Target",
    "TokenRecord",
]


class Store(Protocol):
    """Storage of events, dead letters, rollups, coverage and API tokens.

    Implementations are safe to call from several threads at once (a small connection pool inside). Every
    ``ingest`` is one transaction: the events it reports accepted are stored and counted in the rollups
    exactly once, or nothing is (and the exception propagates).
    """

    @property
    def backend(self) -> str:
        """``"sqlite"``, ``"duckdb"`` or ``"postgresql"``."""
        ...

    def migrate(self) -> list[int]:
        """Apply pending schema migrations in order; return the versions applied (empty when up to date)."""
        ...

    def schema_version(self) -> int:
        """Highest applied migration version (0 for an empty database)."""
        ...

    def ingest(
        self, events: Sequence[AnyEvent], dead_letters: Sequence[DeadLetter], *, received_at: float
    ) -> IngestResult:
        """Store new events (dedupe by event_id), update every derived table, and keep the dead letters."""
        ...

    def ingest_prepared(self, prepared: PreparedIngest) -> IngestResult:
        """`ingest` of events already turned into rows (`PreparedIngest`, built without the database).

        The ingest receiver prepares each message as it drains it; ``prepared`` is only read.
        """
        ...

    def events(self, flt: EventFilter, *, after: FeedPosition | None, limit: int) -> list[StoredEvent]:
        """Events matching ``flt`` in ``(ts, event_id)`` order, strictly after ``after``, at most ``limit``."""
        ...

    def event(self, event_id: str) -> StoredEvent | None:
        """One event by id."""
        ...

    def shopper_events(self, store_id: str, shopper_id: str) -> list[StoredEvent]:
        """All stored events of one shopper, ordered by start time (``ts_start``, else ``ts``)."""
        ...

    def rollups(self, query: RollupQuery) -> list[RollupRow]:
        """Rollups summed per target and bucket, ordered by target then bucket."""
        ...

    def coverage(self, store_id: str, bucket_s: int, since: float, until: float) -> list[CoverageRow]:
        """Stored (closed-interval) coverage of every camera of a store in ``[since, until)``."""
        ...

    def camera_log(self, store_id: str, since: float, until: float) -> list[CameraStatusEntry]:
        """Status events in ``[since, until)`` plus, per camera, the last one before ``since``; ordered by ts."""
        ...

    def camera_latest(self, store_id: str) -> list[CameraStatusEntry]:
        """The latest status event of every camera of a store."""
        ...

    def first_status_ts(self, store_id: str) -> float | None:
        """When any camera of the store first reported a status (epoch s); None when none ever did. Coverage counts
        from here: before it, whether the cameras were up is unknown, not "down"."""
        ...

    def record_liveness(self, beats: Sequence[CameraLiveness]) -> None:
        """Keep the latest ``last_seen`` (and its ``stale_after_s``) of each camera of ``beats``."""
        ...

    def camera_liveness(self, store_id: str) -> list[CameraLiveness]:
        """When each camera of a store was last heard of (cameras whose box never sent a beat are absent)."""
        ...

    def record_labels(self, labels: Sequence[StoreLabels]) -> None:
        """Keep each store's latest time zone (when given) and zone names (others of the store are kept)."""
        ...

    def store_labels(self, store_id: str) -> StoreLabels:
        """A store's time zone and zone names as last recorded (None and empty when never)."""
        ...

    def recent_events(self, flt: EventFilter, *, limit: int) -> list[StoredEvent]:
        """The newest ``limit`` events matching ``flt``, newest first (``(ts, event_id)`` descending)."""
        ...

    def targets(self, store_id: str) -> list[Target]:
        """Every (shelf, zone, camera) the store's events mention."""
        ...

    def stores(self) -> list[str]:
        """Ids of stores with any event or camera status, sorted."""
        ...

    def open_visits(self, store_id: str, *, confirmed_since: float) -> list[OpenVisit]:
        """Open visits confirmed at or after ``confirmed_since``, oldest first."""
        ...

    def dead_letters(self, *, limit: int, before_id: int | None = None) -> list[StoredDeadLetter]:
        """Newest dead letters first, with ids below ``before_id`` when given."""
        ...

    def counts(self) -> StoreCounts:
        """Row counts."""
        ...

    def delete_before(self, cutoff: float) -> RetentionResult:
        """Delete raw events (by ts), dead letters (received_at) and open visits (confirmation) before ``cutoff``."""
        ...

    def add_token(self, record: TokenRecord) -> None:
        """Store a new token record."""
        ...

    def token_by_hash(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash, revoked or not."""
        ...

    def tokens(self) -> list[TokenRecord]:
        """Every token, oldest first."""
        ...

    def revoke_token(self, token_id: str, *, at: float) -> bool:
        """Mark a token revoked; False when there is no such live token."""
        ...

    def close(self) -> None:
        """Close every pooled connection."""
        ...
