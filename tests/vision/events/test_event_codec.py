"""Tests for shelfsight.vision.events.codec: lossless round trips and one clear error type for bad input."""

import contextlib
import json
import math
import re
import struct
import sys
from collections.abc import Callable
from typing import Any

import msgpack  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfsight.vision.events.codec import (
    EventDecodeError,
    from_dict,
    from_json,
    from_msgpack,
    to_dict,
    to_json,
    to_msgpack,
)
from shelfsight.vision.events.contract import EVENT_TYPES, MAX_TIMESTAMP_S, MIN_TIMESTAMP_S, Event
from tests.vision.events.event_samples import STRATEGIES_BY_TYPE, events, sample_event

# --- round trips ---------------------------------------------------------------------------------


def test_every_event_type_has_a_strategy() -> None:
    assert set(STRATEGIES_BY_TYPE) == set(EVENT_TYPES)


@settings(max_examples=300)
@given(event=events)
def test_json_round_trip_is_lossless(event: Event) -> None:
    text = to_json(event)
    decoded = from_json(text)
    assert decoded == event
    assert type(decoded) is type(event)
    # Equality treats 0.0 and -0.0 alike; identical text proves every float survived bit for bit.
    assert to_json(decoded) == text
    assert from_json(text.encode("utf-8")) == event


@settings(max_examples=300)
@given(event=events)
def test_msgpack_round_trip_is_lossless(event: Event) -> None:
    packed = to_msgpack(event)
    decoded = from_msgpack(packed)
    assert decoded == event
    assert type(decoded) is type(event)
    assert to_msgpack(decoded) == packed


@given(event=events)
def test_dict_round_trip_is_lossless_and_json_compatible(event: Event) -> None:
    data = to_dict(event)
    assert from_dict(data) == event
    # Plain JSON types only, and the stdlib encoder agrees with the codec's JSON.
    assert json.loads(json.dumps(data, allow_nan=False)) == json.loads(to_json(event))


@pytest.mark.parametrize(
    "overrides",
    [
        {
            "ts": MIN_TIMESTAMP_S,
            "ts_start": MIN_TIMESTAMP_S,
            "ts_end": MIN_TIMESTAMP_S,
            "dwell_s": 0.0,
            "occluded_s": 0.0,
        },
        {
            "ts": math.nextafter(MAX_TIMESTAMP_S, 0.0),
            "ts_start": MIN_TIMESTAMP_S,
            "ts_end": math.nextafter(MAX_TIMESTAMP_S, 0.0),
            "dwell_s": math.nextafter(MAX_TIMESTAMP_S, 0.0) - MIN_TIMESTAMP_S,
        },
        {"confidence": 5e-324, "occluded_s": 5e-324},
        {"confidence": math.nextafter(1.0, 0.0), "occluded_s": 0.1 + 0.2},
        {"confidence": -0.0, "occluded_s": -0.0},
    ],
    ids=["earliest", "latest", "subnormal", "inexact-decimals", "negative-zero"],
)
def test_extreme_but_finite_floats_survive_both_codecs(overrides: dict[str, Any]) -> None:
    event = sample_event("dwell", **overrides)
    for decoded in (from_json(to_json(event)), from_msgpack(to_msgpack(event))):
        for field in overrides:
            original, restored = getattr(event, field), getattr(decoded, field)
            assert restored == original
            assert math.copysign(1.0, restored) == math.copysign(1.0, original), field


def test_largest_float_survives_as_fps() -> None:
    event = sample_event("camera_status", fps=sys.float_info.max)
    assert from_msgpack(to_msgpack(event)) == event
    assert from_json(to_json(event)) == event


def test_msgpack_carries_uuids_as_str_and_floats_as_float64() -> None:
    event = sample_event("putback")
    packed = to_msgpack(event)
    raw = msgpack.unpackb(packed, raw=False)
    assert raw["event_id"] == str(event.event_id)
    assert raw["pickup_event_id"] == str(event.pickup_event_id)  # type: ignore[union-attr]
    assert raw["spot"] == {"spot_id": "A3", "box": [0.1, 0.2, 0.3, 0.4]}
    # 0xcb is msgpack float64; float32 (0xca) would lose precision on epoch seconds.
    assert b"\xcb" + struct.pack(">d", event.ts) in packed
    assert b"\xca" not in packed


