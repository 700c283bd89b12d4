"""The edge box's durable event spool: events wait on disk until the aggregator acknowledges them.

SQLite in WAL mode with ``synchronous=FULL``: an event ``put`` here survives a crash or a power cut. Several
processes may write one spool (each camera's event stage) while the publisher drains it. The
spool is bounded (events and bytes, from the config); when full, the *oldest* events go first and a
persistent counter says how many were dropped, so a long network outage costs the oldest data, never the
newest, and never silently. The spool does not dedupe (the aggregator does, by event_id): an index of random
UUIDs made every acknowledged batch's delete touch a thousand index pages, capping delivery at 50k events/s.

Batches: ``take_batch`` hands out the oldest events not already in flight under a batch id; ``ack`` deletes
them; ``release`` (on a timeout) makes them available again. In-flight marks live in memory only: after a
restart every unacknowledged event is sent again, and the aggregator dedupes by event_id (at-least-once).
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    payload BLOB NOT NULL,
    origin_at REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class SpooledEvent:
    """One event as stored: its id, camera, the msgpack bytes sent on the wire, and when its frame was read
    (UTC epoch seconds; 0 when unknown), so the publisher can measure frame-to-published latency."""

    event_id: str
    camera_id: str
    payload: bytes
    origin_at: float = 0.0


@dataclass(frozen=True)
class Batch:
    """Events handed out together; acknowledge or release them by ``batch_id``."""

    batch_id: str
    events: tuple[SpooledEvent, ...]


class Spool:
    """A bounded, durable FIFO of encoded events.

    Args:
        path: SQLite file (its folder is created).
        max_events: Most events kept; beyond it the oldest are dropped and counted.
        max_bytes: Most payload bytes kept; same policy.
    """

    def __init__(self, path: Path, *, max_events: int = 1_000_000, max_bytes: int = 512 * 1024 * 1024) -> None:
        if max_events < 1 or max_bytes < 1:
            raise ValueError(f"spool bounds must be >= 1, got max_events={max_events}, max_bytes={max_bytes}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.max_events, self.max_bytes = path, max_events, max_bytes
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30.0, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(events)")}
        if "origin_at" not in columns:  # a spool written before origin times were kept
            self._db.execute("ALTER TABLE events ADD COLUMN origin_at REAL NOT NULL DEFAULT 0")
        self._db.execute("BEGIN IMMEDIATE")
        if self._db.execute("SELECT 1 FROM counters WHERE name = 'events'").fetchone() is None:
            count, size = self._db.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM events").fetchone()
            self._db.executemany(
                "INSERT INTO counters (name, value) VALUES (?, ?)", (("events", count), ("bytes", size))
            )
        self._db.execute("COMMIT")
        self._in_flight: dict[str, list[int]] = {}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def put(self, events: Iterable[SpooledEvent]) -> int:
        """Store events durably (one transaction); returns how many. Enforces the bounds."""
        rows = [(e.event_id, e.camera_id, e.payload, e.origin_at) for e in events]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                before = self._db.total_changes
                self._db.executemany(
                    "INSERT OR IGNORE INTO events (event_id, camera_id, payload, origin_at) VALUES (?,?,?,?)", rows
                )
                added = self._db.total_changes - before
                if added == len(rows):
                    self._count(added, sum(len(row[2]) for row in rows))
                else:  # a spool from before duplicates were kept ignored some: count afresh
                    self._recount()
                self._enforce_bounds()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return added

    def _count(self, events: int, size: int) -> None:
        """Add to the running totals (inside the caller's transaction): no full scan per put or ack."""
        self._db.executemany(
            "UPDATE counters SET value = value + ? WHERE name = ?", ((events, "events"), (size, "bytes"))
        )

    def _recount(self) -> None:
        count, size = self._db.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM events").fetchone()
        self._db.executemany("UPDATE counters SET value = ? WHERE name = ?", ((count, "events"), (size, "bytes")))

    def _totals(self) -> tuple[int, int]:
        values = dict(self._db.execute("SELECT name, value FROM counters WHERE name IN ('events', 'bytes')"))
        return int(values.get("events", 0)), int(values.get("bytes", 0))

    def _enforce_bounds(self) -> None:
        count, size = self._totals()
        dropped = 0
        while count > self.max_events or size > self.max_bytes:
            excess = max(1, count - self.max_events)
            oldest = self._db.execute(
                "SELECT seq, LENGTH(payload) FROM events ORDER BY seq LIMIT ?", (excess,)
            ).fetchall()
            if not oldest:
                break
            self._db.execute("DELETE FROM events WHERE seq <= ?", (oldest[-1][0],))
            freed = sum(length for _, length in oldest)
            self._count(-len(oldest), -freed)
            count -= len(oldest)
            size -= freed
            dropped += len(oldest)
        if dropped:
            self._db.execute(
                "INSERT INTO counters (name, value) VALUES ('dropped_oldest', ?) "
                "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                (dropped,),
            )

    def take_batch(self, limit: int = 500) -> Batch | None:
        """The oldest events not in flight (at most ``limit``), marked in flight; None when there are none."""
        with self._lock:
            busy = sorted({seq for seqs in self._in_flight.values() for seq in seqs})
            rows = self._db.execute(
                "SELECT seq, event_id, camera_id, payload, origin_at FROM events "
                f"WHERE seq NOT IN ({','.join('?' * len(busy))}) ORDER BY seq LIMIT ?",
                (*busy, limit),
            ).fetchall()
            if not rows:
                return None
            batch_id = uuid.uuid4().hex
            self._in_flight[batch_id] = [row[0] for row in rows]
        return Batch(batch_id, tuple(SpooledEvent(r[1], r[2], bytes(r[3]), float(r[4])) for r in rows))

    def ack(self, batch_id: str) -> int:
        """Delete an acknowledged batch's events; returns how many (0 for an unknown or repeated ack)."""
        with self._lock:
            seqs = self._in_flight.pop(batch_id, [])
            if seqs:
                # No fsync for deletes: an ack lost in a power cut only means the batch is sent again (deduped).
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute("BEGIN IMMEDIATE")
                for first, last in _runs(seqs):
                    count, size = self._db.execute(
                        "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM events WHERE seq BETWEEN ? AND ?",
                        (first, last),
                    ).fetchone()
                    self._db.execute("DELETE FROM events WHERE seq BETWEEN ? AND ?", (first, last))
                    self._count(-count, -size)
                self._db.execute("COMMIT")
                self._db.execute("PRAGMA synchronous=FULL")
        return len(seqs)

    def release(self, batch_id: str) -> None:
        """Make an unacknowledged batch's events available again (they are resent, possibly in other batches)."""
        with self._lock:
            self._in_flight.pop(batch_id, None)

    def release_all(self) -> None:
        """Forget every in-flight mark (e.g. after reconnecting)."""
        with self._lock:
            self._in_flight.clear()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return sum(len(seqs) for seqs in self._in_flight.values())

    def __len__(self) -> int:
        with self._lock:
            return self._totals()[0]

    @property
    def dropped_oldest(self) -> int:
        """Events dropped because the spool was full, over the spool's whole life."""
        with self._lock:
            row = self._db.execute("SELECT value FROM counters WHERE name = 'dropped_oldest'").fetchone()
        return int(row[0]) if row else 0


def _runs(seqs: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted ``seqs`` as (first, last) pairs: a batch is usually one run, one range delete."""
    runs: list[tuple[int, int]] = []
    for seq in sorted(seqs):
        if runs and seq == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], seq)
        else:
            runs.append((seq, seq))
    return runs
