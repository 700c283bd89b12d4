"""The zones page of the edge box's health server: draw, drag and save each camera's zones on its picture.

    GET /zones                              The page (`zones_page.html`).
    GET /zones/api/cameras                  Every camera's zones as the config file has them now (JSON).
    GET /zones/picture/<camera>.png         The camera's shopper-free picture (`zone_pictures`).
    PUT /zones/api/cameras/<camera>/zones   Replace the camera's zones (a JSON list of `ZoneDraft`); 200 when
                                            saved, 422 with ``config check``'s problems when the file would be bad.

Every request needs HTTP Basic credentials: user ``installer`` and the box's zones token (`edge_token`), since the
picture shows the store and a save changes what the box measures. Writes must also be JSON sent by the page's
own script (a browser sends no cross-site JSON without asking first), which keeps other sites from saving. The
running stages keep the zones they started with; the page says to restart the edge to apply a save.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from shelfsight.edge_config.loader import load_config
from shelfsight.edge_config.problems import ConfigError
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.edge_config.zone_edit import ZoneDraft, ZoneEditError, save_zones
from shelfsight.pipeline.edge.zone_pictures import picture_path

logger = logging.getLogger(__name__)

TOKEN_ENV = "SHELFSIGHT_EDGE_TOKEN"
TOKEN_FILE = "zones-token"
USER = "installer"
REALM = "shelfsight zones"
MAX_BODY_BYTES = 1_000_000
RESTART_NOTE = "restart the edge (`shelfsight edge run`) for the stages to use the new zones"
ZONES_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
"""On every zones reply: no other site may frame the page (and trick an installer into dragging zones)."""
_DRAFTS = TypeAdapter(list[ZoneDraft])
_PICTURE = re.compile(r"^/zones/picture/([^/]+)\.png$")
_ZONES = re.compile(r"^/zones/api/cameras/([^/]+)/zones$")


def edge_token(folder: Path) -> str:
    """The zones page's password: ``SHELFSIGHT_EDGE_TOKEN`` when set, else the one in ``folder/zones-token``,
    made (random, readable by the owner only) the first time."""
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return from_env
    path = folder / TOKEN_FILE
    with contextlib.suppress(FileNotFoundError):
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(token + "\n")
    return token


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, body, content type and extra headers."""

    code: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def _json(code: int, value: object) -> Reply:
    return Reply(code, json.dumps(value).encode())


class ZonesPage:
    """Answers the requests above.

    Args:
        config_path: The edge config file the box runs (read on each request, written by saves).
        spool_folder: The spool's folder, where `shelfsight.pipeline.edge.zone_pictures` writes the pictures.
        token: The password (see `edge_token`).
        models_dir: As for ``config check`` when a save is checked.
    """

    def __init__(self, config_path: Path, spool_folder: Path, token: str, models_dir: Path | None = None) -> None:
        if not token:
            raise ValueError("the zones page needs a non-empty token")
        self.config_path, self.spool_folder, self.models_dir = config_path, spool_folder, models_dir
        self._expected = f"{USER}:{token}".encode()
        self._save_lock = threading.Lock()

    def authorised(self, header: str | None) -> bool:
        """Whether an ``Authorization`` header carries the installer's credentials (constant-time compare)."""
        if not header or not header.startswith("Basic "):
            return False
        try:
            given = base64.b64decode(header.removeprefix("Basic ").strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(given, self._expected)

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        """One request under ``/zones`` (``headers`` with lower-case names)."""
        if not self.authorised(headers.get("authorization")):
            return Reply(
                401,
                b"sign in as 'installer' with the box's zones token\n",
                "text/plain; charset=utf-8",
                {"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
            )
        if method == "GET":
            return self._get(path)
        match = _ZONES.match(path)
        if method == "PUT" and match:
            return self._save(match.group(1), headers, body)
        return _json(405 if match else 404, {"detail": f"no {method} {path}"})

    def _get(self, path: str) -> Reply:
        if path in ("/zones", "/zones/"):
            page = files("shelfsight.pipeline.edge").joinpath("zones_page.html").read_bytes()
            return Reply(200, page, "text/html; charset=utf-8", {"Cache-Control": "no-store"})
        if path == "/zones/api/cameras":
            return self._cameras()
        match = _PICTURE.match(path)
        if match:
            return self._picture(match.group(1))
        return _json(404, {"detail": f"no page {path}"})

    def _config(self) -> EdgeConfig | Reply:
        """The config file as it is now (a save may have changed it), or the reply listing its problems."""
        try:
            return load_config(self.config_path)
        except ConfigError as exc:
            return _json(409, {"detail": "the config file has problems", "problems": [str(p) for p in exc.problems]})

    def _cameras(self) -> Reply:
        config = self._config()
        if isinstance(config, Reply):
            return config
        cameras = [
            {
                "id": camera.id,
                "zones": [
                    {"id": z.id, "kind": z.kind.value, "polygon": [list(p) for p in z.polygon], "shelf_id": z.shelf_id}
                    for z in camera.zones
                ],
            }
            for camera in config.cameras
        ]
        return _json(200, {"config": str(self.config_path), "cameras": cameras})

    def _picture(self, camera_id: str) -> Reply:
        config = self._config()
        if isinstance(config, Reply):
            return config
        if camera_id not in {
            camera.id for camera in config.cameras
        }:  # ids only: a path from the request never reaches the disk
            return _json(404, {"detail": f"no camera {camera_id!r}"})
        try:
            data = picture_path(self.spool_folder, camera_id).read_bytes()
        except FileNotFoundError:
            detail = (
                f"no picture of {camera_id!r} yet: the box writes one a few seconds after the camera's first frames"
            )
            return _json(404, {"detail": detail})
        return Reply(200, data, "image/png", {"Cache-Control": "no-store"})

    def _save(self, camera_id: str, headers: dict[str, str], body: bytes) -> Reply:
        if headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _json(415, {"detail": "send the zones as application/json"})
        if len(body) > MAX_BODY_BYTES:
            return _json(413, {"detail": f"at most {MAX_BODY_BYTES} bytes of zones"})
        try:
            drafts = _DRAFTS.validate_json(body)
        except ValidationError as exc:
            shown = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
            return _json(400, {"detail": f"not a list of zones ({{id, kind, polygon, shelf_id}}): {shown}"})
        with self._save_lock:
            try:
                problems = save_zones(self.config_path, camera_id, drafts, models_dir=self.models_dir)
            except ZoneEditError as exc:
                return _json(409, {"detail": str(exc)})
            except OSError as exc:
                return _json(500, {"detail": f"cannot write the config file: {exc.strerror or exc}"})
        if problems:
            listed: list[dict[str, Any]] = [
                {"key_path": p.key_path, "line": p.line, "message": p.message, "fix": p.fix, "text": str(p)}
                for p in problems
            ]
            return _json(422, {"detail": "not saved: config check found problems", "problems": listed})
        return _json(200, {"saved": len(drafts), "camera": camera_id, "note": RESTART_NOTE})
