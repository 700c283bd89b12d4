"""``/docs``: Swagger UI served from this server, so the API reference works on a store network with no Internet.

FastAPI's own ``/docs`` loads Swagger UI from a CDN and is blank offline; it also starts it with an inline
script, which the Content Security Policy (`shelfsight.dashboard.web_security`) forbids. Here the assets come from the
``fastapi-offline`` package (it ships Swagger UI's bundle and stylesheet and nothing we run), and the page
starts it from ``/static/api-docs.js``. ``settings.api_docs`` turns the page off.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, HTTPException, status
from fastapi.responses import FileResponse, HTMLResponse

from shelfsight.dashboard.pages.static import CACHE_HEADERS

DOCS_URL = "/docs"
ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shelfsight aggregator API</title>
<link rel="stylesheet" href="/static/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static/docs/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


def swagger_assets() -> Path:
    """The folder of Swagger UI files in the installed ``fastapi-offline`` package."""
    folder = Path(str(resources.files("fastapi_offline").joinpath("static")))
    missing = [name for name in ASSETS if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{', '.join(missing)} not found in {folder}; reinstall fastapi-offline")
    return folder


def mount_api_docs(app: FastAPI) -> None:
    """Add ``/docs`` and its two assets (before the ``/static`` mount, so these routes win)."""
    folder = swagger_assets()

    @app.get(DOCS_URL, include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(PAGE)

    @app.get("/static/docs/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        media_type = ASSETS.get(name)
        if media_type is None:  # only the two files, never another path
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no docs asset {name!r}")
        return FileResponse(folder / name, media_type=media_type, headers=CACHE_HEADERS)
