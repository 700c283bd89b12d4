"""`/api/v1/admin/integrations` over the app with its lifespan (delivery threads running), a real SQLite store and
a real local webhook receiver: counters, backlog, and requeueing what was given up."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfsight.dashboard.app import create_app
from shelfsight.dashboard.integrations.config import Retry, Subscription, WebhookTarget
from shelfsight.dashboard.integrations.delivery import connect
from shelfsight.dashboard.services.bus import EventBus
from shelfsight.dashboard.services.tokens import IssuedToken
from shelfsight.dashboard.settings import DashboardSettings
from shelfsight.dashboard.storage.base import Store
from tests.dashboard.integrations.receivers import WebhookReceiver, free_port, wait_for
from tests.dashboard.scenario import BATCH_A, T0


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    running = WebhookReceiver(free_port(), status=500).start()
    yield running
    running.stop()


def test_given_up_deliveries_are_listed_and_can_be_retried(
    sqlite_store: Store, receiver: WebhookReceiver, admin_token: IssuedToken, read_token: IssuedToken
) -> None:
    sub = Subscription(name="crm", webhook=WebhookTarget(url=receiver.url), retry=Retry(max_attempts=1))
    settings = DashboardSettings(db="unused", ingest_endpoint=None)
    app = create_app(settings, sqlite_store, bus=EventBus(), integrations=connect(sqlite_store, [sub]),
                     run_retention=False)  # fmt: skip
    with TestClient(app, headers={"Authorization": f"Bearer {admin_token.secret}"}) as admin:

        def crm() -> dict[str, Any]:
            (item,) = admin.get("/api/v1/admin/integrations").json()
            return dict(item)

        sqlite_store.ingest(BATCH_A[:3], [], received_at=T0)
        wait_for(lambda: crm()["failed"] == 3, "three deliveries given up", explain=crm)
        item = crm()
        assert (item["delivered"], item["pending"], item["last_error"]) == (0, 0, "HTTP 500")
        assert item["target"] == receiver.url and item["kind"] == "webhook" and not item["signed"]

        reader = admin.get("/api/v1/admin/integrations", headers={"Authorization": f"Bearer {read_token.secret}"})
        assert reader.status_code == 403

        receiver.status = 204  # fixed: requeue what was given up
        assert admin.post("/api/v1/admin/integrations/crm/retry-failed").json() == {"requeued": 3}
        wait_for(lambda: crm()["delivered"] == 3, "the requeued deliveries", explain=crm)
        assert (crm()["failed"], crm()["pending"]) == (0, 0)
        assert admin.post("/api/v1/admin/integrations/nobody/retry-failed").status_code == 404


def test_without_integrations_the_list_is_empty(make_app: Callable[..., FastAPI], admin_token: IssuedToken) -> None:
    with TestClient(make_app(), headers={"Authorization": f"Bearer {admin_token.secret}"}) as admin:
        assert admin.get("/api/v1/admin/integrations").json() == []
        assert admin.post("/api/v1/admin/integrations/crm/retry-failed").status_code == 404
