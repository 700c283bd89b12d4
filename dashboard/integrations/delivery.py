"""Delivery threads: one per subscription, sending what the outbox owes and settling each round.

A thread wakes when ingest commits something owed (`Outbox.committed`), when the earliest retry is due, or at
the latest every ``poll_s``. Each round reads up to ``batch`` due deliveries (oldest first), sends them, and in
one transaction deletes the acknowledged ones and pushes back the rest: attempt n waits
``min(max_s, initial_s * 2**(n-1))``, halved at random by up to half (so many deliveries that failed together do
not all retry at the same instant), and after ``max_attempts`` the row is kept as failed. Order is not promised:
a retried event may arrive after newer ones. A round in which nothing got through pauses the whole subscription
with the same backoff (by rounds failed in a row), so a dead target is probed once per pause, not once per row.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from shelfsight.dashboard.integrations.config import Retry as RetryPolicy
from shelfsight.dashboard.integrations.config import Subscription
from shelfsight.dashboard.integrations.mqtt import MqttSender
from shelfsight.dashboard.integrations.outbox import GONE, Backlog, Delivery, GiveUp, Outbox, OutboxReader, Retry
from shelfsight.dashboard.integrations.webhook import WebhookSender

logger = logging.getLogger(__name__)

POLL_S = 1.0
"""Longest wait between looks at the outbox (a commit wakes a thread sooner)."""
ERROR_PAUSE_S = 1.0
"""Pause after a round that failed on the database itself, before trying again."""


class Sender(Protocol):
    """Sends a round of deliveries to one target."""

    def send(self, deliveries: Sequence[Delivery]) -> list[str | None]:
        """Per delivery, in order: None when the target acknowledged it, else why not."""
        ...

    def close(self) -> None: ...


def backoff_s(policy: RetryPolicy, attempts: int, *, rng: random.Random) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt (module doc)."""
    delay = min(policy.max_s, policy.initial_s * 2.0 ** min(attempts - 1, 60))
    return delay * rng.uniform(0.5, 1.0)


@dataclass
class SubscriptionStats:
    """Counters of one subscription since the aggregator started (the backlog comes from the database).

    Attributes:
        delivered: Deliveries the target acknowledged.
        retried: Failed attempts that were scheduled again.
        failed: Deliveries given up after their last attempt.
        last_error: Why the latest failed attempt failed.
        last_delivered_at: When the latest acknowledgement came, UTC epoch seconds.
    """

    delivered: int = 0
    retried: int = 0
    failed: int = 0
    last_error: str | None = None
    last_delivered_at: float | None = None


def make_sender(subscription: Subscription) -> Sender:
    """The sender of ``subscription``'s target."""
    if subscription.webhook is not None:
        return WebhookSender(subscription.webhook)
    assert subscription.mqtt is not None  # the config allows exactly one target
    return MqttSender(subscription.mqtt, name=subscription.name)


class DeliveryWorker:
    """Delivers one subscription's outbox until stopped (module doc)."""

    def __init__(
        self,
        subscription: Subscription,
        reader: OutboxReader,
        sender: Sender,
        *,
        clock: Callable[[], float] = time.time,
        poll_s: float = POLL_S,
    ) -> None:
        self.subscription = subscription
        self.stats = SubscriptionStats()
        self.wake = threading.Event()
        self._reader = reader
        self._sender = sender
        self._clock = clock
        self._poll_s = poll_s
        self._rng = random.Random()
        self._failed_rounds = 0
        """Rounds in a row in which nothing was delivered (0 after any success)."""
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"shelfsight-deliver-{subscription.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        self._sender.close()

    def snapshot(self) -> SubscriptionStats:
        with self._lock:
            return SubscriptionStats(**vars(self.stats))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.wake.clear()  # before reading: a commit after this wakes the wait below at once
            try:
                sent = self.round()
            except Exception:  # loop boundary: the database or a sender failed; try again shortly
                logger.exception("delivery round of subscription %s failed", self.subscription.name)
                self._stop.wait(ERROR_PAUSE_S)
                continue
            if self._failed_rounds:
                # Nothing of the last round got through: the target is down. Pause the whole subscription with
                # the same backoff, rather than cycling through a large backlog one failing round after another
                # (each round writes its rows back, which would compete with ingest for the database).
                self._stop.wait(backoff_s(self.subscription.retry, self._failed_rounds, rng=self._rng))
            elif not sent:
                self.wake.wait(self._wait_s())

    def _wait_s(self) -> float:
        next_due = self._reader.next_due(self.subscription.name)
        if next_due is None:
            return self._poll_s
        return min(self._poll_s, max(0.01, next_due - self._clock()))

    def round(self) -> int:
        """Send one round of due deliveries and settle it; the number attempted (0: nothing was due)."""
        sub = self.subscription
        due = self._reader.due(sub.name, now=self._clock(), limit=sub.batch)
        if not due:
            return 0
        live = [d for d in due if d.payload is not None]
        errors = self._sender.send(live) if live else []
        if len(errors) != len(live):
            raise RuntimeError(f"sender answered {len(errors)} results for {len(live)} deliveries")
        now = self._clock()
        delivered: list[int] = []
        retries: list[Retry] = []
        # An event that retention deleted before it was delivered cannot be sent any more: given up at once.
        give_ups = [GiveUp(d.id, d.attempts, now, GONE) for d in due if d.payload is None]
        for delivery, error in zip(live, errors, strict=True):
            attempts = delivery.attempts + 1
            if error is None:
                delivered.append(delivery.id)
            elif attempts >= sub.retry.max_attempts:
                give_ups.append(GiveUp(delivery.id, attempts, now, error))
            else:
                wait = backoff_s(sub.retry, attempts, rng=self._rng)
                retries.append(Retry(delivery.id, attempts, now + wait, error))
        self._reader.settle(delivered, retries, give_ups)
        self._failed_rounds = 0 if delivered or not live else self._failed_rounds + 1
        with self._lock:
            self.stats.delivered += len(delivered)
            self.stats.retried += len(retries)
            self.stats.failed += len(give_ups)
            if delivered:
                self.stats.last_delivered_at = now
            failures = [r.error for r in retries] + [g.error for g in give_ups]
            if failures:
                self.stats.last_error = failures[-1]
        if failures:
            logger.warning(
                "subscription %s: %d of %d deliveries failed (%d given up): %s",
                sub.name,
                len(failures),
                len(due),
                len(give_ups),
                failures[-1],
            )
        return len(due)


