"""/api/v1/admin: tokens, dead letters, ingest counters and retention (admin scope)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status

from shelfsight.dashboard.deps import ClockDep, IngestDep, SettingsDep, StoreDep, require_admin
from shelfsight.dashboard.schemas.admin import (
    DeadLetterOut,
    IngestOut,
    RetentionOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
)
from shelfsight.dashboard.schemas.integrations import IntegrationOut, RequeuedOut
from shelfsight.dashboard.schemas.responses import error_responses
from shelfsight.dashboard.services.retention import DAY_S, apply_retention
from shelfsight.dashboard.services.tokens import issue_token
from shelfsight.dashboard.tags import Tag

router = APIRouter(
    prefix="/admin", tags=[Tag.ADMIN], dependencies=[Depends(require_admin)], responses=error_responses(401, 403)
)


@router.get("/tokens", response_model=list[TokenOut], summary="Tokens")
def list_tokens(store: StoreDep) -> list[TokenOut]:
    return [TokenOut.of(r) for r in store.tokens()]


@router.post(
    "/tokens",
    response_model=TokenCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create a token",
    responses=error_responses(400),
)
def create_token(store: StoreDep, clock: ClockDep, body: TokenCreate) -> TokenCreated:
    """Create a token; its secret is in this response only."""
    issued = issue_token(store, name=body.name, scopes=body.scopes, now=clock())
    return TokenCreated(token=issued.secret, record=TokenOut.of(issued.record))


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a token",
    responses=error_responses(404),
)
def revoke_token(store: StoreDep, clock: ClockDep, token_id: str) -> None:
    if not store.revoke_token(token_id, at=clock()):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no live token {token_id!r}")


@router.get("/dead-letters", response_model=list[DeadLetterOut], summary="Events that failed validation")
def list_dead_letters(
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Only ids below this (paging).")] = None,
) -> list[DeadLetterOut]:
    """Newest first, with the raw bytes and the decoder's error."""
    return [DeadLetterOut.of(d) for d in store.dead_letters(limit=limit, before_id=before_id)]


@router.get("/ingest", response_model=IngestOut, summary="Ingest counters", responses=error_responses(404))
def ingest_stats(ingest: IngestDep) -> IngestOut:
    if ingest is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this server runs without ingest")
    return IngestOut.of(ingest.stats, running=ingest.running, failure=ingest.failure, endpoint=ingest.endpoint)


@router.get("/integrations", response_model=list[IntegrationOut], summary="Webhook and MQTT subscriptions")
def list_integrations(request: Request) -> list[IntegrationOut]:
    """Each subscription of the integrations file with its delivery counters and outbox backlog (empty when none
    is configured)."""
    service = request.app.state.integrations
    return [] if service is None else [IntegrationOut.of(s) for s in service.status()]


@router.post(
    "/integrations/{name}/retry-failed",
    response_model=RequeuedOut,
    summary="Retry a subscription's given-up deliveries",
    responses=error_responses(404),
)
def retry_failed_deliveries(request: Request, name: str) -> RequeuedOut:
    """Make every delivery the subscription gave up on due again now, with its attempts reset."""
    service = request.app.state.integrations
    count = None if service is None else service.retry_failed(name)
    if count is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no subscription {name!r} in the integrations file")
    return RequeuedOut(requeued=count)


@router.post("/retention", response_model=RetentionOut, summary="Apply retention now")
def run_retention(store: StoreDep, settings: SettingsDep, clock: ClockDep) -> RetentionOut:
    """Delete raw events and dead letters older than the retention period now (it also runs periodically)."""
    now = clock()
    result = apply_retention(store, retention_days=settings.retention_days, now=now)
    cutoff = now - settings.retention_days * DAY_S
    return RetentionOut(
        cutoff=cutoff, events=result.events, dead_letters=result.dead_letters, open_visits=result.open_visits
    )
