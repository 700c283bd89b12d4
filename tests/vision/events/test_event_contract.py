"""Tests for shelfsight.vision.events.contract: field rules, the committed JSON Schema, and import weight."""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from pydantic import ValidationError

from shelfsight.vision.events.codec import from_json, to_dict, to_json
from shelfsight.vision.events.contract import (
    EVENT_MODELS,
    EVENT_TYPES,
    SCHEMA_VERSION,
    SUPPORTED_SCHEMA_VERSIONS,
    CameraStatusEvent,
    DwellEvent,
    DwellStartedEvent,
    Event,
    EventBase,
    EventType,
    PassByEvent,
    PickupEvent,
    ShelfSpot,
    render_events_schema,
)
from shelfsight.vision.events.ids import event_id_for
from tests.vision.events.event_samples import T0, events, sample_event, sample_fields

REPO_ROOT = Path(__file__).resolve().parents[3]
SCHEMA_PATH = REPO_ROOT / "docs" / "events.schema.json"
REGENERATE = (
    'python -c "import pathlib, shelfsight.vision.events.contract as c; '
    "pathlib.Path('docs/events.schema.json').write_text(c.render_events_schema(), encoding='utf-8')\""
)


# --- the union and its constants -------------------------------------------------------------------


def test_event_types_models_and_discriminators_agree() -> None:
    assert get_args(EventType) == EVENT_TYPES
    assert tuple(EVENT_MODELS) == EVENT_TYPES
    for event_type, model in EVENT_MODELS.items():
        assert model.model_fields["type"].default == event_type


def test_every_model_writes_the_current_schema_version_and_reads_every_supported_one() -> None:
    assert SUPPORTED_SCHEMA_VERSIONS == ("1.0", "1.1", "1.2") and SCHEMA_VERSION == "1.2"
    for event_type in EVENT_TYPES:
        event = sample_event(event_type)
        assert event.schema_version == SCHEMA_VERSION
        assert get_args(EventBase.model_fields["schema_version"].annotation) == SUPPORTED_SCHEMA_VERSIONS
        if event_type == "pass_by":
            continue  # added in 1.2: test_pass_by_is_a_1_2_event
        older = type(event).model_validate({**event.model_dump(), "schema_version": "1.0"})
        assert older.schema_version == "1.0"


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_pass_by_is_a_1_2_event(version: str) -> None:
    """An edge before 1.2 never sent a pass_by, so one claiming to be older is malformed, not guessed at."""
    data = to_dict(sample_event("pass_by"))
    assert from_json(json.dumps({**data, "event_id": str(data["event_id"])})).type == "pass_by"
    with pytest.raises(ValidationError, match=r"pass_by was added in schema_version 1\.2"):
        PassByEvent.model_validate({**sample_event("pass_by").model_dump(), "schema_version": version})


def test_pass_by_duration_must_match_its_interval() -> None:
    with pytest.raises(ValidationError, match=r"dwell_s: expected ts_end - ts_start = 3\.5"):
        sample_event("pass_by", dwell_s=12.0)
    with pytest.raises(ValidationError, match="confirmed"):
        sample_event("pass_by", confirmed="yes")


@pytest.mark.parametrize("event_type", ["touch", "pickup", "putback"])
def test_reach_source_is_a_1_1_field(event_type: str) -> None:
    """1.1 added ``reach_source``: a 1.1 event may carry it, a 1.0 event may not (a 1.0 reader could not store it)."""
    event = sample_event(event_type)
    data = {**event.model_dump(), "reach_source": "pose"}
    assert type(event).model_validate(data).reach_source == "pose"
    with pytest.raises(ValidationError, match=r"added in schema_version 1\.1"):
        type(event).model_validate({**data, "schema_version": "1.0"})
    with pytest.raises(ValidationError, match="reach_source"):
        type(event).model_validate({**data, "reach_source": "guess"})


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_sample_events_are_valid_and_frozen(event_type: str) -> None:
    event = sample_event(event_type)
    assert event.type == event_type
    with pytest.raises(ValidationError, match="frozen"):
        event.confidence = 0.1


