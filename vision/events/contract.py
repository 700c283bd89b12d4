"""The v1 event contract: what the edge pipeline emits and the dashboard and analysts consume.

Every event is a frozen pydantic model that forbids unknown fields. The seven event types form one
discriminated union, `Event`, keyed on the ``type`` field; `shelfsight.vision.events.codec` turns it into JSON and
msgpack and back, and `render_events_schema` renders the JSON Schema committed as
``docs/events.schema.json``. ``docs/events.md`` is the prose version of this module.

Conventions that hold for every event:

* Times are UTC Unix epoch seconds as ``float`` (microsecond resolution is enough). ``ts`` is the moment
  the event became known or true; interval events add ``ts_start`` and ``ts_end`` and have
  ``ts == ts_end``.
* ``event_id`` is the idempotency key; producers derive it with `shelfsight.vision.events.ids.event_id_for` so
  that processing the same input twice yields the same id.
* ``shopper_id`` is anonymous: a per-camera tracker id rendered as text (``"cam1-42"``). It is never
  derived from a face or any other biometric.

This module imports only pydantic and the standard library, so the dashboard can depend on it alone.
"""

import json
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Final, Literal, Self, get_args
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, Strict, TypeAdapter, model_validator

SCHEMA_VERSION: Final = "1.2"
"""The contract version this module writes. A string "MAJOR.MINOR": additive changes bump MINOR.
1.1 added ``reach_source`` to ``touch``, ``pickup`` and ``putback``; 1.2 added the ``pass_by`` event."""

SUPPORTED_SCHEMA_VERSIONS: Final[tuple[str, ...]] = ("1.0", "1.1", SCHEMA_VERSION)
"""Versions this reader decodes. Anything else is rejected, never guessed at."""

SchemaVersion = Literal["1.0", "1.1", "1.2"]
"""The ``schema_version`` values this module reads."""

ReachSource = Literal["pose", "motion"]
"""What saw a reach: wrist keypoints of a pose model, or pixel motion beside the shopper's box."""

MIN_TIMESTAMP_S: Final = 946_684_800.0
"""2000-01-01T00:00:00Z. Earlier values are almost surely a monotonic clock passed as wall-clock time."""

MAX_TIMESTAMP_S: Final = 4_102_444_800.0
"""2100-01-01T00:00:00Z (exclusive). Later values are almost surely milliseconds passed as seconds."""

DWELL_TOLERANCE_S: Final = 1e-3
"""How far ``dwell_s`` may differ from ``ts_end - ts_start``: float noise, not a second opinion."""

TIMESTAMP_TOLERANCE_S: Final = 1e-6
"""How far ``ts`` may differ from ``ts_end`` on interval events: the contract's time resolution."""

EventType = Literal["dwell", "dwell_started", "pass_by", "touch", "pickup", "putback", "camera_status"]
"""The ``type`` discriminator values of v1."""

EVENT_TYPES: Final[tuple[str, ...]] = get_args(EventType)
"""The ``type`` values of v1 in documentation order, for error messages and iteration."""

CameraState = Literal["online", "offline", "degraded"]
"""``camera_status.status``: streaming normally / no frames / frames, but too few or too poor."""

_ID_PATTERN: Final = r"^[^\x00-\x1f\x7f/]+$"
"""No control characters (they corrupt logs and CSV) and no "/" (ids become topic and URL segments)."""

Identifier = Annotated[str, Strict(), Field(min_length=1, max_length=128, pattern=_ID_PATTERN)]
"""A store, camera, zone, shelf, spot or shopper id: 1-128 characters of any script, no C0 control or "/"."""

EpochSeconds = Annotated[float, Strict(), Field(ge=MIN_TIMESTAMP_S, lt=MAX_TIMESTAMP_S)]
"""A UTC Unix timestamp in seconds. Strict: a JSON int is accepted, a numeric string or a bool is not."""

Seconds = Annotated[float, Strict(), Field(ge=0.0)]
"""A non-negative duration in seconds."""

FramesPerSecond = Annotated[float, Strict(), Field(ge=0.0)]
"""A non-negative frame rate in frames per second."""

