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

A full disk: a ``put`` that cannot be stored raises `SpoolWriteError` with the transaction rolled back (the
spool stays as it was; the caller keeps the events and tries again). An acknowledged batch whose delete fails
is never handed out again; the publisher's spool holds a disk reserve (`shelfsight.pipeline.disk_reserve`) that it gives
up to make such deletes possible, and `maintain` retries what is still undeleted.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from shelfsight.pipeline.disk_reserve import DiskReserve, is_disk_full, reserve_size

logger = logging.getLogger(__name__)

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
AUDIT_SCHEMA = "CREATE TABLE IF NOT EXISTS written (event_id TEXT NOT NULL)"
"""With ``audit``: every event id ever stored, in the same transaction as the event (benchmarks count what was
produced from it, independently of the aggregator)."""


class SpoolWriteError(OSError):
    """The spool could not store or delete; nothing was half-written. ``disk_full`` says whether the disk is full.

    Attributes:
        disk_full: True when the cause is a full disk (``SQLITE_FULL``, ``ENOSPC``).
    """

    def __init__(self, message: str, *, disk_full: bool) -> None:
        super().__init__(message)
        self.disk_full = disk_full


def _write_error(action: str, exc: BaseException) -> SpoolWriteError:
    full = is_disk_full(exc)
    return SpoolWriteError(f"cannot {action} events: {'the disk is full' if full else exc}", disk_full=full)


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
        reserve: Hold a disk reserve beside the file for deletes on a full disk (the publisher's spool).
        audit: Also keep every stored event id for good (table ``written``), for benchmarks.

    Raises:
        SpoolWriteError: When the database cannot be opened or prepared (a full disk, a broken file).
    """

    def __init__(
        self,
        path: Path,
        *,
        max_events: int = 1_000_000,
        max_bytes: int = 512 * 1024 * 1024,
        reserve: bool = False,
        audit: bool = False,
    ) -> None:
        if max_events < 1 or max_bytes < 1:
            raise ValueError(f"spool bounds must be >= 1, got max_events={max_events}, max_bytes={max_bytes}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.max_events, self.max_bytes, self.audit = path, max_events, max_bytes, audit
        self._lock = threading.Lock()
        self._in_flight: dict[str, list[int]] = {}
        self._acked: list[int] = []
        """Acknowledged events a full disk kept from being deleted: never handed out again."""
        self.write_error: str | None = None
        """Why the last delete of acknowledged events failed; None once they are gone."""
        self._reserve: DiskReserve | None = None
        if reserve:
            self._reserve = DiskReserve(path.with_name(path.name + ".reserve"), reserve_size(path.parent))
            self._reserve.ensure()
        self._db = sqlite3.connect(path, timeout=30.0, check_same_thread=False, isolation_level=None)
        try:
            self._prepare()
        except sqlite3.Error as exc:
            self._db.close()
            raise _write_error("open the spool's", exc) from exc

    def _prepare(self) -> None:
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA + (AUDIT_SCHEMA if self.audit else ""))
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(events)")}
        if "origin_at" not in columns:  # a spool written before origin times were kept
            self._db.execute("ALTER TABLE events ADD COLUMN origin_at REAL NOT NULL DEFAULT 0")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if self._db.execute("SELECT 1 FROM counters WHERE name = 'events'").fetchone() is None:
                count, size = self._db.execute(
                    "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM events"
                ).fetchone()
                self._db.executemany(
                    "INSERT INTO counters (name, value) VALUES (?, ?)", (("events", count), ("bytes", size))
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _rollback(self) -> None:
        """Roll back what is open. SQLite has already rolled back a transaction that failed on a full disk, and a
        second ROLLBACK would raise "no transaction is active" over the real error."""
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    def put(self, events: Iterable[SpooledEvent]) -> int:
        """Store events durably (one transaction); returns how many. Enforces the bounds.

        Raises:
            SpoolWriteError: Nothing was stored (disk full, database failure); the caller still holds the events.
        """
        rows = [(e.event_id, e.camera_id, e.payload, e.origin_at) for e in events]
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
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
                if self.audit:
                    self._db.executemany("INSERT INTO written (event_id) VALUES (?)", ((row[0],) for row in rows))
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise _write_error("store", exc) from exc
            except BaseException:
                self._rollback()
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
        """The oldest events not in flight or acknowledged (at most ``limit``), marked in flight; None when none."""
        with self._lock:
            busy = sorted({seq for seqs in (*self._in_flight.values(), self._acked) for seq in seqs})
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
        """Delete an acknowledged batch's events; returns how many (0 for an unknown or repeated ack).

        The events count as acknowledged even when a full disk keeps them from being deleted now: they are not
        handed out again, and `maintain` deletes them later (see `write_error`).
        """
        with self._lock:
            seqs = self._in_flight.pop(batch_id, [])
            if seqs:
                self._acked.extend(seqs)
                self._delete_acked()
        return len(seqs)

    def _delete_acked(self) -> None:
        """Delete the acknowledged events (under the lock); on a full disk, once more after giving up the reserve."""
        try:
            self._delete(self._acked)
        except SpoolWriteError as exc:
            if not (exc.disk_full and self._reserve is not None and self._reserve.release()):
                self._note_write_error(exc)
                return
            try:
                self._delete(self._acked)
            except SpoolWriteError as again:
                self._note_write_error(again)
                return
        self._acked.clear()
        self.write_error = None

    def _note_write_error(self, exc: SpoolWriteError) -> None:
        if self.write_error is None:
            logger.error("%s; %d acknowledged events wait to be deleted (not sent again)", exc, len(self._acked))
        self.write_error = str(exc)

    def _delete(self, seqs: list[int]) -> None:
        # No fsync for deletes: an ack lost in a power cut only means the batch is sent again (deduped).
        try:
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
        except sqlite3.Error as exc:
            self._rollback()
            raise _write_error("delete acknowledged", exc) from exc
        finally:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("PRAGMA synchronous=FULL")

    def maintain(self) -> None:
        """Housekeeping for the publisher, every few seconds: delete acknowledged events a full disk kept, hold
        the disk reserve again once there is room, and give the write-ahead log's disk space back while the
        spool is empty (the log otherwise keeps the size of its busiest hour)."""
        with self._lock:
            if self._acked:
                self._delete_acked()
            if self._reserve is not None:
                self._reserve.ensure()
            if not self._acked and self._totals()[0] == 0:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @property
    def acked_undeleted(self) -> int:
        """Acknowledged events still on disk because a full disk kept them from being deleted."""
        with self._lock:
            return len(self._acked)

    @property
    def reserve_held(self) -> bool:
        """The disk reserve is in place (always True for a spool without one)."""
        return self._reserve is None or self._reserve.held

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
        """Events waiting to be acknowledged."""
        with self._lock:
            return self._totals()[0] - len(self._acked)

    def written(self) -> int:
        """With ``audit``: distinct event ids ever stored (0 otherwise)."""
        if not self.audit:
            return 0
        with self._lock:
            return int(self._db.execute("SELECT COUNT(DISTINCT event_id) FROM written").fetchone()[0])

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