# --- field rules ---------------------------------------------------------------------------------

INVALID: list[tuple[str, str, dict[str, Any], str]] = [
    # (id, event type, overrides, text the error must contain: the field, what was expected, what was got)
    ("unknown-field", "dwell", {"colour": "red"}, "colour\n  Extra inputs are not permitted"),
    (
        "confidence-above-1",
        "touch",
        {"confidence": 1.01},
        "confidence\n  Input should be less than or equal to 1",
    ),
    (
        "confidence-nan",
        "touch",
        {"confidence": float("nan")},
        "confidence\n  Input should be a finite number",
    ),
    ("fps-inf", "camera_status", {"fps": float("inf")}, "fps\n  Input should be a finite number"),
    ("fps-negative", "camera_status", {"fps": -1.0}, "fps\n  Input should be greater than or equal to 0"),
    ("ts-in-milliseconds", "camera_status", {"ts": T0 * 1000}, "ts\n  Input should be less than 4102444800"),
    (
        "ts-monotonic-clock",
        "camera_status",
        {"ts": 12345.6},
        "ts\n  Input should be greater than or equal to 9466",
    ),
    ("ts-numeric-string", "camera_status", {"ts": str(T0)}, "ts\n  Input should be a valid number"),
    ("ts-bool", "camera_status", {"ts": True}, "ts\n  Input should be a valid number"),
    ("empty-id", "dwell", {"zone_id": ""}, "zone_id\n  String should have at least 1 character"),
    ("long-id", "dwell", {"store_id": "s" * 129}, "store_id\n  String should have at most 128 characters"),
    ("slash-in-id", "dwell", {"camera_id": "a/b"}, "camera_id\n  String should match pattern"),
    ("newline-in-id", "dwell", {"shopper_id": "cam1-4\n2"}, "shopper_id\n  String should match pattern"),
    ("int-id", "dwell", {"shopper_id": 42}, "shopper_id\n  Input should be a valid string"),
    (
        "bad-status",
        "camera_status",
        {"status": "up"},
        "status\n  Input should be 'online', 'offline' or 'degraded'",
    ),
    (
        "long-reason",
        "camera_status",
        {"reason": "x" * 201},
        "reason\n  String should have at most 200 characters",
    ),
    (
        "missing-spot",
        "pickup",
        {"spot": None},
        "spot\n  Input should be a valid dictionary or instance of ShelfSpot",
    ),
    ("str-bool", "putback", {"misplaced": "false"}, "misplaced\n  Input should be a valid boolean"),
    ("int-bool", "putback", {"misplaced": 0}, "misplaced\n  Input should be a valid boolean"),
    (
        "bad-link",
        "putback",
        {"pickup_event_id": "pickup-7"},
        "pickup_event_id\n  Input should be a valid UUID",
    ),
    ("wrong-type-tag", "pickup", {"type": "putback"}, "type\n  Input should be 'pickup'"),
    (
        "unknown-version",
        "pickup",
        {"schema_version": "1.3"},
        "schema_version\n  Input should be '1.0', '1.1' or '1.2'",
    ),
    (
        "interval-reversed",
        "touch",
        {"ts_start": T0 + 5},
        "ts_start: expected <= ts_end (1717430404.0), got 1717430405.0",
    ),
    (
        "ts-not-ts-end",
        "pickup",
        {"ts": T0 + 7},
        "ts: expected equal to ts_end (1717430406.0) on a pickup event, got",
    ),
    (
        "dwell-mismatch",
        "dwell",
        {"dwell_s": 12.6},
        "dwell_s: expected ts_end - ts_start = 12.5 (within 0.001 s), got 12.6",
    ),
    ("dwell-negative", "dwell", {"dwell_s": -1.0}, "dwell_s\n  Input should be greater than or equal to 0"),
    ("occluded-too-long", "dwell", {"occluded_s": 13.0}, "occluded_s: expected <= dwell_s (12.5), got 13.0"),
    (
        "started-before-entry",
        "dwell_started",
        {"ts_start": T0 + 3},
        "ts_start: expected <= ts (1717430402.0), got",
    ),
]