UnitInterval = Annotated[float, Strict(), Field(ge=0.0, le=1.0)]
"""A value in [0, 1]: a confidence or a normalised image coordinate."""


class ContractModel(BaseModel):
    """Base of every contract model: frozen, unknown fields rejected, only finite floats.

    Unknown fields are rejected rather than ignored so that a producer's typo or a newer producer
    talking to an older reader fails loudly instead of silently losing data.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
        # The serialization schema describes what writers put on the wire: every field, nulls included.
        json_schema_serialization_defaults_required=True,
    )


class ShelfSpot(ContractModel):
    """Where on the shelf: a named spot (facing) and its box in normalised image coordinates.

    The same spot ids will later carry shelf state (filled / empty) for out-of-stock reporting.
    """

    spot_id: Identifier = Field(
        description="Spot id, unique within its shelf: the engine names a spot by its centre (`x0.46y0.38`)."
    )
    box: tuple[UnitInterval, UnitInterval, UnitInterval, UnitInterval] = Field(
        description="(x1, y1, x2, y2) in normalised 0..1 image coordinates, origin top-left; x1 < x2 and y1 < y2.",
    )

    @model_validator(mode="after")
    def _check_box_order(self) -> Self:
        x1, y1, x2, y2 = self.box
        if not (x1 < x2 and y1 < y2):
            raise ValueError(f"box: expected (x1, y1, x2, y2) with x1 < x2 and y1 < y2, got {self.box}")
        return self


class EventBase(ContractModel):
    """Fields common to every v1 event."""

    event_id: UUID = Field(
        description="Idempotency key: the same input processed twice gives the same id "
        "(see shelfsight.vision.events.ids.event_id_for). Consumers dedupe on it.",
    )
    schema_version: SchemaVersion = Field(
        default=SCHEMA_VERSION,
        description='Contract version, "MAJOR.MINOR". Readers reject versions they do not know.',
    )
    type: EventType = Field(description="Event type; the discriminator of the union.")
    store_id: Identifier = Field(description="Store the camera belongs to.")
    camera_id: Identifier = Field(description="Camera that observed the event.")
    ts: EpochSeconds = Field(
        description="When the event became known or true, UTC Unix epoch seconds. Equals ts_end on interval events.",
    )
    confidence: UnitInterval = Field(
        description="How sure the producer is that the event happened as described, 0..1. "
        "Not calibrated across event types in v1.",
    )


class ShopperEvent(EventBase):
    """An event about one (anonymous) shopper."""

    shopper_id: Identifier = Field(
        description='Anonymous per-camera tracker id as text, e.g. "cam1-42". Never derived from a face '
        "or any biometric; the same person on another camera or another visit gets another id.",
    )


class IntervalEvent(ShopperEvent):
    """A shopper event that spans time: ``ts_start <= ts_end`` and ``ts == ts_end``."""

    ts_start: EpochSeconds = Field(description="Start of the interval, UTC Unix epoch seconds.")
    ts_end: EpochSeconds = Field(description="End of the interval, UTC Unix epoch seconds; equals ts.")

    @model_validator(mode="after")
    def _check_interval(self) -> Self:
        if self.ts_start > self.ts_end:
            raise ValueError(f"ts_start: expected <= ts_end ({self.ts_end!r}), got {self.ts_start!r}")
        if abs(self.ts - self.ts_end) > TIMESTAMP_TOLERANCE_S:
            raise ValueError(f"ts: expected equal to ts_end ({self.ts_end!r}) on a {self.type} event, got {self.ts!r}")
        return self


class DwellEvent(IntervalEvent):
    """A complete visit of one shopper to one zone, emitted when the visit ends.

    Entry was debounced, short occlusions within the exit grace period did not split the visit, and
    visits shorter than the configured minimum are pass-bys, emitted as `PassByEvent` (1.2), never as dwells.
    """

    type: Literal["dwell"] = "dwell"
    zone_id: Identifier = Field(description="Zone visited.")
    shelf_id: Identifier | None = Field(
        default=None, description="Shelf the standing zone belongs to, when it belongs to one."
    )
    dwell_s: Seconds = Field(description="Visit length in seconds; equals ts_end - ts_start within 1 ms.")
    occluded_s: Seconds | None = Field(
        default=None,
        description="Seconds within the visit the shopper was not seen (bridged by the exit grace "
        "period); null when the producer does not measure it.",
    )

    @model_validator(mode="after")
    def _check_durations(self) -> Self:
        expected = self.ts_end - self.ts_start
        if not math.isclose(self.dwell_s, expected, rel_tol=0.0, abs_tol=DWELL_TOLERANCE_S):
            raise ValueError(
                f"dwell_s: expected ts_end - ts_start = {expected!r} (within {DWELL_TOLERANCE_S} s), "
                f"got {self.dwell_s!r}"
            )
        if self.occluded_s is not None and self.occluded_s > self.dwell_s:
            raise ValueError(f"occluded_s: expected <= dwell_s ({self.dwell_s!r}), got {self.occluded_s!r}")
        return self


class DwellStartedEvent(ShopperEvent):
    """A visit confirmed after the entry debounce, so live views can show who is dwelling now.

    ``ts`` is the moment of confirmation and ``ts_start`` the moment of entry, so ``ts >= ts_start``. The
    matching `DwellEvent` (same shopper, zone and ts_start) follows when the visit ends.
    """

    type: Literal["dwell_started"] = "dwell_started"
    zone_id: Identifier = Field(description="Zone entered.")
    shelf_id: Identifier | None = Field(
        default=None, description="Shelf the standing zone belongs to, when it belongs to one."
    )
    ts_start: EpochSeconds = Field(description="When the shopper entered the zone, UTC Unix epoch seconds.")

    @model_validator(mode="after")
    def _check_start(self) -> Self:
        if self.ts_start > self.ts:
            raise ValueError(f"ts_start: expected <= ts ({self.ts!r}), got {self.ts_start!r}")
        return self


class PassByEvent(IntervalEvent):
    """A visit of one shopper to one zone that ended under the zone's minimum dwell: someone walked past.

    Added in 1.2. It is the denominator of engagement (passers-by = visits + pass-bys), and when ``confirmed`` it
    closes the visit its `DwellStartedEvent` (same shopper, zone and ts_start) opened, so live views stop
    showing the shopper as dwelling the moment they walk on. It is never a dwell: scorers and rollups that count
    visits must not count it.
    """

    type: Literal["pass_by"] = "pass_by"
    zone_id: Identifier = Field(description="Zone passed through.")
    shelf_id: Identifier | None = Field(
        default=None, description="Shelf the standing zone belongs to, when it belongs to one."
    )
    dwell_s: Seconds = Field(
        description="Seconds the shopper was inside, under the zone's minimum dwell; equals ts_end - ts_start "
        "within 1 ms."
    )
    confirmed: Annotated[bool, Strict()] = Field(
        description="True when the visit had lasted the entry debounce, so a dwell_started was sent for it "
        "(this event closes that visit); false for a walk-through shorter than the debounce.",
    )

    @model_validator(mode="after")
    def _check_pass_by(self) -> Self:
        if self.schema_version in ("1.0", "1.1"):
            raise ValueError(
                f'type: pass_by was added in schema_version 1.2; a "{self.schema_version}" event cannot be one'
            )
        expected = self.ts_end - self.ts_start
        if not math.isclose(self.dwell_s, expected, rel_tol=0.0, abs_tol=DWELL_TOLERANCE_S):
            raise ValueError(
                f"dwell_s: expected ts_end - ts_start = {expected!r} (within {DWELL_TOLERANCE_S} s), "
                f"got {self.dwell_s!r}"
            )
        return self


class ReachEvent(IntervalEvent):
    """A shopper event made by a reach into a shelf: its interval is the reach."""

    reach_source: ReachSource | None = Field(
        default=None,
        description='What saw the reach: "pose" (wrist keypoints of a pose model) or "motion" (pixels moving '
        "beside the shopper's box, when no pose model is configured); null when the producer does not say. "
        "Added in 1.1.",
    )

    @model_validator(mode="after")
    def _check_version(self) -> Self:
        if self.schema_version == "1.0" and self.reach_source is not None:
            raise ValueError('reach_source: added in schema_version 1.1; a "1.0" event cannot carry it')
        return self


class TouchEvent(ReachEvent):
    """A reach into a shelf after which nothing on the shelf changed (or nothing could be seen: then with a low
    confidence)."""

    type: Literal["touch"] = "touch"
    shelf_id: Identifier = Field(description="Shelf reached into.")
    zone_id: Identifier = Field(description="Standing zone the shopper reached from.")
    spot: ShelfSpot | None = Field(
        default=None, description="Spot the reach went to, when it can be narrowed down to one."
    )


class ShelfChangeEvent(ReachEvent):
    """A reach after which the shelf changed at one spot: the base of pick-up and put-back."""

    shelf_id: Identifier = Field(description="Shelf that changed.")
    spot: ShelfSpot = Field(description="Spot that changed.")


class PickupEvent(ShelfChangeEvent):
    """A reach after which an item is gone from the shelf. With no matching put-back it is a take."""

    type: Literal["pickup"] = "pickup"


class PutbackEvent(ShelfChangeEvent):
    """A reach after which an item is back on the shelf."""

    type: Literal["putback"] = "putback"
    pickup_event_id: UUID | None = Field(
        default=None,
        description="event_id of the pickup this reverses, when one matched; null otherwise.",
    )
    misplaced: Annotated[bool, Strict()] = Field(
        description="True when the item went back to a different spot than it was taken from.",
    )


class CameraStatusEvent(EventBase):
    """A camera's health, so every rollup knows the coverage behind its numbers."""

    type: Literal["camera_status"] = "camera_status"
    status: CameraState = Field(
        description="online: streaming normally; offline: no frames; degraded: frames, but too few "
        "or too poor to trust.",
    )
    reason: Annotated[str, Strict()] = Field(
        max_length=200, description='Short human-readable cause, e.g. "no frame for 20 s"; may be empty.'
    )
    fps: FramesPerSecond | None = Field(
        default=None, description="Measured frames per second at ts; null when unknown."
    )


