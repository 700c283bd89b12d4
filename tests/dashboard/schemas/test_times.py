"""`to_epoch_s`, the one reading of a time parameter: any in-range time written in ISO 8601 (any offset, or none
for UTC) or as epoch seconds gives the same UTC epoch seconds; anything else is a clear error, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from shelfsight.dashboard.schemas.times import MAX_EPOCH_S, to_epoch_s

IN_RANGE = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30))
OFFSETS = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


@given(IN_RANGE, OFFSETS)
def test_an_iso_time_with_any_offset_is_its_instant(moment: datetime, offset: timezone) -> None:
    aware = moment.replace(tzinfo=UTC).astimezone(offset)
    assert to_epoch_s(aware.isoformat()) == moment.replace(tzinfo=UTC).timestamp()


@given(IN_RANGE)
def test_an_iso_time_without_offset_is_utc(moment: datetime) -> None:
    assert to_epoch_s(moment.isoformat()) == moment.replace(tzinfo=UTC).timestamp()


@given(st.floats(min_value=0.0, max_value=MAX_EPOCH_S))
def test_epoch_seconds_pass_through_exactly(seconds: float) -> None:
    assert to_epoch_s(repr(seconds)) == seconds == to_epoch_s(seconds)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "expected UTC epoch seconds or an ISO 8601 time"),
        ("now", "expected UTC epoch seconds or an ISO 8601 time"),
        ("2024-02-30T00:00:00Z", "expected UTC epoch seconds or an ISO 8601 time"),
        (True, "expected UTC epoch seconds or an ISO 8601 time"),
        ("nan", "expected a time in 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z"),
        ("-1", "expected a time in 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z"),
        (MAX_EPOCH_S + 1, "expected a time in 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z"),
        ("0001-01-01T00:00:00+23:59", "expected a time in 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z"),
        ("9999-12-31T23:59:59-23:59", "expected a time in 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z"),
    ],
)
def test_anything_else_is_refused_saying_what_is_expected(value: object, message: str) -> None:
    with pytest.raises(PydanticCustomError) as refused:
        to_epoch_s(value)
    assert refused.value.message().startswith(message)
    assert repr(value) in refused.value.message()


def test_a_space_before_the_offset_is_the_plus_a_query_string_lost() -> None:
    assert to_epoch_s("2024-06-03T18:00:00 02:00") == to_epoch_s("2024-06-03T16:00:00Z") == 1_717_430_400.0
    assert to_epoch_s("2024-06-03 18:00:00 0200") == 1_717_430_400.0
