"""Request dependencies: the app's collaborators, the clock, and token checks, as ``Annotated`` aliases.

Tokens come as ``Authorization: Bearer <token>`` or, for the pages and the browser's live stream, in the
``shelfsight_token`` cookie that ``/login`` sets. A missing or unknown token is 401; a token without the
needed scope is 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from shelfsight.dashboard.ingest.receiver import IngestReceiver
from shelfsight.dashboard.services.bus import EventBus
from shelfsight.dashboard.services.catalog import unknown_target
from shelfsight.dashboard.services.tokens import Scope, authorize
from shelfsight.dashboard.services.windows import TimeWindow
from shelfsight.dashboard.settings import DashboardSettings
from shelfsight.dashboard.storage.base import Store, TokenRecord

TOKEN_COOKIE = "shelfsight_token"
DEFAULT_WINDOW_S = 86_400.0


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_settings_dep(request: Request) -> DashboardSettings:
    settings: DashboardSettings = request.app.state.settings
    return settings


def get_bus(request: Request) -> EventBus:
    bus: EventBus = request.app.state.bus
    return bus


def get_ingest(request: Request) -> IngestReceiver | None:
    ingest: IngestReceiver | None = request.app.state.ingest
    return ingest


def get_clock(request: Request) -> Callable[[], float]:
    clock: Callable[[], float] = request.app.state.clock
    return clock


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[DashboardSettings, Depends(get_settings_dep)]
BusDep = Annotated[EventBus, Depends(get_bus)]
IngestDep = Annotated[IngestReceiver | None, Depends(get_ingest)]
ClockDep = Annotated[Callable[[], float], Depends(get_clock)]


def presented_token(request: Request) -> str | None:
    """The token a request carries: the Bearer header first, then the cookie."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(TOKEN_COOKIE) or None


# Declared as security schemes so the OpenAPI spec says how to authenticate; the check below reads both itself.
BEARER = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer ss_...`.")
COOKIE = APIKeyCookie(name=TOKEN_COOKIE, auto_error=False, description="The token cookie `/login` sets (pages).")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
CookieDep = Annotated[str | None, Depends(COOKIE)]


def _require(scope: Scope) -> Callable[..., TokenRecord]:
    def check(
        request: Request, store: StoreDep, clock: ClockDep, _bearer: BearerDep, _cookie: CookieDep
    ) -> TokenRecord:
        secret = presented_token(request)
        if secret is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "missing token: send 'Authorization: Bearer <token>' (create one with `shelfsight tokens create`)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        now = clock()
        record = authorize(store, secret, scope, now=now)
        if record is None:
            if authorize(store, secret, Scope.READ, now=now) is not None:
                raise HTTPException(status.HTTP_403_FORBIDDEN, f"this token lacks the {scope.value!r} scope")
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"}
            )
        return record

    return check


require_read = _require(Scope.READ)
require_admin = _require(Scope.ADMIN)
ReadAccess = Annotated[TokenRecord, Depends(require_read)]
AdminAccess = Annotated[TokenRecord, Depends(require_admin)]


def known_store(store: StoreDep, store_id: str) -> str:
    """Dependency: the path's ``store_id``, or a 404 naming it when the store has no data."""
    message = unknown_target(store, store_id)
    if message is not None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, message)
    return store_id


def known_shelf(store: StoreDep, store_id: str, shelf_id: str) -> str:
    """Dependency: the path's ``shelf_id``, or a 404 naming the store or shelf that is unknown."""
    message = unknown_target(store, store_id, [shelf_id])
    if message is not None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, message)
    return shelf_id


KnownStore = Annotated[str, Depends(known_store)]
"""A ``{store_id}`` path parameter of a store with data (else 404)."""
KnownShelf = Annotated[str, Depends(known_shelf)]
"""A ``{shelf_id}`` path parameter of a shelf of the path's store (else 404)."""


def window_of(since: float | None, until: float | None, now: float) -> TimeWindow:
    """The window a request asks for: missing ends default to the 24 hours before now (or before ``until``).

    Raises:
        RequestValidationError: 422 when ``until`` is not after ``since``.
    """
    end = until if until is not None else now
    start = since if since is not None else end - DEFAULT_WINDOW_S
    try:
        return TimeWindow(start, end)
    except ValueError as exc:
        raise invalid_query("until", until, str(exc)) from exc


def invalid_query(name: str, value: object, message: str) -> RequestValidationError:
    """A 422 for a query parameter that passed type checks but not a rule between values, shaped like FastAPI's
    own validation errors (the spec's ``HTTPValidationError``), so clients parse one error format."""
    return RequestValidationError([{"type": "value_error", "loc": ("query", name), "msg": message, "input": value}])
