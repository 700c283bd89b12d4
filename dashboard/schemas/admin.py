"""Tokens, dead letters, ingest counters, retention and health."""

from __future__ import annotations

import base64
from dataclasses import asdict
from typing import Literal

from pydantic import Field

from shelfsight.dashboard.ingest.receiver import IngestStats
from shelfsight.dashboard.schemas.common import ApiModel
from shelfsight.dashboard.services.tokens import Scope
from shelfsight.dashboard.storage.base import StoredDeadLetter, TokenRecord


class TokenCreate(ApiModel):
    # A name must hold something besides spaces: blank names passed the length check and made a 500 (schemathesis).
    name: str = Field(
        min_length=1, max_length=100, pattern=r"\S", description="What the token is for, e.g. 'analyst laptop'."
    )
    scopes: list[Scope] = Field(min_length=1, description="read, admin (admin implies read).")


class TokenOut(ApiModel):
    """A token's record; the secret is never stored, so never shown here."""

    token_id: str
    name: str
    scopes: list[str]
    created_at: float
    revoked_at: float | None

    @classmethod
    def of(cls, record: TokenRecord) -> TokenOut:
        return cls(
            token_id=record.token_id,
            name=record.name,
            scopes=list(record.scopes),
            created_at=record.created_at,
            revoked_at=record.revoked_at,
        )


class TokenCreated(ApiModel):
    token: str = Field(description="The secret: shown once, send it as 'Authorization: Bearer <token>'.")
    record: TokenOut


class DeadLetterOut(ApiModel):
    id: int
    received_at: float
    store_id: str
    batch_id: str
    error: str
    raw_base64: str = Field(description="The event's bytes as received (msgpack), base64.")

    @classmethod
    def of(cls, stored: StoredDeadLetter) -> DeadLetterOut:
        letter = stored.letter
        return cls(
            id=stored.id,
            received_at=letter.received_at,
            store_id=letter.store_id,
            batch_id=letter.batch_id,
            error=letter.error,
            raw_base64=base64.b64encode(letter.raw).decode(),
        )


class IngestOut(ApiModel):
    running: bool
    failure: str | None = Field(description="Why the receive thread ended on its own; null while it runs.")
    endpoint: str | None
    messages: int
    malformed_messages: int = Field(description="Messages that were not an event batch or an edge beat: dropped.")
    batches: int
    beats: int = Field(description="Edge beats received (docs/dashboard.md, Coverage).")
    accepted: int
    duplicates: int
    rejected: int
    poison_events: int = Field(description="Valid events the store refused on their own: dead-lettered.")
    commits: int
    failed_commits: int
    acks_sent: int
    acks_unsent: int
    loop_errors: int = Field(description="Unexpected errors caught by the receive loop (it carries on).")
    disconnects: int = Field(description="Peers disconnected, including those that sent an oversized message.")
    last_commit_at: float | None

    @classmethod
    def of(cls, stats: IngestStats, *, running: bool, failure: str | None, endpoint: str | None) -> IngestOut:
        return cls(running=running, failure=failure, endpoint=endpoint, **asdict(stats))


class RetentionOut(ApiModel):
    cutoff: float
    events: int
    dead_letters: int
    open_visits: int


class HealthOut(ApiModel):
    status: Literal["ok", "error"] = Field(description="ok, or error (then HTTP 503) with the reason.")
    reason: str | None = Field(default=None, description="What is wrong when status is error.")
    backend: str
    schema_version: int
    ingest_running: bool
    events: int
    dead_letters: int
