"""The aggregator's FastAPI app: `create_app` wires the collaborators it is given; nothing is built at import.

The ingest receiver and the retention task are started and stopped in the app's ``lifespan``, so one
``uvicorn`` process runs ingest, API and pages (`shelfsight serve`), and tests build the app with whatever
store, bus and receiver they need.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException

from shelfsight.dashboard.deps import TOKEN_COOKIE
from shelfsight.dashboard.ingest.receiver import IngestReceiver
from shelfsight.dashboard.pages import views as pages
from shelfsight.dashboard.pages.api_docs import mount_api_docs
from shelfsight.dashboard.pages.static import mount_static
from shelfsight.dashboard.query_rules import method_not_allowed, reject_repeated_scalars
from shelfsight.dashboard.routers import admin, events, health, stores
from shelfsight.dashboard.services.bus import EventBus
from shelfsight.dashboard.services.retention import RetentionTask
from shelfsight.dashboard.settings import DashboardSettings
from shelfsight.dashboard.storage.base import Store
from shelfsight.dashboard.web_security import OriginCheck, SecurityHeaders

if TYPE_CHECKING:  # paho-mqtt and httpx are imported only where integrations are configured
    from shelfsight.dashboard.integrations.delivery import DeliveryService

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def create_app(
    settings: DashboardSettings,
    store: Store,
    *,
    bus: EventBus | None = None,
    ingest: IngestReceiver | None = None,
    integrations: DeliveryService | None = None,
    run_retention: bool = True,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """Build the app around a migrated ``store``.

    Args:
        settings: Server settings.
        store: Storage, already migrated; the caller owns it (and closes it after the app stops).
        bus: Fan-out of new events to live streams; the ingest receiver must publish into the same bus.
        ingest: Started at startup and stopped at shutdown when given.
        integrations: Webhook and MQTT delivery threads (`shelfsight.dashboard.integrations.delivery.connect`), started
            at startup and stopped after ingest.
        run_retention: Apply retention periodically (every ``settings.retention_interval_s``).
        clock: Wall clock, UTC epoch seconds ("now" for default windows and live views).
    """
    retention = (
        RetentionTask(
            store, retention_days=settings.retention_days, interval_s=settings.retention_interval_s, clock=clock
        )
        if run_retention
        else None
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if integrations is not None:
            integrations.start()
        if ingest is not None:
            ingest.start()
        if retention is not None:
            retention.start()
        try:
            yield
        finally:
            if retention is not None:
                retention.stop()
            if ingest is not None:
                ingest.stop()
            if integrations is not None:
                integrations.stop()

    app = FastAPI(
        title="shelfsight aggregator",
        version="1",
        summary="Shelf engagement from in-store cameras: events, rollups, feeds and dashboard pages.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's /docs loads Swagger UI from a CDN; ours is served locally (mount_api_docs)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.bus = bus if bus is not None else EventBus(queue_size=settings.live_queue_size)
    app.state.ingest = ingest
    app.state.integrations = integrations
    app.state.clock = clock
    for router in (health.router, events.router, stores.router, admin.router):
        app.include_router(router, prefix=API_PREFIX, dependencies=[Depends(reject_repeated_scalars)])
    app.add_exception_handler(StarletteHTTPException, method_not_allowed)
    app.include_router(pages.router)
    if settings.api_docs:
        mount_api_docs(app)
    mount_static(app)
    app.add_middleware(OriginCheck, cookie=TOKEN_COOKIE)
    app.add_middleware(SecurityHeaders)  # added last: outermost, so refusals carry the headers too
    return app
