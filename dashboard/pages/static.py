"""Static files, served locally so pages work on an offline box: plotly.min.js from the plotly wheel, our CSS/JS."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

PLOTLY_JS_URL = "/static/plotly.min.js"
STATIC_DIR = Path(__file__).parent / "static"
CACHE_HEADERS = {"Cache-Control": "public, max-age=86400"}


def plotly_js_path() -> Path:
    """The ``plotly.min.js`` bundled in the installed plotly package."""
    path = Path(str(resources.files("plotly").joinpath("package_data", "plotly.min.js")))
    if not path.is_file():
        raise FileNotFoundError(f"plotly.min.js not found in the plotly package at {path}; reinstall plotly")
    return path


def mount_static(app: FastAPI) -> None:
    """Serve ``/static/plotly.min.js`` and ``/static/*`` (the route is added before the mount, so it wins)."""
    script = plotly_js_path()

    @app.get(PLOTLY_JS_URL, include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(script, media_type="text/javascript", headers=CACHE_HEADERS)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