def test_optional_fields_are_written_as_null() -> None:
    event = sample_event("dwell", shelf_id=None, occluded_s=None)
    data = to_dict(event)
    assert data["shelf_id"] is None
    assert data["occluded_s"] is None
    assert '"occluded_s":null' in to_json(event)


def test_absent_optional_fields_decode_as_none() -> None:
    data = to_dict(sample_event("touch"))
    del data["spot"]
    decoded = from_dict(data)
    assert decoded.spot is None  # type: ignore[union-attr]


@pytest.mark.parametrize("encode", [to_dict, to_json, to_msgpack])
def test_encoding_anything_but_an_event_raises_type_error(encode: Callable[[Any], Any]) -> None:
    with pytest.raises(TypeError, match="expected one of DwellEvent"):
        encode({"type": "dwell"})


# --- decode errors -------------------------------------------------------------------------------


def _valid_wire(event_type: str = "dwell", **overrides: Any) -> dict[str, Any]:
    data = to_dict(sample_event(event_type))
    data.update(overrides)
    return data


def _without(key: str) -> dict[str, Any]:
    data = _valid_wire()
    del data[key]
    return data


BAD_PAYLOADS: list[tuple[str, Any, str]] = [
    ("not-a-mapping", [1, 2, 3], "expected a mapping of field names to values, got list"),
    ("scalar", 42, "expected a mapping of field names to values, got int"),
    (
        "unknown-type",
        _valid_wire(type="dwel"),
        "unknown event type 'dwel'; expected one of dwell, dwell_started, pass_by, touch, pickup, putback, "
        "camera_status",
    ),
    ("non-str-type", _valid_wire(type=3), "unknown event type 3"),
    ("missing-type", _without("type"), "missing field 'type'; expected one of dwell"),
    ("unknown-major-version", _valid_wire(schema_version="2.0"), "unknown schema_version '2.0'"),
    ("newer-minor-version", _valid_wire(schema_version="1.3"), "upgrade readers before writers"),
    ("numeric-version", _valid_wire(schema_version=1.0), "unknown schema_version 1.0; this reader supports"),
    ("missing-version", _without("schema_version"), "missing field 'schema_version'"),
    ("missing-field", _without("zone_id"), "invalid dwell event: zone_id: missing (required)"),
    ("extra-field", _valid_wire(colour="red"), "colour: unknown field"),
    ("wrong-type", _valid_wire(confidence="high"), "confidence: Input should be a valid number (got 'high')"),
    ("bool-as-number", _valid_wire(confidence=True), "confidence: Input should be a valid number"),
    ("out-of-range", _valid_wire(confidence=1.5), "confidence: Input should be less than or equal to 1"),
    ("bad-uuid", _valid_wire(event_id="nope"), "event_id: Input should be a valid UUID"),
    ("milliseconds", _valid_wire(ts=1.7e12), "ts: Input should be less than 4102444800"),
    ("cross-field", _valid_wire(dwell_s=99.0), "dwell_s: expected ts_end - ts_start = 12.5"),
    (
        "nested-field",
        _valid_wire("pickup", spot={"spot_id": "A3", "box": [0.1, 0.2, 1.3, 0.4]}),
        "invalid pickup event: spot.box.2: Input should be less than or equal to 1",
    ),
    (
        "str-bool",
        _valid_wire("putback", misplaced="true"),
        "misplaced: Input should be a valid boolean",
    ),
    ("nan", _valid_wire(confidence=math.nan), "confidence: Input should be a finite number"),
    ("inf", _valid_wire(occluded_s=math.inf), "occluded_s: Input should be a finite number"),
]


@pytest.mark.parametrize(
    ("payload", "message"), [(p, m) for _, p, m in BAD_PAYLOADS], ids=[i for i, _, _ in BAD_PAYLOADS]
)
def test_bad_payloads_raise_one_clear_error_from_every_decoder(payload: Any, message: str) -> None:
    with pytest.raises(EventDecodeError) as from_dict_error:
        from_dict(payload)
    assert message in str(from_dict_error.value)
    with pytest.raises(EventDecodeError) as from_msgpack_error:
        from_msgpack(msgpack.packb(payload, use_bin_type=True))
    assert message in str(from_msgpack_error.value)
    if _json_encodable(payload):
        with pytest.raises(EventDecodeError) as from_json_error:
            from_json(json.dumps(payload))
        assert message in str(from_json_error.value)


