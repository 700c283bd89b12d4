"""Valid sample events and hypothesis strategies for the v1 event contract tests.

Imported by the test modules next to it as ``tests.vision.events.event_samples`` (pytest runs with
``--import-mode=importlib`` and ``pythonpath = ["."]``, so the test tree needs no ``__init__.py``).
"""

from typing import Any
from uuid import UUID

from hypothesis import strategies as st

from shelfsight.vision.events.contract import (
    EVENT_MODELS,
    MAX_TIMESTAMP_S,
    MIN_TIMESTAMP_S,
    CameraStatusEvent,
    DwellEvent,
    DwellStartedEvent,
    Event,
    PassByEvent,
    PickupEvent,
    PutbackEvent,
    ShelfSpot,
    TouchEvent,
)

T0 = 1_717_430_400.0
"""2024-06-03T16:00:00Z: a realistic wall-clock time, exactly representable."""

_COMMON: dict[str, Any] = {
    "event_id": UUID("00000000-0000-5000-8000-000000000001"),
    "store_id": "store-1",
    "camera_id": "cam1",
    "confidence": 0.9,
}
_SPOT = {"spot_id": "A3", "box": (0.1, 0.2, 0.3, 0.4)}

_SAMPLE_FIELDS: dict[str, dict[str, Any]] = {
    "dwell": {
        "ts": T0 + 12.5,
        "shopper_id": "cam1-42",
        "ts_start": T0,
        "ts_end": T0 + 12.5,
        "zone_id": "aisle-3-front",
        "shelf_id": "shelf-3",
        "dwell_s": 12.5,
        "occluded_s": 1.25,
    },
    "dwell_started": {
        "ts": T0 + 2.0,
        "shopper_id": "cam1-42",
        "ts_start": T0,
        "zone_id": "aisle-3-front",
        "shelf_id": "shelf-3",
    },
    "pass_by": {
        "ts": T0 + 3.5,
        "shopper_id": "cam1-43",
        "ts_start": T0,
        "ts_end": T0 + 3.5,
        "zone_id": "aisle-3-front",
        "shelf_id": "shelf-3",
        "dwell_s": 3.5,
        "confirmed": True,
    },
    "touch": {
        "ts": T0 + 4.0,
        "shopper_id": "cam1-42",
        "ts_start": T0 + 3.0,
        "ts_end": T0 + 4.0,
        "shelf_id": "shelf-3",
        "zone_id": "aisle-3-front",
        "spot": _SPOT,
    },
    "pickup": {
        "ts": T0 + 6.0,
        "shopper_id": "cam1-42",
        "ts_start": T0 + 5.0,
        "ts_end": T0 + 6.0,
        "shelf_id": "shelf-3",
        "spot": _SPOT,
    },
    "putback": {
        "ts": T0 + 9.0,
        "shopper_id": "cam1-42",
        "ts_start": T0 + 8.0,
        "ts_end": T0 + 9.0,
        "shelf_id": "shelf-3",
        "spot": _SPOT,
        "pickup_event_id": UUID("00000000-0000-5000-8000-000000000002"),
        "misplaced": False,
    },
    "camera_status": {
        "ts": T0,
        "confidence": 1.0,
        "status": "degraded",
        "reason": "4.1 fps, below the configured 5",
        "fps": 4.1,
    },
}


def sample_fields(event_type: str, **overrides: Any) -> dict[str, Any]:
    """Valid constructor fields of one event of ``event_type``, with ``overrides`` applied."""
    return {**_COMMON, **_SAMPLE_FIELDS[event_type], **overrides}


def sample_event(event_type: str, **overrides: Any) -> Event:
    """A valid event of ``event_type`` (every optional field set), with ``overrides`` applied."""
    event: Event = EVENT_MODELS[event_type](**sample_fields(event_type, **overrides))  # type: ignore[assignment]
    return event


# --- hypothesis strategies -------------------------------------------------------------------------

_FORBIDDEN_ID_CHARACTERS = "".join(chr(i) for i in range(0x20)) + "\x7f/"

ids = st.text(
    # Any script, including C1 controls and emoji; never surrogates (not encodable as UTF-8).
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters=_FORBIDDEN_ID_CHARACTERS),
    min_size=1,
    max_size=128,
)
timestamps = st.floats(min_value=MIN_TIMESTAMP_S, max_value=MAX_TIMESTAMP_S, exclude_max=True)
unit_floats = st.floats(min_value=0.0, max_value=1.0)
non_negative_floats = st.floats(min_value=0.0, allow_infinity=False)


