"""Delivery threads against a real local HTTP receiver and a real store (retries on every backend): backoff, giving up,
and ingest that never waits for a receiver."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator

import pytest

from shelfsight.dashboard.integrations.config import Retry as RetryPolicy
from shelfsight.dashboard.integrations.config import Subscription, WebhookTarget
from shelfsight.dashboard.integrations.delivery import DeliveryService, backoff_s, connect
from shelfsight.dashboard.storage.base import Store
from tests.dashboard.integrations.receivers import WebhookReceiver, free_port, wait_for
from tests.dashboard.scenario import BATCH_A, BATCH_B, T0


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    running = WebhookReceiver(free_port()).start()
    yield running
    if running.gate is not None:
        running.gate.set()
    running.stop()


def service_for(store: Store, receiver: WebhookReceiver, **retry: float) -> DeliveryService:
    policy = RetryPolicy(**{"initial_s": 0.05, "max_s": 0.2, **retry})  # type: ignore[arg-type]
    sub = Subscription(name="hook", webhook=WebhookTarget(url=receiver.url, timeout_s=5), retry=policy, batch=5)
    service = connect(store, [sub])
    service.start()
    return service


def test_backoff_doubles_up_to_its_cap_with_jitter() -> None:
    policy = RetryPolicy(initial_s=1.0, max_s=30.0)
    rng = random.Random(7)
    for attempts, full in [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0), (1000, 30.0)]:
        waits = [backoff_s(policy, attempts, rng=rng) for _ in range(200)]
        assert full / 2 <= min(waits) and max(waits) <= full


def test_failed_deliveries_are_retried_then_given_up(any_store: Store, receiver: WebhookReceiver) -> None:
    receiver.status = 503
    service = service_for(any_store, receiver, max_attempts=3)
    try:
        any_store.ingest(BATCH_A[:2], [], received_at=T0)
        (status,) = service.status()
        wait_for(lambda: service.status()[0].backlog.failed == 2, "both deliveries given up")
        (status,) = service.status()
        assert (status.stats.retried, status.stats.failed, status.stats.delivered) == (4, 2, 0)
        assert status.backlog.pending == 0 and status.stats.last_error == "HTTP 503"
        ids = receiver.ids()
        assert sorted(ids) == sorted([str(e.event_id) for e in BATCH_A[:2]] * 3)  # three attempts each
        attempts = sorted(int(r.headers["x-shelfsight-attempt"]) for r in receiver.received())
        assert attempts == [1, 1, 2, 2, 3, 3]

        receiver.status = 200  # the receiver is fixed: new events go through, the given-up ones stay failed
        any_store.ingest(BATCH_A[2:4], [], received_at=T0)
        wait_for(lambda: service.status()[0].stats.delivered == 2, "the next two delivered")
        assert service.status()[0].backlog.failed == 2
    finally:
        service.stop()


def test_ingest_never_waits_for_a_receiver_that_hangs(sqlite_store: Store, receiver: WebhookReceiver) -> None:
    receiver.gate = threading.Event()  # every request hangs until the gate opens
    service = service_for(sqlite_store, receiver)
    try:
        sqlite_store.ingest(BATCH_A, [], received_at=T0)
        wait_for(lambda: len(receiver.received()) == 1, "the first request to hang")
        # Ingest goes on while the delivery thread is stuck in a request (a wait here would deadlock the test).
        result = sqlite_store.ingest(BATCH_B, [], received_at=T0)
        assert len(result.accepted) == len(BATCH_B)
        assert service.status()[0].backlog.pending == len(BATCH_A) + len(BATCH_B)
        receiver.gate.set()
        wait_for(lambda: service.status()[0].backlog.pending == 0, "the backlog to drain")
        assert set(receiver.ids()) == {str(e.event_id) for e in BATCH_A + BATCH_B}
    finally:
        service.stop()


def test_an_event_retention_deleted_first_is_given_up_at_once(sqlite_store: Store, receiver: WebhookReceiver) -> None:
    sub = Subscription(name="hook", webhook=WebhookTarget(url=receiver.url), retry=RetryPolicy(initial_s=0.05))
    service = connect(sqlite_store, [sub])
    sqlite_store.ingest(BATCH_A, [], received_at=T0)
    sqlite_store.delete_before(T0 + 110)  # three events of BATCH_A, before the delivery threads start
    service.start()
    try:
        wait_for(lambda: service.status()[0].backlog.pending == 0, "the backlog to drain")
        (status,) = service.status()
        assert (status.backlog.failed, status.stats.failed, status.stats.delivered) == (3, 3, len(BATCH_A) - 3)
        assert len(receiver.ids()) == len(BATCH_A) - 3  # nothing was sent for the deleted ones
    finally:
        service.stop()