def test_validation_errors_are_chained_and_are_value_errors() -> None:
    with pytest.raises(ValueError) as info:
        from_dict(_valid_wire(confidence=2.0))
    assert isinstance(info.value, EventDecodeError)
    assert type(info.value.__cause__).__name__ == "ValidationError"


def test_several_problems_are_all_reported() -> None:
    with pytest.raises(EventDecodeError) as info:
        from_dict(_valid_wire(confidence=2.0, zone_id="", colour="red"))
    message = str(info.value)
    assert "confidence:" in message
    assert "zone_id:" in message
    assert "colour: unknown field" in message


def test_long_offending_values_are_truncated() -> None:
    with pytest.raises(EventDecodeError) as info:
        from_dict(_valid_wire(type="x" * 10_000))
    assert len(str(info.value)) < 300


JSON_BAD_BYTES: list[tuple[str, str | bytes, str]] = [
    ("empty", b"", "not valid JSON"),
    ("truncated", '{"type": "dwell"', "not valid JSON"),
    ("bad-utf8", b'{"type": "\xff"}', "not valid JSON"),
    ("nan-token", to_json(sample_event("dwell")).replace('"confidence":0.9', '"confidence":NaN'), "finite"),
    ("duplicate-key", '{"type": "dwell", "type": "touch"}', "duplicate key 'type'"),
    ("deep-nesting", "[" * 100_000 + "]" * 100_000, "not valid JSON"),
    ("array", "[]", "expected a mapping"),
]


@pytest.mark.parametrize(
    ("data", "message"), [(d, m) for _, d, m in JSON_BAD_BYTES], ids=[i for i, _, _ in JSON_BAD_BYTES]
)
def test_malformed_json_raises_event_decode_error(data: str | bytes, message: str) -> None:
    with pytest.raises(EventDecodeError, match=re.escape(message)):
        from_json(data)


_GOOD_MSGPACK = to_msgpack(sample_event("dwell"))

MSGPACK_BAD_BYTES: list[tuple[str, bytes, str]] = [
    ("empty", b"", "not valid msgpack"),
    ("reserved-byte", b"\xc1", "not valid msgpack: FormatError"),
    ("truncated", _GOOD_MSGPACK[:-3], "not valid msgpack"),
    ("trailing-bytes", _GOOD_MSGPACK + b"\x00", "not valid msgpack: ExtraData"),
    ("bad-utf8", b"\x81\xa4type\xa2\xff\xfe", "not valid msgpack"),
    ("int-key", b"\x81\x01\x02", "not valid msgpack"),
    ("duplicate-key", b"\x82\xa1a\x01\xa1a\x02", "duplicate key 'a'"),
    ("deep-nesting", b"\x91" * 100_000, "not valid msgpack"),
    ("bin-key", msgpack.packb({b"type": "dwell"}, use_bin_type=True), "field names must be strings"),
    ("ext-type", msgpack.packb(msgpack.ExtType(5, b"x")), "expected a mapping"),
]


@pytest.mark.parametrize(
    ("data", "message"), [(d, m) for _, d, m in MSGPACK_BAD_BYTES], ids=[i for i, _, _ in MSGPACK_BAD_BYTES]
)
def test_malformed_msgpack_raises_event_decode_error(data: bytes, message: str) -> None:
    with pytest.raises(EventDecodeError, match=re.escape(message)) as info:
        from_msgpack(data)
    if message.startswith("not valid"):
        assert info.value.__cause__ is not None


@given(data=st.binary(max_size=256))
def test_arbitrary_bytes_never_escape_as_another_error(data: bytes) -> None:
    for decode in (from_msgpack, from_json):
        with contextlib.suppress(EventDecodeError):
            decode(data)


@given(event=events, key=st.sampled_from(["type", "schema_version", "event_id", "ts", "confidence"]))
def test_dropping_a_required_field_is_reported_by_name(event: Event, key: str) -> None:
    data = to_dict(event)
    del data[key]
    with pytest.raises(EventDecodeError, match=key):
        from_msgpack(msgpack.packb(data, use_bin_type=True))


def _json_encodable(payload: Any) -> bool:
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True
