"""Browser-facing protections of every response and request: security headers, and the same-origin check.

* Headers (`SECURITY_HEADERS`): a Content Security Policy that allows scripts, styles, images and connections
  from this server only (no inline script: chart data travels as JSON data blocks that ``dashboard.js`` draws),
  framing by no one (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``, against click-jacking),
  ``X-Content-Type-Options: nosniff`` (a feed or a dead letter is never run as a script), and
  ``Referrer-Policy: same-origin`` (page URLs carry store, shelf and shopper ids: they never leave in a
  ``Referer`` to another site; ``no-referrer`` would also make browsers send ``Origin: null`` on this server's
  own form posts, which the same-origin check must refuse). Inline *styles* stay allowed:
  plotly.js and Swagger UI set style attributes, and a style cannot run code.
* Same origin (`OriginCheck`): a state-changing request (POST, PUT, PATCH, DELETE) authenticated by the page
  cookie, and the sign-in and sign-out forms, must come from a page of this server: its ``Origin`` (or, without
  one, its ``Referer``) must name this server's scheme, host and port. Otherwise it is refused with 403 before
  any route runs, so a foreign page cannot make a signed-in browser apply retention or sign in or out. Requests
  with an ``Authorization: Bearer`` header are not checked: a browser never adds that header across sites.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_PATHS = frozenset({"/login", "/logout"})
"""Paths checked even without the cookie: signing a browser in or out is a state change too."""
DEFAULT_PORTS = {"http": 80, "https": 443}


class SecurityHeaders:
    """ASGI middleware adding `SECURITY_HEADERS` to every HTTP response (a header a route set itself wins)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n.encode(), v.encode()) for n, v in SECURITY_HEADERS if n.encode() not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class OriginCheck:
    """ASGI middleware refusing cross-site state changes made with the page cookie (module docstring).

    Args:
        app: The app to protect.
        cookie: Name of the page cookie.
    """

    def __init__(self, app: ASGIApp, *, cookie: str) -> None:
        self.app = app
        self.cookie = cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            headers = Headers(scope=scope)
            if self._needs_check(scope, headers) and not same_origin(scope, headers):
                logger.warning(
                    "refused a cross-site %s %s (origin %r)",
                    scope["method"],
                    scope["path"],
                    headers.get("origin") or headers.get("referer"),
                )
                await _refuse(send)
                return
        await self.app(scope, receive, send)

    def _needs_check(self, scope: Scope, headers: Headers) -> bool:
        scheme, _, _ = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            return False
        return scope["path"] in FORM_PATHS or f"{self.cookie}=" in headers.get("cookie", "")


def same_origin(scope: Scope, headers: Headers) -> bool:
    """Whether the request's ``Origin`` (else ``Referer``) is this server: same scheme, host and port."""
    claimed = headers.get("origin") or headers.get("referer")
    host = headers.get("host")
    if not claimed or claimed == "null" or not host:
        return False
    return _origin(claimed) == _origin(f"{scope.get('scheme', 'http')}://{host}")


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


async def _refuse(send: Send) -> None:
    body = json.dumps(
        {"detail": "cross-site request refused: send it from this server's pages, or use a Bearer token"}
    ).encode()
    headers: Iterable[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 403, "headers": list(headers)})
    await send({"type": "http.response.body", "body": body})
