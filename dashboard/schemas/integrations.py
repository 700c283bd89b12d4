"""Live integrations as the admin API shows them: settings without secrets, counters and backlog."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field

from shelfsight.dashboard.integrations.delivery import SubscriptionStatus
from shelfsight.dashboard.schemas.common import ApiModel


class MatchOut(ApiModel):
    stores: list[str] = Field(description="Store ids; empty: any.")
    shelves: list[str] = Field(description="Shelf ids; empty: any.")
    types: list[str] = Field(description="Event types; empty: any.")


class IntegrationOut(ApiModel):
    name: str
    kind: Literal["webhook", "mqtt"]
    target: str = Field(description="Webhook URL without credentials or query, or MQTT broker and topic template.")
    signed: bool = Field(description="Webhook requests carry an HMAC-SHA256 signature.")
    match: MatchOut
    delivered: int = Field(description="Deliveries acknowledged since the aggregator started.")
    retried: int = Field(description="Failed attempts scheduled again since the aggregator started.")
    failed: int = Field(description="Deliveries given up after their last attempt (kept in the outbox).")
    pending: int = Field(description="Deliveries owed now, due or waiting for a retry.")
    last_error: str | None = Field(description="Why the latest failed attempt failed (since start).")
    last_delivered_at: float | None = Field(description="Latest acknowledgement, UTC epoch seconds.")

    @classmethod
    def of(cls, status: SubscriptionStatus) -> IntegrationOut:
        sub, stats = status.subscription, status.stats
        if sub.webhook is not None:
            url = urlsplit(sub.webhook.url)
            target = f"{url.scheme}://{url.hostname}{f':{url.port}' if url.port else ''}{url.path}"
        else:
            assert sub.mqtt is not None
            target = f"mqtt{'s' if sub.mqtt.tls else ''}://{sub.mqtt.host}:{sub.mqtt.port} {sub.mqtt.topic}"
        return cls(
            name=sub.name,
            kind=sub.kind,
            target=target,
            signed=sub.webhook is not None and sub.webhook.secret_env is not None,
            match=MatchOut(stores=list(sub.match.stores), shelves=list(sub.match.shelves), types=list(sub.match.types)),
            delivered=stats.delivered,
            retried=stats.retried,
            failed=status.backlog.failed,
            pending=status.backlog.pending,
            last_error=stats.last_error,
            last_delivered_at=stats.last_delivered_at,
        )


class RequeuedOut(ApiModel):
    requeued: int = Field(description="Given-up deliveries made due again, with their attempts reset.")
