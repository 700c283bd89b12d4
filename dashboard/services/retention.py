"""Retention: delete raw events and dead letters older than the configured days; rollups stay.

`RetentionTask` runs it periodically in a thread of its own, started and stopped with the app.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from shelfsight.dashboard.storage.base import RetentionResult, Store

logger = logging.getLogger(__name__)

DAY_S = 86_400.0


def apply_retention(store: Store, *, retention_days: float, now: float) -> RetentionResult:
    """Delete what is older than ``retention_days`` before ``now``."""
    result = store.delete_before(now - retention_days * DAY_S)
    logger.info(
        "retention days=%s deleted events=%d dead_letters=%d open_visits=%d",
        retention_days,
        result.events,
        result.dead_letters,
        result.open_visits,
    )
    return result


class RetentionTask:
    """Apply retention every ``interval_s`` (first run at start) until stopped."""

    def __init__(
        self, store: Store, *, retention_days: float, interval_s: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._days = retention_days
        self._interval_s = interval_s
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0
        self.failures = 0

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="shelfsight-retention", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                apply_retention(self._store, retention_days=self._days, now=self._clock())
                self.runs += 1
            except Exception:  # loop boundary: a failed run must not end retention for good
                logger.exception("retention run failed")
                self.failures += 1
            self._stop.wait(self._interval_s)
