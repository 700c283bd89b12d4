"""`IngestReceiver`: the aggregator's end of the edge link (ZeroMQ ROUTER in a thread of its own).

Each edge publisher (DEALER) sends `EventBatch` messages and waits for an `Ack` per batch; unacknowledged
batches stay in its disk spool and are resent. So the receiver acknowledges a batch only **after** the store
committed it: an accepted event is never lost, and a resent one is counted as a duplicate, never twice.

Loop: poll with a timeout (so `stop` is noticed within ``poll_ms``), drain what is waiting up to
``max_events_per_commit``, commit it in one transaction, then send the acks. A failed commit sends no ack (the
edge resends) and is logged and counted; a malformed message is counted and dropped; a bad event is
dead-lettered by the store and counted in its batch's ack as rejected.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import zmq
from zmq.auth.thread import ThreadAuthenticator

from dashboard.ingest.batches import ReceivedBatch, acks_for, decode_message, plan_commit
from dashboard.ingest.curve import CurveServerKeys, make_curve_server
from dashboard.services.bus import EventBus
from dashboard.storage.base import Store
from dashboard.storage.prepared import PreparedIngest
from pipeline.transport.envelope import MessageError, encode

logger = logging.getLogger(__name__)

FAILED_COMMIT_BACKOFF_S = 1.0
"""Pause after a failed commit, so a database outage does not turn into a busy loop of retries."""

MAX_MESSAGES_PER_COMMIT = 200
"""Messages drained into one commit at most (each holds up to 1000 events)."""


@dataclass(frozen=True)
class IngestStats:
    """Counters since start; read them with `IngestReceiver.stats`."""

    messages: int = 0
    malformed_messages: int = 0
    batches: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    commits: int = 0
    failed_commits: int = 0
    acks_sent: int = 0
    acks_unsent: int = 0
    last_commit_at: float | None = None


@dataclass(frozen=True)
class IngestOptions:
    """How the receiver polls and groups work (see `dashboard.settings.DashboardSettings`)."""

    poll_ms: int = 100
    max_events_per_commit: int = 10000
    send_timeout_ms: int = 1000


class IngestReceiver:
    """Receive, validate, dedupe, store and acknowledge event batches.

    Args:
        store: Where events go.
        endpoint: ZeroMQ endpoint to bind, e.g. ``tcp://127.0.0.1:5560`` (port 0 picks a free one; see `endpoint`).
        bus: Receives every newly stored event after its commit (live streams); optional.
        options: Poll and grouping settings.
        curve: When given, the socket is a CURVE server that accepts only these edge keys.
        clock: Wall clock for ``received_at`` (UTC epoch seconds).
    """

    def __init__(
        self,
        *,
        store: Store,
        endpoint: str,
        bus: EventBus | None = None,
        options: IngestOptions | None = None,
        curve: CurveServerKeys | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._requested_endpoint = endpoint
        self._bus = bus
        self._options = options or IngestOptions()
        self._curve = curve
        self._clock = clock
        self._stats = IngestStats()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._context: zmq.Context[zmq.Socket[bytes]] | None = None
        self._socket: zmq.Socket[bytes] | None = None
        self._authenticator: ThreadAuthenticator | None = None
        self.endpoint = endpoint

    @property
    def stats(self) -> IngestStats:
        with self._lock:
            return self._stats

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Bind the socket (errors such as a port in use raise here) and start the receive thread."""
        if self._thread is not None:
            raise RuntimeError("ingest receiver already started")
        self._context = zmq.Context()
        socket = self._context.socket(zmq.ROUTER)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.SNDTIMEO, self._options.send_timeout_ms)
        try:
            if self._curve is not None:
                self._authenticator = make_curve_server(self._context, socket, self._curve)
            socket.bind(self._requested_endpoint)
        except Exception:
            self._close(socket)
            raise
        self.endpoint = socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self._socket = socket
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="shelfsight-ingest", daemon=True)
        self._thread.start()
        logger.info("ingest listening endpoint=%s curve=%s", self.endpoint, self._curve is not None)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask the thread to finish its current commit and exit; wait up to ``timeout_s``."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout_s)
        if thread.is_alive():
            logger.error("ingest thread did not stop within %.1f s", timeout_s)
        self._thread = None
        logger.info("ingest stopped stats=%s", self.stats)

    def _run(self) -> None:
        socket = self._socket
        assert socket is not None  # set by start() before the thread exists
        poller = zmq.Poller()
        poller.register(socket, zmq.POLLIN)
        try:
            while not self._stop.is_set():
                if poller.poll(self._options.poll_ms):
                    self._drain_and_commit(socket)
        finally:
            self._close(socket)

    def _drain_and_commit(self, socket: zmq.Socket[bytes]) -> None:
        received: list[ReceivedBatch] = []
        prepared = PreparedIngest()  # rows and rollup deltas, built message by message (no database access)
        events = 0
        while events < self._options.max_events_per_commit and len(received) < MAX_MESSAGES_PER_COMMIT:
            try:
                frames = socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            self._count(messages=1)
            received_at = self._clock()
            try:
                batch = decode_message(frames, received_at=received_at)
            except MessageError as exc:
                self._count(malformed_messages=1)
                logger.warning("dropped a malformed message: %s", exc)
                continue
            received.append(batch)
            prepared.add(batch.events, batch.dead_letters, received_at=received_at)
            events += len(batch.events) + len(batch.dead_letters)
        if received:
            self._commit(socket, received, prepared)

    def _commit(self, socket: zmq.Socket[bytes], received: list[ReceivedBatch], prepared: PreparedIngest) -> None:
        try:
            result = self._store.ingest_prepared(prepared)
        except Exception:  # the loop boundary: no ack, the edge resends; never let ingest die
            logger.exception("commit of %d batch(es) failed; no ack sent, the edge will resend", len(received))
            self._count(failed_commits=1)
            self._stop.wait(FAILED_COMMIT_BACKOFF_S)
            return
        acks = acks_for(received, plan_commit(received), {event.event_id.int for event in result.accepted})
        self._count(
            batches=len(received),
            commits=1,
            accepted=sum(a.accepted for a in acks),
            duplicates=sum(a.duplicates for a in acks),
            rejected=sum(a.rejected for a in acks),
        )
        with self._lock:
            self._stats = replace(self._stats, last_commit_at=self._clock())
        if self._bus is not None:
            self._bus.publish(result.accepted)
        for batch, ack in zip(received, acks, strict=True):
            try:
                socket.send_multipart([batch.identity, *encode(ack.to_envelope())], zmq.NOBLOCK)
                self._count(acks_sent=1)
            except zmq.Again:  # the peer is gone or its queue is full: it will resend and get a duplicate ack
                self._count(acks_unsent=1)

    def _count(self, **increments: int) -> None:
        with self._lock:
            values = {name: getattr(self._stats, name) + amount for name, amount in increments.items()}
            self._stats = replace(self._stats, **values)

    def _close(self, socket: zmq.Socket[bytes]) -> None:
        socket.close(linger=0)
        if self._authenticator is not None:
            self._authenticator.stop()
            self._authenticator = None
        if self._context is not None:
            self._context.term()
            self._context = None
