"""/api/v1/health: liveness and the numbers an operator checks first (no token needed).

A server started with ingest whose receive thread is not running is not healthy: it answers 503 with the
reason, so a load balancer or a supervisor stops sending it traffic or restarts it. A server started without
ingest (``--no-ingest``) is healthy without it.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from shelfsight.dashboard.deps import IngestDep, StoreDep
from shelfsight.dashboard.ingest.receiver import IngestReceiver
from shelfsight.dashboard.schemas.admin import HealthOut
from shelfsight.dashboard.tags import Tag

router = APIRouter(tags=[Tag.HEALTH])


@router.get(
    "/health",
    response_model=HealthOut,
    summary="Health",
    responses={503: {"model": HealthOut, "description": "Not healthy: ingest is configured but not running."}},
)
def health(store: StoreDep, ingest: IngestDep, response: Response) -> HealthOut:
    counts = store.counts()
    problem = ingest_problem(ingest)
    if problem is not None:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthOut(
        status="ok" if problem is None else "error",
        reason=problem,
        backend=store.backend,
        schema_version=store.schema_version(),
        ingest_running=ingest is not None and ingest.running,
        events=counts.events,
        dead_letters=counts.dead_letters,
    )


def ingest_problem(ingest: IngestReceiver | None) -> str | None:
    """Why ingest makes this server unhealthy, or None (running, or not configured)."""
    if ingest is None or ingest.running:
        return None
    failure = ingest.failure
    return f"ingest is not running: {failure}" if failure else "ingest is not running"
