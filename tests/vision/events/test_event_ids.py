"""Tests for shelfsight.vision.events.ids: stable, collision-free event ids and anonymous shopper ids."""

import math
from typing import Any
from uuid import UUID, uuid5

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shelfsight.vision.events.contract import EVENT_TYPES
from shelfsight.vision.events.ids import EVENT_ID_NAMESPACE, canonical_timestamp, event_id_for, shopper_id_for
from tests.vision.events.event_samples import T0, ids, timestamps

BASE: dict[str, Any] = {
    "store_id": "store-1",
    "camera_id": "cam1",
    "type": "dwell",
    "shopper_id": "cam1-42",
    "ts_start": T0 + 0.25,
    "extra": "aisle-3-front",
}


def test_golden_id_never_changes() -> None:
    # Pinned: a different value means every stored id changed, which breaks dedupe across the upgrade.
    assert event_id_for(**BASE) == UUID("f1ccbff2-e4fc-5f4c-aaba-dbaedbc08477")


def test_canonical_string_is_a_compact_json_array() -> None:
    # The documented canonical form, so other languages can reproduce ids (docs/events.md).
    name = '["shelfsight-event-v1","store-1","cam1","dwell","cam1-42","1717430400.250000","aisle-3-front"]'
    assert event_id_for(**BASE) == uuid5(EVENT_ID_NAMESPACE, name)
    # Non-ASCII stays as is (UTF-8), not \u-escaped.
    unicode_name = name.replace("store-1", "магазин")
    assert event_id_for(**{**BASE, "store_id": "магазин"}) == uuid5(EVENT_ID_NAMESPACE, unicode_name)


def test_ids_are_version_5_in_the_project_namespace() -> None:
    event_id = event_id_for(**BASE)
    assert event_id.version == 5
    assert UUID("59e2703a-11fa-4437-8326-3f27a98fcc90") == EVENT_ID_NAMESPACE


def test_same_input_gives_the_same_id() -> None:
    assert event_id_for(**BASE) == event_id_for(**dict(BASE))


@pytest.mark.parametrize("noise_s", [1e-8, -1e-8, 4e-7, -4e-7])
def test_float_noise_below_a_microsecond_does_not_change_the_id(noise_s: float) -> None:
    assert event_id_for(**{**BASE, "ts_start": BASE["ts_start"] + noise_s}) == event_id_for(**BASE)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("store_id", "store-2"),
        ("camera_id", "cam2"),
        ("type", "dwell_started"),
        ("shopper_id", "cam1-43"),
        ("ts_start", T0 + 0.25 + 1e-6),
        ("ts_start", T0 + 0.25 - 1e-6),
        ("extra", "aisle-3-back"),
        ("extra", ""),
    ],
)
def test_any_differing_input_gives_a_different_id(field: str, value: Any) -> None:
    assert event_id_for(**{**BASE, field: value}) != event_id_for(**BASE)


def test_separator_characters_inside_ids_cannot_make_inputs_collide() -> None:
    a = event_id_for(**{**BASE, "store_id": "s|1", "camera_id": "c"})
    b = event_id_for(**{**BASE, "store_id": "s", "camera_id": "1|c"})
    c = event_id_for(**{**BASE, "store_id": 's","1', "camera_id": "c"})
    assert len({a, b, c}) == 3


@given(
    first=st.tuples(ids, ids, st.sampled_from(EVENT_TYPES), ids, timestamps, st.text(max_size=20)),
    second=st.tuples(ids, ids, st.sampled_from(EVENT_TYPES), ids, timestamps, st.text(max_size=20)),
)
def test_ids_are_equal_exactly_when_canonical_inputs_are(first: tuple[Any, ...], second: tuple[Any, ...]) -> None:
    def make(parts: tuple[Any, ...]) -> UUID:
        store_id, camera_id, event_type, shopper_id, ts_start, extra = parts
        return event_id_for(
            store_id=store_id,
            camera_id=camera_id,
            type=event_type,
            shopper_id=shopper_id,
            ts_start=ts_start,
            extra=extra,
        )

    def canonical(parts: tuple[Any, ...]) -> tuple[Any, ...]:
        return (*parts[:4], canonical_timestamp(parts[4]), parts[5])

    assert (make(first) == make(second)) == (canonical(first) == canonical(second))
    assert make(first) == make(first)


@pytest.mark.parametrize(
    ("ts", "text"),
    [
        (T0, "1717430400.000000"),
        (T0 + 0.25, "1717430400.250000"),
        (T0 + 0.1234564, "1717430400.123456"),
        (T0 + 0.1234566, "1717430400.123457"),
        (0.0, "0.000000"),
        (-0.0, "0.000000"),
        (-1e-9, "0.000000"),
    ],
)
def test_canonical_timestamp_rounds_to_the_microsecond(ts: float, text: str) -> None:
    assert canonical_timestamp(ts) == text


@pytest.mark.parametrize("ts", [math.nan, math.inf, -math.inf])
def test_non_finite_start_is_rejected(ts: float) -> None:
    with pytest.raises(ValueError, match=r"ts_start: expected a finite number of seconds, got"):
        event_id_for(**{**BASE, "ts_start": ts})


def test_unknown_type_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"type: expected one of dwell, dwell_started, .*, got 'dwel'"):
        event_id_for(**{**BASE, "type": "dwel"})


def test_shopper_id_is_camera_and_track() -> None:
    assert shopper_id_for(camera_id="cam1", track_id=42) == "cam1-42"
    assert shopper_id_for(camera_id="cam1", track_id=0) == "cam1-0"


def test_shopper_id_accepts_numpy_integers() -> None:
    import numpy as np  # a runtime dependency; imported here to keep the module's light-import test honest

    assert shopper_id_for(camera_id="cam1", track_id=np.int64(7)) == "cam1-7"


@pytest.mark.parametrize("track_id", [-1, 4.0, True, "42", None])
def test_shopper_id_rejects_what_is_not_a_track_id(track_id: Any) -> None:
    with pytest.raises(ValueError, match="track_id: expected a non-negative int, got"):
        shopper_id_for(camera_id="cam1", track_id=track_id)
