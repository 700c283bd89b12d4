"""`IngestReceiver`: the aggregator's end of the edge link (ZeroMQ ROUTER in a thread of its own).

Each edge publisher (DEALER) sends `EventBatch` messages and waits for an `Ack` per batch; unacknowledged
batches stay in its disk spool and are resent. So the receiver acknowledges a batch only **after** the store
committed it: an accepted event is never lost, and a resent one is counted as a duplicate, never twice. Edge
publishers also send `EdgeBeat` messages; the receiver records when it last heard each camera's box
(`Store.record_liveness`), so coverage stops counting a silent box's cameras as online.

Loop: poll with a timeout (so `stop` is noticed within ``poll_ms``), drain what is waiting up to
``max_events_per_commit``, commit it in one transaction (`shelfsight.dashboard.ingest.commit`: a failure is isolated to
the batch or event that caused it), then send the acks. A failed commit sends no ack (the edge resends) and is
logged and counted; a malformed message is counted and dropped; a bad event is dead-lettered by the store and
counted in its batch's ack as rejected. Nothing a peer sends can end the thread: every step of one iteration
runs inside the loop's boundary, which logs and counts any exception and carries on. ZeroMQ itself refuses a
message frame over ``max_message_bytes`` (``MAXMSGSIZE``: the peer is disconnected before the message is
buffered), and each peer may queue at most ``RCVHWM`` messages.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import zmq
from zmq.auth.thread import ThreadAuthenticator
from zmq.utils.monitor import recv_monitor_message

from shelfsight.dashboard.ingest.batches import ReceivedBatch, ReceivedBeat, decode_received
from shelfsight.dashboard.ingest.commit import commit_group
from shelfsight.dashboard.ingest.curve import CurveServerKeys, make_curve_server
from shelfsight.dashboard.services.bus import EventBus
from shelfsight.dashboard.storage.base import CameraLiveness, Store, StoreLabels
from shelfsight.dashboard.storage.prepared import PreparedIngest
from shelfsight.transport.envelope import MessageError, encode

logger = logging.getLogger(__name__)

FAILED_COMMIT_BACKOFF_S = 1.0
"""Pause after a failed commit, so a database outage does not turn into a busy loop of retries."""

MAX_MESSAGES_PER_COMMIT = 200
"""Messages drained into one commit at most (each holds up to 1000 events)."""

LOOP_ERROR_BACKOFF_S = 0.5
"""Pause after an unexpected error in the loop, so a persistent fault is logged twice a second, not spun on."""

RECEIVE_HWM = 32
"""Messages ZeroMQ queues per peer before it stops reading from that peer: with ``max_message_bytes`` it bounds
the memory one peer can take (an edge publisher keeps one batch in flight)."""


@dataclass(frozen=True)
class IngestStats:
    """Counters since start; read them with `IngestReceiver.stats`."""

    messages: int = 0
    malformed_messages: int = 0
    batches: int = 0
    beats: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    poison_events: int = 0
    """Events that passed validation but that the store refused on their own: dead-lettered (`commit`)."""
    commits: int = 0
    failed_commits: int = 0
    acks_sent: int = 0
    acks_unsent: int = 0
    loop_errors: int = 0
    """Unexpected exceptions caught at the loop boundary (logged with their traceback)."""
    disconnects: int = 0
    """Peers ZeroMQ disconnected: an edge that went away, or one that sent a frame over ``max_message_bytes``."""
    last_commit_at: float | None = None


@dataclass(frozen=True)
class IngestOptions:
    """How the receiver polls and groups work (see `shelfsight.dashboard.settings.DashboardSettings`)."""

    poll_ms: int = 100
    max_events_per_commit: int = 10000
    send_timeout_ms: int = 1000
    max_message_bytes: int = 4 * 1024 * 1024
    """ZeroMQ ``MAXMSGSIZE``: a peer sending a larger frame is disconnected (a batch of 1000 v1 events with
    128-character ids is about 1.2 MB)."""


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
        self._monitor: zmq.Socket[bytes] | None = None
        self._authenticator: ThreadAuthenticator | None = None
        self._failure: str | None = None
        self._labels_written: dict[str, tuple[str | None, tuple[tuple[str, str], ...]]] = {}
        """Per store, the labels last written: beats repeat them every few seconds, the database needs them once."""
        self.endpoint = endpoint

    @property
    def stats(self) -> IngestStats:
        with self._lock:
            return self._stats

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def failure(self) -> str | None:
        """Why the receive thread ended on its own (None while it runs, or after a requested stop)."""
        return self._failure

    def start(self) -> None:
        """Bind the socket (errors such as a port in use raise here) and start the receive thread."""
        if self._thread is not None:
            raise RuntimeError("ingest receiver already started")
        self._context = zmq.Context()
        socket = self._context.socket(zmq.ROUTER)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.SNDTIMEO, self._options.send_timeout_ms)
        socket.setsockopt(zmq.MAXMSGSIZE, self._options.max_message_bytes)
        socket.setsockopt(zmq.RCVHWM, RECEIVE_HWM)
        try:
            if self._curve is not None:
                self._authenticator = make_curve_server(self._context, socket, self._curve)
            socket.bind(self._requested_endpoint)
        except Exception:
            self._close(socket)
            raise
        self.endpoint = socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self._socket = socket
        self._monitor = socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        self._failure = None
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
        socket, monitor = self._socket, self._monitor
        assert socket is not None and monitor is not None  # set by start() before the thread exists
        poller = zmq.Poller()
        poller.register(socket, zmq.POLLIN)
        poller.register(monitor, zmq.POLLIN)
        try:
            while not self._stop.is_set():
                try:
                    ready = dict(poller.poll(self._options.poll_ms))
                    if monitor in ready:
                        self._count_disconnects(monitor)
                    if socket in ready:
                        self._drain_and_commit(socket)
                except Exception:  # the loop boundary: nothing a peer or the store does may end ingest
                    logger.exception("ingest loop error; carrying on")
                    self._count(loop_errors=1)
                    self._stop.wait(LOOP_ERROR_BACKOFF_S)
        except BaseException as exc:  # not an Exception (SystemExit, GeneratorExit...): report it, and end
            self._failure = f"{type(exc).__name__}: {exc}"
            logger.critical("ingest thread ended: %s", self._failure, exc_info=True)
        finally:
            self._close(socket)

    def _count_disconnects(self, monitor: zmq.Socket[bytes]) -> None:
        while monitor.poll(0):
            event = recv_monitor_message(monitor)
            if event["event"] == zmq.EVENT_DISCONNECTED:
                self._count(disconnects=1)

    def _drain_and_commit(self, socket: zmq.Socket[bytes]) -> None:
        received: list[ReceivedBatch] = []
        beats: list[ReceivedBeat] = []
        prepared = PreparedIngest()  # rows and rollup deltas, built message by message (no database access)
        events = 0
        while events < self._options.max_events_per_commit and len(received) < MAX_MESSAGES_PER_COMMIT:
            try:
                frames = socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            self._count(messages=1)
            try:
                message = decode_received(frames, received_at=self._clock())
            except MessageError as exc:
                self._count(malformed_messages=1)
                logger.warning("dropped a malformed message: %s", exc)
                continue
            if isinstance(message, ReceivedBeat):
                beats.append(message)
                continue
            try:
                prepared.add(message.events, message.dead_letters, received_at=message.received_at)
            except Exception:  # should not happen to validated events; never let one message spoil the group
                logger.exception("could not prepare batch %s; dropped without an ack", message.batch.batch_id)
                self._count(malformed_messages=1)
                prepared = _prepare(received)
                continue
            received.append(message)
            events += len(message.events) + len(message.dead_letters)
        if beats:
            self._record_beats(beats)
        if received:
            self._commit(socket, received, prepared)

    def _record_beats(self, beats: list[ReceivedBeat]) -> None:
        latest: dict[tuple[str, str], CameraLiveness] = {}
        for message in beats:
            beat = message.beat
            for camera in beat.cameras:
                latest[beat.store_id, camera] = CameraLiveness(
                    beat.store_id, camera, message.received_at, beat.stale_after_s
                )
        self._count(beats=len(beats))
        try:
            self._store.record_liveness(list(latest.values()))
        except Exception:  # liveness is refreshed by the next beat; events matter more
            logger.exception("could not record %d edge beat(s)", len(beats))
        self._record_labels(beats)

    def _record_labels(self, beats: list[ReceivedBeat]) -> None:
        """Store the time zone and zone names the beats carry, when they differ from those last written."""
        changed: dict[tuple[str, str | None, tuple[tuple[str, str], ...]], StoreLabels] = {}
        for message in beats:
            beat = message.beat
            said = (beat.timezone, beat.zone_names)
            if (beat.timezone is None and not beat.zone_names) or self._labels_written.get(beat.store_id) == said:
                continue
            labels = StoreLabels(beat.store_id, beat.timezone, dict(beat.zone_names), message.received_at)
            changed[beat.store_id, *said] = labels
        if not changed:
            return
        try:
            self._store.record_labels(list(changed.values()))
        except Exception:  # the next beat carries them again
            logger.exception("could not record the labels of %d edge beat(s)", len(changed))
            return
        for labels in changed.values():
            self._labels_written[labels.store_id] = (labels.timezone, tuple(sorted(labels.zone_names.items())))

    def _commit(self, socket: zmq.Socket[bytes], received: list[ReceivedBatch], prepared: PreparedIngest) -> None:
        outcome = commit_group(self._store, received, prepared)
        self._count(
            batches=len(received),
            commits=1 if outcome.acks else 0,
            failed_commits=outcome.failed_commits,
            poison_events=outcome.poison_events,
            accepted=sum(ack.accepted for _, ack in outcome.acks),
            duplicates=sum(ack.duplicates for _, ack in outcome.acks),
            rejected=sum(ack.rejected for _, ack in outcome.acks),
        )
        if outcome.acks:
            with self._lock:
                self._stats = replace(self._stats, last_commit_at=self._clock())
        if self._bus is not None and outcome.accepted:
            self._bus.publish(outcome.accepted)
        for batch, ack in outcome.acks:
            try:
                socket.send_multipart([batch.identity, *encode(ack.to_envelope())], zmq.NOBLOCK)
                self._count(acks_sent=1)
            except zmq.ZMQError:  # the peer is gone or its queue is full: it will resend and get a duplicate ack
                self._count(acks_unsent=1)
        if outcome.unacknowledged:  # the database refuses writes: no ack (the edges resend), and no busy loop
            self._stop.wait(FAILED_COMMIT_BACKOFF_S)

    def _count(self, **increments: int) -> None:
        with self._lock:
            values = {name: getattr(self._stats, name) + amount for name, amount in increments.items()}
            self._stats = replace(self._stats, **values)

    def _close(self, socket: zmq.Socket[bytes]) -> None:
        if self._monitor is not None:
            socket.disable_monitor()
            self._monitor.close(linger=0)
            self._monitor = None
        socket.close(linger=0)
        if self._authenticator is not None:
            self._authenticator.stop()
            self._authenticator = None
        if self._context is not None:
            self._context.term()
            self._context = None


def _prepare(batches: list[ReceivedBatch]) -> PreparedIngest:
    """A fresh `PreparedIngest` of ``batches`` (after one message failed half-way through being added)."""
    prepared = PreparedIngest()
    for batch in batches:
        prepared.add(batch.events, batch.dead_letters, received_at=batch.received_at)
    return prepared