@pytest.mark.parametrize(
    ("event_type", "overrides", "message"),
    [(t, o, m) for _, t, o, m in INVALID],
    ids=[i for i, _, _, _ in INVALID],
)
def test_invalid_fields_are_rejected_naming_field_expected_and_actual(
    event_type: str, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        EVENT_MODELS[event_type](**sample_fields(event_type, **overrides))
    assert message in str(info.value)


@pytest.mark.parametrize(("dwell_s", "valid"), [(12.5009, True), (12.4991, True), (12.5011, False), (12.4989, False)])
def test_dwell_s_must_match_the_interval_within_one_millisecond(dwell_s: float, valid: bool) -> None:
    fields = sample_fields("dwell", dwell_s=dwell_s, occluded_s=None)
    if valid:
        assert DwellEvent(**fields).dwell_s == dwell_s
    else:
        with pytest.raises(ValidationError, match="dwell_s: expected"):
            DwellEvent(**fields)


@pytest.mark.parametrize(("offset_s", "valid"), [(0.0, True), (5e-7, True), (-5e-7, True), (5e-6, False)])
def test_ts_must_equal_ts_end_to_the_microsecond(offset_s: float, valid: bool) -> None:
    fields = sample_fields("pickup", ts=T0 + 6.0 + offset_s)
    if valid:
        PickupEvent(**fields)
    else:
        with pytest.raises(ValidationError, match="ts: expected equal to ts_end"):
            PickupEvent(**fields)


def test_zero_length_intervals_and_optional_fields_absent_are_valid() -> None:
    event = DwellEvent(**sample_fields("dwell", ts=T0, ts_end=T0, dwell_s=0.0, shelf_id=None, occluded_s=None))
    assert event.dwell_s == 0.0
    minimal = {k: v for k, v in sample_fields("touch").items() if k != "spot"}
    assert EVENT_MODELS["touch"](**minimal).spot is None  # type: ignore[attr-defined]


def test_ints_are_accepted_as_float_seconds() -> None:
    event = EVENT_MODELS["camera_status"](**sample_fields("camera_status", ts=int(T0), fps=5))
    assert isinstance(event.ts, float)
    assert event.ts == T0


def test_unicode_ids_are_accepted() -> None:
    event = sample_event("dwell", store_id="магазин-7", zone_id="通路-3", shopper_id="cam1-😀-42")
    assert event.zone_id == "通路-3"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("box", "message"),
    [
        (
            (0.3, 0.2, 0.1, 0.4),
            "box: expected (x1, y1, x2, y2) with x1 < x2 and y1 < y2, got (0.3, 0.2, 0.1, 0.4)",
        ),
        ((0.1, 0.4, 0.3, 0.4), "with x1 < x2 and y1 < y2"),
        ((0.1, 0.2, 1.3, 0.4), "box.2\n  Input should be less than or equal to 1"),
        ((-0.1, 0.2, 0.3, 0.4), "box.0\n  Input should be greater than or equal to 0"),
        ((0.1, 0.2, 0.3), "box.3\n  Field required"),
        ((0.1, 0.2, 0.3, float("nan")), "box.3\n  Input should be a finite number"),
    ],
)
def test_shelf_spot_box_is_ordered_and_normalised(box: tuple[float, ...], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        ShelfSpot(spot_id="A3", box=box)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_shelf_spot_accepts_full_frame_and_lists() -> None:
    assert ShelfSpot(spot_id="all", box=[0, 0, 1, 1]).box == (0.0, 0.0, 1.0, 1.0)  # type: ignore[arg-type]


# --- the committed JSON Schema -------------------------------------------------------------------


def test_committed_schema_is_up_to_date() -> None:
    rendered = render_events_schema()
    assert rendered.endswith("}\n")
    committed = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
    assert committed == rendered, (
        f"{SCHEMA_PATH.relative_to(REPO_ROOT)} is stale: the event models changed. "
        f"Regenerate it from the repository root with:\n  {REGENERATE}\nand commit it with the change."
    )


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_schema_describes_every_type_as_required_wire_fields(
    validator: jsonschema.protocols.Validator,
) -> None:
    defs = validator.schema["$defs"]
    for event_type, model in EVENT_MODELS.items():
        definition = defs[model.__name__]
        assert definition["properties"]["type"]["const"] == event_type
        assert definition["additionalProperties"] is False
        # Serialization mode: every field is on the wire, so every field is required.
        assert set(definition["required"]) == set(model.model_fields)


@settings(max_examples=200, deadline=None)
@given(event=events)
def test_encoded_events_validate_against_the_committed_schema(
    validator: jsonschema.protocols.Validator, event: Event
) -> None:
    validator.validate(to_dict(event))
    validator.validate(json.loads(to_json(event)))


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda d: d.update(colour="red"), id="extra-field"),
        pytest.param(lambda d: d.update(type="dwel"), id="unknown-type"),
        pytest.param(lambda d: d.update(schema_version="2.0"), id="unknown-version"),
        pytest.param(lambda d: d.update(confidence=1.5), id="out-of-range"),
        pytest.param(lambda d: d.update(event_id="not-a-uuid"), id="bad-uuid"),
        pytest.param(lambda d: d.pop("zone_id"), id="missing-field"),
    ],
)
def test_schema_rejects_what_the_models_reject(validator: jsonschema.protocols.Validator, mutate: Any) -> None:
    data = to_dict(sample_event("dwell"))
    mutate(data)
    assert not validator.is_valid(data)


