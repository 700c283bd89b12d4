"""/api/v1/health: liveness and the numbers an operator checks first (no token needed)."""

from __future__ import annotations

from fastapi import APIRouter

from dashboard.deps import IngestDep, StoreDep
from dashboard.schemas.admin import HealthOut
from dashboard.tags import Tag

router = APIRouter(tags=[Tag.HEALTH])


@router.get("/health", response_model=HealthOut, summary="Health")
def health(store: StoreDep, ingest: IngestDep) -> HealthOut:
    counts = store.counts()
    return HealthOut(
        status="ok",
        backend=store.backend,
        schema_version=store.schema_version(),
        ingest_running=ingest is not None and ingest.running,
        events=counts.events,
        dead_letters=counts.dead_letters,
    )