@st.composite
def shelf_spots(draw: st.DrawFn) -> ShelfSpot:
    """Spots with any ordered, non-degenerate box inside the unit square."""
    xs = sorted(draw(st.lists(unit_floats, min_size=2, max_size=2, unique=True)))
    ys = sorted(draw(st.lists(unit_floats, min_size=2, max_size=2, unique=True)))
    return ShelfSpot(spot_id=draw(ids), box=(xs[0], ys[0], xs[1], ys[1]))


@st.composite
def _common(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "event_id": draw(st.uuids()),
        "store_id": draw(ids),
        "camera_id": draw(ids),
        "confidence": draw(unit_floats),
    }


@st.composite
def _interval(draw: st.DrawFn) -> dict[str, Any]:
    ts_start = draw(timestamps)
    ts_end = draw(st.floats(min_value=ts_start, max_value=MAX_TIMESTAMP_S, exclude_max=True))
    return {"shopper_id": draw(ids), "ts_start": ts_start, "ts_end": ts_end, "ts": ts_end}


@st.composite
def dwell_events(draw: st.DrawFn) -> DwellEvent:
    interval = draw(_interval())
    # Producers compute dwell_s themselves, so allow noise within the contract's 1 ms tolerance.
    noise = draw(st.sampled_from([0.0]) | st.floats(min_value=-9e-4, max_value=9e-4))
    dwell_s = max(0.0, interval["ts_end"] - interval["ts_start"] + noise)
    return DwellEvent(
        **draw(_common()),
        **interval,
        zone_id=draw(ids),
        shelf_id=draw(st.none() | ids),
        dwell_s=dwell_s,
        occluded_s=draw(st.none() | st.floats(min_value=0.0, max_value=dwell_s)),
    )


@st.composite
def dwell_started_events(draw: st.DrawFn) -> DwellStartedEvent:
    ts_start = draw(timestamps)
    ts = draw(st.floats(min_value=ts_start, max_value=MAX_TIMESTAMP_S, exclude_max=True))
    return DwellStartedEvent(
        **draw(_common()),
        shopper_id=draw(ids),
        ts=ts,
        ts_start=ts_start,
        zone_id=draw(ids),
        shelf_id=draw(st.none() | ids),
    )


@st.composite
def pass_by_events(draw: st.DrawFn) -> PassByEvent:
    interval = draw(_interval())
    return PassByEvent(
        **draw(_common()),
        **interval,
        zone_id=draw(ids),
        shelf_id=draw(st.none() | ids),
        dwell_s=interval["ts_end"] - interval["ts_start"],
        confirmed=draw(st.booleans()),
    )


@st.composite
def touch_events(draw: st.DrawFn) -> TouchEvent:
    return TouchEvent(
        **draw(_common()),
        **draw(_interval()),
        shelf_id=draw(ids),
        zone_id=draw(ids),
        spot=draw(st.none() | shelf_spots()),
    )


@st.composite
def pickup_events(draw: st.DrawFn) -> PickupEvent:
    return PickupEvent(**draw(_common()), **draw(_interval()), shelf_id=draw(ids), spot=draw(shelf_spots()))


@st.composite
def putback_events(draw: st.DrawFn) -> PutbackEvent:
    return PutbackEvent(
        **draw(_common()),
        **draw(_interval()),
        shelf_id=draw(ids),
        spot=draw(shelf_spots()),
        pickup_event_id=draw(st.none() | st.uuids()),
        misplaced=draw(st.booleans()),
    )


@st.composite
def camera_status_events(draw: st.DrawFn) -> CameraStatusEvent:
    return CameraStatusEvent(
        **draw(_common()),
        ts=draw(timestamps),
        status=draw(st.sampled_from(["online", "offline", "degraded"])),
        reason=draw(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=200)),
        fps=draw(st.none() | non_negative_floats),
    )


STRATEGIES_BY_TYPE = {
    "dwell": dwell_events(),
    "dwell_started": dwell_started_events(),
    "pass_by": pass_by_events(),
    "touch": touch_events(),
    "pickup": pickup_events(),
    "putback": putback_events(),
    "camera_status": camera_status_events(),
}
"""One strategy per event type; a test checks that every type in the contract has one."""

events = st.one_of(*STRATEGIES_BY_TYPE.values())
"""Any valid v1 event."""
