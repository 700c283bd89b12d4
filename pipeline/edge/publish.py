"""The publisher stage: one process draining the box's disk spool to the aggregator, acknowledged.

Event stages write the spool and nudge this process on the wake socket; it sends batches over a DEALER
(CURVE when keys are configured) and deletes them only once acknowledged (`shelfsight.pipeline.publisher`). While the
aggregator is away events pile up on disk within the config's bounds and drain when it returns. Anything on
the wake socket that is not a wake message is counted and dropped.

Its spool holds the disk reserve (`shelfsight.pipeline.disk_reserve`): on a full disk it keeps acknowledging and
deleting, which is what frees the disk for the event stages. Every few seconds it tidies the spool (`Spool.maintain`).
"""

from __future__ import annotations

import logging
import time

import zmq
import zmq.auth

from shelfsight.edge_config.store import EdgeConfig
from shelfsight.pipeline.edge.counters import PublisherCounters
from shelfsight.pipeline.edge.messages import WAKE_KIND
from shelfsight.pipeline.edge.runtime import MAX_SMALL_MESSAGE_BYTES, LatencyWindow, StageKind
from shelfsight.pipeline.edge.stage import Stage
from shelfsight.pipeline.publisher import EventPublisher, PublisherSettings
from shelfsight.pipeline.spool import Batch, Spool
from shelfsight.transport.envelope import MessageError, decode

logger = logging.getLogger(__name__)

IDLE_POLL_MS = 200
MAINTAIN_EVERY_S = 5.0


def publisher_settings(config: EdgeConfig, config_dir: str | None = None) -> PublisherSettings:
    """Endpoint, store, CURVE keys (key files relative to the config's folder), time zone and zone names."""
    aggregator = config.aggregator
    server_key = client_keys = None
    if aggregator.server_public_key is not None and aggregator.client_certificate_file is not None:
        path = aggregator.client_certificate_file
        if config_dir is not None and not path.is_absolute():
            path = type(path)(config_dir) / path
        public, secret = zmq.auth.load_certificate(str(path))
        if secret is None:
            raise ValueError(f"{path} holds no secret key: give the box's .key_secret file")
        server_key, client_keys = aggregator.server_public_key.encode(), (public, secret)
    return PublisherSettings(
        endpoint=aggregator.endpoint,
        store_id=config.store_id,
        batch_size=1000,
        curve_server_key=server_key,
        curve_client_keys=client_keys,
        cameras=tuple(camera.id for camera in config.cameras),
        timezone=config.timezone,
        zone_names=tuple((z.id, z.name) for _, z in config.iter_zones() if z.name),
    )


class PublishStage(Stage):
    """See the module docstring."""

    kind = StageKind.PUBLISHER
    counters: PublisherCounters

    def setup(self) -> None:
        spec, context = self.spec, self.context
        self.counters = PublisherCounters()
        self.spool = Spool(
            spec.spool_path(self.config),
            max_events=self.config.spool.max_events,
            max_bytes=self.config.spool.max_bytes,
            reserve=True,
            audit=spec.spool_audit,
        )
        self.on_teardown(self.spool.close)
        self.publisher = EventPublisher(
            self.spool, publisher_settings(self.config, str(spec.config_path.parent)), context
        )
        self.on_teardown(self.publisher.close)
        self.latency = LatencyWindow()
        self.publisher.on_acked = self._on_acked
        self.wake = self.close_socket(context.socket(zmq.PULL))
        self.wake.setsockopt(zmq.RCVHWM, 100)
        self.wake.setsockopt(zmq.MAXMSGSIZE, MAX_SMALL_MESSAGE_BYTES)
        self.wake.bind(spec.layout.wake)
        self.bad_messages = 0
        self.errors = 0
        self._maintain_at = 0.0

    def _on_acked(self, batch: Batch) -> None:
        now = time.time()
        self.latency.extend((now - e.origin_at) * 1000.0 for e in batch.events if e.origin_at > 0)

    def step(self) -> bool:
        try:
            if not self.publisher.step() and self.wake.poll(IDLE_POLL_MS):
                self._drain_wake()
            if time.monotonic() >= self._maintain_at:
                self._maintain_at = time.monotonic() + MAINTAIN_EVERY_S
                self.spool.maintain()
        except Exception:  # the loop boundary: unacknowledged events stay in the spool and go out later
            self.errors += 1
            logger.exception("publisher step failed")
            self.stopper.event.wait(IDLE_POLL_MS / 1000)
        return False

    def _drain_wake(self) -> None:
        while True:
            try:
                frames = self.wake.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                return
            try:
                if decode(frames).kind != WAKE_KIND:
                    raise MessageError("not a wake message")
            except MessageError as exc:
                self.bad_messages += 1
                logger.warning("publisher dropped a bad message on its wake socket: %s", exc)

    def latencies(self) -> dict[str, float]:
        return self.latency.quantiles("frame_to_published")

    def beat(self, *, force: bool = False) -> None:
        """Count (the spool's size costs a query: only when a beat is due), then beat."""
        if not (force or self.heartbeat.due):
            return
        stats = self.publisher.stats
        self.counters = PublisherCounters(
            spool_events=len(self.spool),
            spool_dropped_oldest_total=self.spool.dropped_oldest,
            events_acked_total=stats.events_acked,
            batches_sent_total=stats.batches_sent,
            resends_total=stats.resends,
            bad_messages_total=self.bad_messages + stats.bad_messages,
            last_ack_age_s=round(time.time() - stats.last_ack_at, 1) if stats.last_ack_at else -1.0,
            errors_total=self.errors,
            acked_undeleted=self.spool.acked_undeleted,
            disk_full=int(self.spool.write_error is not None or not self.spool.reserve_held),
        )
        self.heartbeat.maybe_send(self.counters, self.latencies(), force=force)


main = PublishStage.main
