"""HTTP rules the framework leaves open: repeated single-valued query parameters, and 405's ``Allow`` header.

* FastAPI silently keeps the last of ``?since=1&since=2``; a client that repeats a single-valued parameter has
  a bug, and guessing which value it meant would hide it. `reject_repeated_scalars` refuses such a request with
  the 422 every route already documents. Which parameters may repeat is read from the app's own OpenAPI spec
  (array parameters: ``type``, ``shelf``), so the rule never drifts from the documented routes.
* Starlette answers a wrong method with the methods of the *first* route matching the path, so ``OPTIONS
  /admin/tokens`` said ``Allow: GET`` although POST works too. `method_not_allowed` lists every route's methods.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match


def _array_parameters(spec: dict[str, Any], path: str, method: str) -> frozenset[str]:
    operation = spec.get("paths", {}).get(path, {}).get(method.lower(), {})
    names = set()
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        kinds = [schema, *schema.get("anyOf", [])]
        if parameter.get("in") == "query" and any(kind.get("type") == "array" for kind in kinds):
            names.add(str(parameter["name"]))
    return frozenset(names)


def reject_repeated_scalars(request: Request) -> None:
    """Dependency: 422 when a query parameter that takes one value is given several times."""
    repeated = [name for name, n in Counter(k for k, _ in request.query_params.multi_items()).items() if n > 1]
    if not repeated:
        return
    allowed = _array_parameters(request.app.openapi(), _path_template(request), request.method)
    errors = [
        {
            "type": "value_error",
            "loc": ("query", name),
            "msg": f"{name}: expected one value, got several",
            "input": request.query_params.getlist(name),
        }
        for name in repeated
        if name not in allowed
    ]
    if errors:
        raise RequestValidationError(errors)


def _path_template(request: Request) -> str:
    """The spec's path template for ``request`` (spec order is route order, so the route that served it wins).

    Matched against the scope's decoded path, as the router saw it: ``request.url.path`` re-parses the URL, which
    drops tabs and newlines, so a path parameter made of them would match no template."""
    path = str(request.scope["path"])
    paths: dict[str, Any] = request.app.openapi().get("paths", {})
    for template, operations in paths.items():
        parts = ("[^/]+" if p.startswith("{") and p.endswith("}") else re.escape(p) for p in template.split("/"))
        if request.method.lower() in operations and re.fullmatch("/".join(parts), path):
            return template
    return path


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    """405 with ``Allow`` naming the methods of every route at this path (other HTTP errors pass unchanged)."""
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        methods: set[str] = set()
        for route in request.app.router.routes:
            match, _ = route.matches({**request.scope, "method": "GET"})
            if match is not Match.NONE:
                methods |= set(getattr(route, "methods", None) or ())
        headers["Allow"] = ", ".join(sorted(methods))
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