# --- docs/events.md --------------------------------------------------------------------------------


def test_every_example_in_the_docs_is_a_valid_event() -> None:
    text = (REPO_ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    examples = [from_json(block) for block in re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)]
    assert sorted(e.type for e in examples) == sorted(EVENT_TYPES)
    by_type = {e.type: e for e in examples}
    assert by_type["putback"].pickup_event_id == by_type["pickup"].event_id  # type: ignore[union-attr]


def test_docs_examples_use_the_documented_event_ids() -> None:
    text = (REPO_ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    for block in re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL):
        event = from_json(block)
        extra: str
        if isinstance(event, CameraStatusEvent):
            shopper_id, ts_start, extra = "", event.ts, event.status
        elif isinstance(event, DwellEvent | DwellStartedEvent | PassByEvent):
            shopper_id, ts_start, extra = event.shopper_id, event.ts_start, event.zone_id
        else:
            spot = f"/{event.spot.spot_id}" if event.spot is not None else ""
            shopper_id, ts_start, extra = event.shopper_id, event.ts_start, event.shelf_id + spot
        expected = event_id_for(
            store_id=event.store_id,
            camera_id=event.camera_id,
            type=event.type,
            shopper_id=shopper_id,
            ts_start=ts_start,
            extra=extra,
        )
        assert event.event_id == expected, event.type


# --- import weight -------------------------------------------------------------------------------


def test_contract_and_codec_import_nothing_heavy() -> None:
    heavy = ["numpy", "cv2", "zmq", "fastapi", "onnxruntime", "starlette", "scipy"]
    code = (
        "import sys, shelfsight.vision.events, shelfsight.vision.events.contract, shelfsight.vision.events.codec, "
        "shelfsight.vision.events.ids; "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert result.stdout.strip() == "[]", f"the event contract must stay light; it imported {result.stdout}"
