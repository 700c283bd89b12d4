"""Sending spooled events to the aggregator and deleting them only once acknowledged (at-least-once).

Stop-and-wait over a DEALER socket: one batch in flight; the aggregator's ``Ack`` names the batch; without an
ack within ``ack_timeout_s`` the batch is released and sent again (the aggregator dedupes by event_id).
``IMMEDIATE`` keeps ZeroMQ from queueing batches for an aggregator that is not connected, so an outage grows
the disk spool (bounded, counted) instead of memory. Anything that arrives and is not a valid ack is counted
and dropped. Every ``beat_interval_s`` it also sends an `EdgeBeat` naming the box's cameras (no ack), so the
aggregator can tell a silent box from a quiet store (`shelfsight.transport.liveness`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import zmq

from shelfsight.pipeline.spool import Batch, Spool
from shelfsight.transport.envelope import MessageError, decode, encode
from shelfsight.transport.liveness import EdgeBeat
from shelfsight.transport.messages import Ack, EventBatch

logger = logging.getLogger(__name__)

MAX_ACK_BYTES = 64 * 1024
"""``MAXMSGSIZE`` of the DEALER: acks are a few hundred bytes; a bigger message drops the connection (it
reconnects) instead of filling the box's memory."""


@dataclass(frozen=True)
class PublisherSettings:
    """Where and how events are sent.

    Attributes:
        endpoint: The aggregator's ingest, ``tcp://host:port``.
        store_id: This box's store.
        batch_size: Events per batch (at most 1000, the ingest's limit).
        ack_timeout_s: Seconds to wait for an ack before sending the batch again. Too low resends batches
            a slow aggregator was about to acknowledge (harmless: deduped), too high delays recovery.
        idle_poll_s: Seconds between looks at an empty spool.
        curve_server_key: The aggregator's Z85 public key; with ``curve_client_keys`` turns CURVE on.
        curve_client_keys: This box's (public, secret) Z85 keys.
        cameras: The box's camera ids, named in its beats (none: no beats are sent).
        beat_interval_s: Seconds between beats; the aggregator treats the cameras as unknown after three
            missed ones. Lower notices a dead box sooner and sends more (tiny) messages.
        timezone: The store's IANA time zone, sent in the beats (None: not sent).
        zone_names: ``(zone id, display name)`` pairs sent in the beats, for the dashboard's pages.
    """

    endpoint: str
    store_id: str
    batch_size: int = 500
    ack_timeout_s: float = 5.0
    idle_poll_s: float = 0.2
    curve_server_key: bytes | None = None
    curve_client_keys: tuple[bytes, bytes] | None = None
    cameras: tuple[str, ...] = ()
    beat_interval_s: float = 5.0
    timezone: str | None = None
    zone_names: tuple[tuple[str, str], ...] = ()


@dataclass
class PublisherStats:
    """Counters for health and metrics."""

    batches_sent: int = 0
    beats_sent: int = 0
    events_acked: int = 0
    resends: int = 0
    bad_messages: int = 0
    last_ack_at: float | None = None
    extra: dict[str, int] = field(default_factory=dict)


class EventPublisher:
    """Drains a ``Spool`` to the aggregator. Call ``run(stop)`` in its own thread or process.

    Args:
        spool: The durable spool to drain.
        settings: Endpoint, batching and timeouts.
        context: ZeroMQ context (the process's shared one when omitted).
    """

    def __init__(
        self, spool: Spool, settings: PublisherSettings, context: zmq.Context[zmq.Socket[bytes]] | None = None
    ):
        self.spool, self.settings = spool, settings
        self.on_acked: Callable[[Batch], None] | None = None
        """Called with each acknowledged batch (the edge runtime measures latency from it)."""
        self.stats = PublisherStats()
        self._socket = (context or zmq.Context.instance()).socket(zmq.DEALER)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.setsockopt(zmq.IMMEDIATE, 1)
        self._socket.setsockopt(zmq.SNDTIMEO, 0)
        self._socket.setsockopt(zmq.MAXMSGSIZE, MAX_ACK_BYTES)
        if settings.curve_server_key is not None and settings.curve_client_keys is not None:
            self._socket.curve_serverkey = settings.curve_server_key
            self._socket.curve_publickey, self._socket.curve_secretkey = settings.curve_client_keys
        self._socket.connect(settings.endpoint)
        self._seq = 0
        self._next_beat = 0.0

    def close(self) -> None:
        self._socket.close(linger=0)

    def run(self, stop: threading.Event) -> None:
        """Send until ``stop`` is set; what is unacknowledged then stays in the spool."""
        while not stop.is_set():
            if not self.step():
                stop.wait(self.settings.idle_poll_s)

    def step(self) -> int:
        """One send-and-wait cycle; returns the number of events acknowledged (0 if idle or timed out)."""
        self._beat()
        batch = self.spool.take_batch(self.settings.batch_size)
        if batch is None:
            return 0
        if not self._send(batch):
            self.spool.release(batch.batch_id)
            return 0
        acked = self._await_ack(batch.batch_id)
        if acked is None:
            self.spool.release(batch.batch_id)
            self.stats.resends += 1
            return 0
        self.stats.events_acked += acked
        if self.on_acked is not None:
            self.on_acked(batch)
        return acked

    def _send(self, batch: Batch) -> bool:
        self._seq += 1
        message = EventBatch(
            self.settings.store_id, "*", batch.batch_id, tuple(e.payload for e in batch.events), self._seq
        )
        try:
            self._socket.send_multipart(encode(message.to_envelope()), copy=False)
        except zmq.Again:  # no aggregator connected: keep the events on disk
            return False
        self.stats.batches_sent += 1
        return True

    def _beat(self) -> None:
        """Send an `EdgeBeat` when one is due; one that cannot leave now (no aggregator) is skipped."""
        now = time.monotonic()
        if not self.settings.cameras or now < self._next_beat:
            return
        self._next_beat = now + self.settings.beat_interval_s
        settings = self.settings
        beat = EdgeBeat(
            settings.store_id,
            settings.cameras,
            settings.beat_interval_s,
            timezone=settings.timezone,
            zone_names=settings.zone_names,
        )
        try:
            self._socket.send_multipart(encode(beat.to_envelope()))
        except zmq.Again:
            return
        self.stats.beats_sent += 1

    def _await_ack(self, batch_id: str) -> int | None:
        deadline = time.monotonic() + self.settings.ack_timeout_s
        while (left := deadline - time.monotonic()) > 0:
            if not self._socket.poll(int(left * 1000), zmq.POLLIN):
                break
            try:
                ack = Ack.from_envelope(decode(self._socket.recv_multipart()))
            except MessageError as exc:
                self.stats.bad_messages += 1
                logger.warning("publisher dropped a bad message: %s", exc)
                continue
            if ack.batch_id == batch_id:
                self.stats.last_ack_at = time.time()
                return self.spool.ack(batch_id)
            self.spool.ack(ack.batch_id)  # a late ack of an earlier send of released events: harmless
        return None