@dataclass(frozen=True)
class SubscriptionStatus:
    """One subscription as the admin API shows it: its settings, counters since start and its backlog."""

    subscription: Subscription
    stats: SubscriptionStats
    backlog: Backlog


class DeliveryService:
    """All delivery threads of the aggregator, started and stopped with the app.

    Args:
        subscriptions: From the integrations file.
        reader: The outbox's delivery side (`SqlStore.attach_outbox`).
        make: Builds a subscription's sender (tests may pass their own).
    """

    def __init__(
        self,
        subscriptions: Sequence[Subscription],
        reader: OutboxReader,
        *,
        make: Callable[[Subscription], Sender] = make_sender,
        clock: Callable[[], float] = time.time,
        poll_s: float = POLL_S,
    ) -> None:
        self._reader = reader
        self._make = make
        self._clock = clock
        self._poll_s = poll_s
        self._subscriptions = tuple(subscriptions)
        self.wakes = [threading.Event() for _ in self._subscriptions]
        self._workers: list[DeliveryWorker] = []

    def start(self) -> None:
        orphans = set(self._reader.backlog()) - {s.name for s in self._subscriptions}
        if orphans:
            logger.warning("deliveries owed to subscriptions no longer configured are kept: %s", sorted(orphans))
        for subscription, wake in zip(self._subscriptions, self.wakes, strict=True):
            worker = DeliveryWorker(
                subscription, self._reader, self._make(subscription), clock=self._clock, poll_s=self._poll_s
            )
            worker.wake = wake
            worker.start()
            self._workers.append(worker)
            logger.info("delivering subscription %s (%s)", subscription.name, subscription.kind)

    def stop(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers.clear()

    def retry_failed(self, name: str) -> int | None:
        """Requeue the given-up deliveries of subscription ``name`` (after fixing the receiver, say); how many,
        or None when no such subscription is configured."""
        worker = next((w for w in self._workers if w.subscription.name == name), None)
        if worker is None:
            return None
        count = self._reader.requeue_failed(name, now=self._clock())
        worker.wake.set()
        return count

    def status(self) -> list[SubscriptionStatus]:
        """Every configured subscription, in file order."""
        backlog = self._reader.backlog()
        stats = {w.subscription.name: w.snapshot() for w in self._workers}
        return [
            SubscriptionStatus(s, stats.get(s.name, SubscriptionStats()), backlog.get(s.name, Backlog()))
            for s in self._subscriptions
        ]


def connect(
    store: object, subscriptions: Sequence[Subscription], *, clock: Callable[[], float] = time.time
) -> DeliveryService:
    """Attach an outbox for ``subscriptions`` to ``store``'s ingest and build the (not yet started) service.

    Raises:
        ValueError: ``store`` is not one of the SQL backends (it keeps no outbox).
    """
    from shelfsight.dashboard.storage.sql_store import SqlStore

    if not isinstance(store, SqlStore):
        raise ValueError(f"integrations: the store {type(store).__name__} keeps no outbox (use SQLite or PostgreSQL)")
    outbox = Outbox(subscriptions, clock=clock)
    service = DeliveryService(subscriptions, store.attach_outbox(outbox), clock=clock)
    for wake in service.wakes:
        outbox.listen(wake)
    return service