AnyEvent = DwellEvent | DwellStartedEvent | PassByEvent | TouchEvent | PickupEvent | PutbackEvent | CameraStatusEvent
"""Any v1 event model, as a plain union (``isinstance(x, EventBase)`` tells an event from anything else)."""

Event = Annotated[AnyEvent, Field(discriminator="type")]
"""Any v1 event; validated as a union discriminated on ``type``."""

EVENT_MODELS: Final[Mapping[str, type[EventBase]]] = MappingProxyType(
    {
        "dwell": DwellEvent,
        "dwell_started": DwellStartedEvent,
        "pass_by": PassByEvent,
        "touch": TouchEvent,
        "pickup": PickupEvent,
        "putback": PutbackEvent,
        "camera_status": CameraStatusEvent,
    }
)
"""The model of each ``type`` value."""

SCHEMA_MODE: Final = "serialization"
"""The committed schema describes what writers put on the wire: every field present, null when unset."""


def events_json_schema() -> dict[str, Any]:
    """Build the JSON Schema (draft 2020-12) of the v1 event union.

    Returns:
        The schema as a JSON-compatible dict, in serialization mode: it describes encoded events, in
        which every field is present (optional ones as null). Checks the models make across fields
        (``ts == ts_end``, ``dwell_s``, box order) and the finiteness of floats are not expressible
        here; the models remain the authority.
    """
    schema = TypeAdapter(Event).json_schema(mode=SCHEMA_MODE)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"shelfsight event v{SCHEMA_VERSION}"
    schema["description"] = (
        "One shelfsight event, as encoded on the wire (JSON or msgpack). Generated from "
        "vision/events/contract.py by render_events_schema(); see docs/events.md."
    )
    return schema


def render_events_schema() -> str:
    """Render `events_json_schema` as the text committed in ``docs/events.schema.json``.

    Pretty-printed with sorted keys and a trailing newline, so regenerating an unchanged contract gives
    a byte-identical file and a changed one gives a readable diff. To regenerate the file, write this
    text to ``docs/events.schema.json`` (the one-liner is in docs/events.md, and the test that catches a
    stale file prints it).

    Returns:
        The schema as JSON text ending in a newline.
    """
    return json.dumps(events_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
