"""Write one camera's zones back into an edge config file, keeping the rest of the file as the user wrote it.

The zones page (`shelfsight.pipeline.edge.zones_page`) saves through here. The file is edited with ruamel.yaml's
round-trip mode, so comments, key order, quoting and the other cameras stay as they were; only the camera's ``zones:``
list changes: an existing zone (matched by id) keeps its other keys (``dwell:``, ...) and comments, a new one is
appended, one no longer drawn is removed.

Nothing is written unless the edited file passes every check ``shelfsight config check`` runs (`check_config`),
and the problems reported are that command's, with the real file's name and lines.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from shelfsight.edge_config.loader import check_config
from shelfsight.edge_config.problems import ConfigProblem

logger = logging.getLogger(__name__)

DECIMALS = 4
"""Coordinates are written to 4 decimals: 0.1 pixel at 1920 pixels wide."""


class ZoneDraft(BaseModel):
    """One zone as the zones page sends it. Only the JSON's shape is checked here; whether it is a good zone is
    ``config check``'s job, so the page shows the same messages as the command.

    Attributes:
        id: Zone id.
        kind: shelf, aisle, entrance, checkout or standing.
        polygon: [x, y] points, fractions of the image width and height.
        shelf_id: Standing zones: the shelf zone in front of which it lies.
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(max_length=200)
    kind: str = Field(max_length=50)
    polygon: list[tuple[float, float]] = Field(max_length=1000)
    shelf_id: str | None = Field(default=None, max_length=200)


class ZoneEditError(ValueError):
    """The file cannot be edited at all (not YAML, no such camera): nothing was written."""


def _yaml() -> YAML:
    yaml = YAML()  # round-trip: comments, order and quotes survive
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long polygon line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _polygon(points: list[tuple[float, float]]) -> CommentedSeq:
    """``[[x, y], ...]`` on one line, as the demo config writes polygons."""
    outline = CommentedSeq()
    for x, y in points:
        point = CommentedSeq([round(x, DECIMALS), round(y, DECIMALS)])
        point.fa.set_flow_style()
        outline.append(point)
    outline.fa.set_flow_style()
    return outline


def _fill(entry: CommentedMap, draft: ZoneDraft) -> CommentedMap:
    entry["id"] = draft.id
    entry["kind"] = draft.kind
    if draft.shelf_id:
        entry["shelf_id"] = draft.shelf_id
    elif "shelf_id" in entry:
        del entry["shelf_id"]
    entry["polygon"] = _polygon(draft.polygon)
    return entry


def _take_trailing_comment(node: Any) -> Any:
    """Detach the comment after the last item of a block list (ruamel keeps what follows a list, such as the
    blank line and comment heading the next section, on the list's deepest last key); None when there is none."""
    while isinstance(node, CommentedMap | CommentedSeq) and len(node) and not node.fa.flow_style():
        key: Any = list(node.keys())[-1] if isinstance(node, CommentedMap) else len(node) - 1
        child = node[key]
        if isinstance(child, CommentedMap | CommentedSeq) and len(child) and not child.fa.flow_style():
            node = child
            continue
        slot = 2 if isinstance(node, CommentedMap) else 0
        comments = node.ca.items.get(key)
        if comments is None or comments[slot] is None:
            return None
        token, comments[slot] = comments[slot], None
        return token
    return None


def _camera(data: Any, camera_id: str) -> CommentedMap:
    cameras = data.get("cameras") if isinstance(data, dict) else None
    for camera in cameras if isinstance(cameras, list) else []:
        if isinstance(camera, CommentedMap) and camera.get("id") == camera_id:
            return camera
    raise ZoneEditError(f"the config has no camera {camera_id!r}")


def apply_zones(text: str, camera_id: str, drafts: list[ZoneDraft]) -> str:
    """The config ``text`` with camera ``camera_id``'s zones replaced by ``drafts`` (see the module docstring).

    Raises:
        ZoneEditError: When the text is not YAML or has no such camera.
    """
    yaml = _yaml()
    try:
        data = yaml.load(text)
    except YAMLError as exc:
        raise ZoneEditError(f"the config is not valid YAML: {exc}") from exc
    camera = _camera(data, camera_id)
    zones = camera.get("zones")
    if not isinstance(zones, CommentedSeq):
        zones = CommentedSeq()
        camera["zones"] = zones
    wanted = {draft.id: draft for draft in drafts}
    for index in reversed(range(len(zones))):  # drop what is no longer drawn, keep the rest in place
        entry = zones[index]
        if not (isinstance(entry, CommentedMap) and entry.get("id") in wanted):
            del zones[index]
    kept = {entry["id"]: entry for entry in zones}
    trailing = _take_trailing_comment(zones)
    for draft in drafts:
        if draft.id in kept:  # each kept zone takes one draft: a repeated id is appended, and config check says so
            _fill(kept.pop(draft.id), draft)
        else:
            zones.append(_fill(CommentedMap(), draft))
    if trailing is not None and zones:  # the blank line and comment before the next section stay before it
        last = zones[-1]
        last.ca.items.setdefault(list(last.keys())[-1], [None, None, None, None])[2] = trailing
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def save_zones(
    path: Path, camera_id: str, drafts: list[ZoneDraft], *, models_dir: Path | None = None
) -> list[ConfigProblem]:
    """Replace camera ``camera_id``'s zones in the file at ``path``, if the result passes ``config check``.

    The edited text is checked as a temporary file beside ``path`` (relative model and video paths resolve the
    same), then moved over ``path`` in one step, so a reader never sees half a file.

    Args:
        path: The edge config file.
        camera_id: The camera whose zones are replaced.
        drafts: Its zones, all of them.
        models_dir: As for ``config check`` (None: the ``SHELFSIGHT_MODELS_DIR`` setting).

    Returns:
        ``config check``'s problems of the edited file, named and numbered as ``path``; empty when it was saved.

    Raises:
        ZoneEditError: When the file cannot be edited at all (not YAML, no such camera).
        OSError: When the file cannot be read or written.
    """
    edited = apply_zones(path.read_text(encoding="utf-8"), camera_id, drafts)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".zones.yaml", dir=path.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(edited)
        problems = check_config(temp, models_dir=models_dir)
        if problems:
            return [replace(problem, path=str(path)) for problem in problems]
        with contextlib.suppress(OSError):
            os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
        logger.info("saved %d zone(s) of camera %s to %s", len(drafts), camera_id, path)
        return []
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
