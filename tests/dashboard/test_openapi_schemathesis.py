"""schemathesis against the app's own OpenAPI spec: every operation, generated requests, a real server.

The app runs in uvicorn on a loopback port over a SQLite store holding the scenario's day (so figures, journeys
and cameras have data) with real ingest, and requests carry an admin token, so every route is reachable. Each
response must not be a 5xx and must conform to the spec: status code declared, content type, headers and body
schema (schemathesis' default checks, including that routes reject missing or bad tokens and invalid input).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case, Response
from schemathesis.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.specs.openapi.schemas import OpenApiSchema

from shelfsight.dashboard.app import create_app
from shelfsight.dashboard.ingest.receiver import IngestReceiver
from shelfsight.dashboard.services.bus import EventBus
from shelfsight.dashboard.services.tokens import Scope, issue_token
from shelfsight.dashboard.settings import DashboardSettings
from shelfsight.dashboard.storage import open_store
from tests.dashboard.conftest import Clock
from tests.dashboard.scenario import ALL_EVENTS, HOUR, T0
from tests.dashboard.thread_server import serve_in_thread

LIVE_PATH = "/api/v1/events/live"
EXAMPLES_PER_OPERATION = 25
"""Generated requests per operation, on top of schemathesis' explicit and coverage cases."""
NOT_CHECKED = [negative_data_rejection]
"""schemathesis' "invalid data must be rejected" misfires on query strings, which carry no types: its mutation
``camera: null -> [true]`` is sent as ``camera=true``, a valid camera id. Negative cases still run every other
check (no 5xx, declared status, body schema); routes do reject what the server can tell is invalid (ranges,
enums, missing parameters, bad tokens, repeated single values), which the positive checks and the API tests
cover."""
REQUEST_TIMEOUT_S = 10.0
LIVE_READ_S = 0.3
"""How long each generated request reads the (endless) live stream."""


class Api:
    """The running server and the admin token the generated requests carry."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    folder: Path = tmp_path_factory.mktemp("schemathesis")
    store = open_store(str(folder / "shelfsight.db"))
    store.migrate()
    store.ingest(ALL_EVENTS, [], received_at=T0)
    admin = issue_token(store, name="schemathesis", scopes=[Scope.ADMIN], now=T0)
    settings_ = DashboardSettings(db=str(folder / "shelfsight.db"), ingest_endpoint="tcp://127.0.0.1:0")
    bus = EventBus()
    ingest = IngestReceiver(store=store, endpoint="tcp://127.0.0.1:0", bus=bus)
    app = create_app(settings_, store, bus=bus, ingest=ingest, run_retention=False, clock=Clock(T0 + 3 * HOUR))
    try:
        with serve_in_thread(app) as url:
            yield Api(url, admin.secret)
    finally:
        store.close()


def _spec() -> dict[str, Any]:
    """The app's OpenAPI document, built at collection (it depends on the routes only, not on the store's data).

    schemathesis' fixture-based loader does not work with pytest 9 (it rewrites a private node attribute), so
    the spec is loaded here and `test_served_spec_is_the_tested_one` checks the server serves the same one.
    """
    settings_ = DashboardSettings(db=":memory:", ingest_endpoint=None)
    spec: dict[str, Any] = create_app(settings_, open_store(":memory:"), run_retention=False).openapi()
    return spec


SPEC = _spec()
schema: OpenApiSchema = schemathesis.openapi.from_dict(SPEC)


def test_served_spec_is_the_tested_one(api: Api) -> None:
    response = httpx.get(f"{api.url}/openapi.json", timeout=REQUEST_TIMEOUT_S)
    assert response.status_code == 200 and response.json() == SPEC


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_every_operation_conforms_to_the_spec(case: Case, api: Api) -> None:
    if case.operation.path == LIVE_PATH:
        # The live stream never ends: schemathesis reads it for LIVE_READ_S and validates what arrived.
        live = _call_live(case, api)
        refused = _refused_by_a_rule_the_schema_cannot_state(live)  # the feed's rules hold here too
        case.validate_response(live, excluded_checks=[*NOT_CHECKED, *([positive_data_acceptance] if refused else [])])
        assert live.status_code != 200 or live.content.startswith(b": connected"), live.content[:100]
        return
    response = case.call(base_url=api.url, headers=api.headers, timeout=REQUEST_TIMEOUT_S)
    if _refused_by_a_rule_the_schema_cannot_state(response):
        # Schema-valid but refused, with the declared status and body: an opaque cursor this feed never issued
        # (400), `until` not after `since`, a time zone name that does not exist, a series of too many buckets,
        # an ISO 8601 time outside 1970 .. 9999 (JSON Schema bounds numbers, not date-time strings) (422).
        # "Valid data accepted" cannot hold for these; every other check still runs.
        case.validate_response(response, excluded_checks=[*NOT_CHECKED, positive_data_acceptance])
        return
    case.validate_response(response, excluded_checks=NOT_CHECKED)


def _call_live(case: Case, api: Api) -> Response:
    """The live request, read for LIVE_READ_S once the server has answered. On a busy machine the response
    headers can come later than that: the request is then sent again until they come within it (up to
    REQUEST_TIMEOUT_S), so a slow first answer is not mistaken for a failure of the route."""
    deadline = time.monotonic() + REQUEST_TIMEOUT_S
    while True:
        try:
            return case.call(base_url=api.url, headers=api.headers, timeout=LIVE_READ_S)
        except requests.exceptions.Timeout:
            if time.monotonic() > deadline:
                raise


SEMANTIC_REFUSALS = (
    "cursor: not a cursor issued by this feed",
    "until: expected later than since",
    "tz: expected an IANA time zone",
    "since/until: a series holds at most",
    "expected a time in 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z",
)


def _refused_by_a_rule_the_schema_cannot_state(response: Response) -> bool:
    if response.status_code not in (400, 422):
        return False
    detail = response.json().get("detail")
    messages = [detail] if isinstance(detail, str) else [str(item.get("msg", "")) for item in detail or []]
    return bool(messages) and all(m.startswith(SEMANTIC_REFUSALS) for m in messages)
