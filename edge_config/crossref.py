"""Rules across items: unique camera and zone ids, and standing zones that name a real shelf.

The rules run on `CameraRef` views, which can be built from validated models (in the model validators,
so no invalid `EdgeConfig` can be constructed) and from raw YAML data (in the loader, so these mistakes
are reported together with every field error instead of after them).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic_core import PydanticCustomError

from shelfsight.edge_config.base import CROSSREF_ERROR, rule_error
from shelfsight.edge_config.problems import Finding, Loc, format_key_path
from shelfsight.edge_config.zone import ZoneKind

logger = logging.getLogger(__name__)

SHELF_KIND = ZoneKind.SHELF.value
STANDING_KIND = ZoneKind.STANDING.value
_KINDS = frozenset(kind.value for kind in ZoneKind)


@dataclass(frozen=True)
class ZoneRef:
    """The parts of a zone the rules read; None where the raw value is missing or not text."""

    loc: Loc
    id: str | None
    kind: str | None
    shelf_id: str | None


@dataclass(frozen=True)
class CameraRef:
    """The parts of a camera the rules read."""

    loc: Loc
    id: str | None
    zones: tuple[ZoneRef, ...]


class ZoneLike(Protocol):
    """What the rules need of a validated zone (`shelfsight.edge_config.zone.ZoneConfig`)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def shelf_id(self) -> str | None: ...


class CameraLike(Protocol):
    """What the rules need of a validated camera (`shelfsight.edge_config.camera.CameraConfig`)."""

    @property
    def id(self) -> str: ...
    @property
    def zones(self) -> Sequence[ZoneLike]: ...


def ref_from_camera(camera: CameraLike, loc: Loc) -> CameraRef:
    """View a validated camera found at ``loc`` (``()`` inside its own validator)."""
    zones = tuple(
        ZoneRef((*loc, "zones", index), zone.id, str(zone.kind), zone.shelf_id)
        for index, zone in enumerate(camera.zones)
    )
    return CameraRef(loc, camera.id, zones)


def _text(mapping: dict[object, object], key: str) -> str | None:
    value = mapping.get(key)
    return value if isinstance(value, str) else None


def refs_from_raw(data: object) -> list[CameraRef]:
    """View the cameras of a raw YAML document, skipping whatever is not shaped like a camera or zone.

    Args:
        data: The document as PyYAML built it; any type (the rules must survive a broken file).

    Returns:
        One view per camera mapping under ``cameras``, in order.
    """
    cameras = data.get("cameras") if isinstance(data, dict) else None
    if not isinstance(cameras, list):
        return []
    refs = []
    for cam_index, camera in enumerate(cameras):
        if not isinstance(camera, dict):
            continue
        raw_zones = camera.get("zones")
        zones = tuple(
            ZoneRef(("cameras", cam_index, "zones", index), _text(z, "id"), _text(z, "kind"), _text(z, "shelf_id"))
            for index, z in enumerate(raw_zones if isinstance(raw_zones, list) else [])
            if isinstance(z, dict)
        )
        refs.append(CameraRef(("cameras", cam_index), _text(camera, "id"), zones))
    return refs


def duplicate_camera_ids(cameras: Sequence[CameraRef]) -> list[Finding]:
    """Every camera whose id an earlier camera already uses; ids key topics, events and the dashboard."""
    first_at: dict[str, Loc] = {}
    findings = []
    for camera in cameras:
        if camera.id is None:
            continue
        if camera.id in first_at:
            findings.append(
                Finding(
                    (*camera.loc, "id"),
                    f"camera id {camera.id!r} is already used by {format_key_path(first_at[camera.id])}",
                    "give every camera its own id",
                )
            )
        else:
            first_at[camera.id] = camera.loc
    return findings


def duplicate_zone_ids(cameras: Sequence[CameraRef]) -> list[Finding]:
    """Every zone whose id an earlier zone uses, on any camera: the dashboard aggregates per zone id."""
    first_at: dict[str, Loc] = {}
    findings = []
    for zone in (zone for camera in cameras for zone in camera.zones):
        if zone.id is None:
            continue
        if zone.id in first_at:
            findings.append(
                Finding(
                    (*zone.loc, "id"),
                    f"zone id {zone.id!r} is already used by {format_key_path(first_at[zone.id])}; "
                    "zone ids must be unique in the whole store",
                    "rename one of the two zones",
                )
            )
        else:
            first_at[zone.id] = zone.loc
    return findings


def dangling_shelf_links(camera: CameraRef, shelves_elsewhere: Mapping[str, str] | None = None) -> list[Finding]:
    """Every standing zone whose ``shelf_id`` names no shelf zone of the same camera.

    Same camera because the reach and shelf-change logic relate a shopper's floor position to the shelf
    in one image; a shelf seen by another camera has other pixels.

    Args:
        camera: The camera whose standing zones are checked.
        shelves_elsewhere: Shelf zone id -> camera id for the store's other cameras, to explain a link
            to a shelf on the wrong camera; None when unknown (inside a camera's own validator).

    Returns:
        One finding per broken link, at the zone's ``shelf_id``.
    """
    kinds = {zone.id: zone.kind for zone in camera.zones if zone.id is not None}
    shelves = sorted(zone_id for zone_id, kind in kinds.items() if kind == SHELF_KIND)
    elsewhere = shelves_elsewhere or {}
    findings = []
    for zone in camera.zones:
        target_kind = kinds.get(zone.shelf_id) if zone.shelf_id is not None else None
        if zone.kind != STANDING_KIND or zone.shelf_id is None or target_kind == SHELF_KIND:
            continue
        if zone.shelf_id in kinds and target_kind not in _KINDS:
            continue  # the target's own kind is wrong or missing; that is reported at the target
        if zone.shelf_id in kinds:
            problem = f"is a zone of kind {kinds[zone.shelf_id]!r}, not a shelf"
        elif zone.shelf_id in elsewhere:
            problem = (
                f"is a shelf of camera {elsewhere[zone.shelf_id]!r}; a standing zone must be drawn on the "
                "same camera as its shelf"
            )
        else:
            problem = "is not a zone of this camera"
            close = difflib.get_close_matches(zone.shelf_id, shelves, n=1)
            problem += f" — did you mean {close[0]!r}?" if close else ""
        fix = (
            f"set shelf_id to one of this camera's shelf zones: {', '.join(shelves)}"
            if shelves
            else "add a zone of kind shelf to this camera and name it here"
        )
        findings.append(Finding((*zone.loc, "shelf_id"), f"shelf_id {zone.shelf_id!r} {problem}", fix))
    return findings


def store_findings(cameras: Sequence[CameraRef]) -> list[Finding]:
    """All cross-item rules over a whole store, in document order."""
    findings = duplicate_camera_ids(cameras) + duplicate_zone_ids(cameras)
    for camera in cameras:
        elsewhere = {
            zone.id: other.id or "?"
            for other in cameras
            if other is not camera
            for zone in other.zones
            if zone.kind == SHELF_KIND and zone.id is not None
        }
        findings += dangling_shelf_links(camera, elsewhere)
    return findings


def crossref_error(findings: Sequence[Finding]) -> PydanticCustomError:
    """The error a model validator raises for broken cross-item rules (the first, counting the rest)."""
    first = findings[0]
    more = f" (and {len(findings) - 1} more cross-reference problem(s))" if len(findings) > 1 else ""
    return rule_error(first.message + more, fix=first.fix, at=first.loc, error_type=CROSSREF_ERROR)
