"""Webhook target: one HTTP POST per event, its canonical JSON as the body, signed when a secret is set.

Headers of every request (receivers dedupe on the event id: a delivery may arrive more than once):

* ``X-Shelfsight-Event-Id``: the event's stable id; ``X-Shelfsight-Event-Type``: its type.
* ``X-Shelfsight-Attempt``: 1 for the first try, then 2, 3...
* ``X-Shelfsight-Timestamp``: when this request was signed, UTC epoch seconds (integer).
* ``X-Shelfsight-Signature``: ``sha256=`` + hex HMAC-SHA256 of ``"{timestamp}." + body`` with the shared
  secret (only when ``secret_env`` is set). Signing the timestamp too lets a receiver refuse old replays.

A 2xx answer acknowledges the event; anything else, a timeout or a refused connection is retried later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Sequence

import httpx2 as httpx

from shelfsight.dashboard.integrations.config import WebhookTarget
from shelfsight.dashboard.integrations.outbox import GONE, Delivery

SIGNATURE_HEADER = "X-Shelfsight-Signature"
TIMESTAMP_HEADER = "X-Shelfsight-Timestamp"


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """The ``X-Shelfsight-Signature`` value of ``body`` sent at ``timestamp`` (see the module doc)."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class WebhookSender:
    """Sends deliveries to one webhook URL over a kept-alive connection.

    Args:
        target: URL, secret and timeout.
        clock: Wall clock for the signed timestamp, UTC epoch seconds.
    """

    def __init__(self, target: WebhookTarget, *, clock: Callable[[], float] = time.time) -> None:
        self._url = target.url
        self._secret = target.secret()
        self._clock = clock
        self._client = httpx.Client(
            timeout=target.timeout_s, follow_redirects=False, headers={"User-Agent": "shelfsight-aggregator/1"}
        )

    def send(self, deliveries: Sequence[Delivery]) -> list[str | None]:
        """POST each delivery in order; per delivery None (acknowledged) or why it failed.

        An unreachable target (connection refused, timeout) fails the rest of the round without trying them,
        so a dead receiver costs one connection attempt per round, not one per event.
        """
        errors: list[str | None] = []
        for index, delivery in enumerate(deliveries):
            if delivery.payload is None:
                errors.append(GONE)
                continue
            body = delivery.payload.encode()
            headers = {
                "Content-Type": "application/json",
                "X-Shelfsight-Event-Id": delivery.event_id,
                "X-Shelfsight-Event-Type": str(delivery.event().get("type", "")),
                "X-Shelfsight-Attempt": str(delivery.attempts + 1),
            }
            if self._secret is not None:
                timestamp = str(int(self._clock()))
                headers[TIMESTAMP_HEADER] = timestamp
                headers[SIGNATURE_HEADER] = signature(self._secret, timestamp, body)
            try:
                response = self._client.post(self._url, content=body, headers=headers)
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}"
                errors.extend([reason] * (len(deliveries) - index))
                break
            except httpx.HTTPError as exc:  # anything else httpx refuses: this delivery failed, the round goes on
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            errors.append(None if response.is_success else f"HTTP {response.status_code}")
        return errors

    def close(self) -> None:
        self._client.close()
