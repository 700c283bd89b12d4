"""The flat feed columns: any valid event survives CSV and Parquet unchanged; cursors are opaque and checked."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfsight.dashboard.services.events import CursorError, decode_cursor, encode_cursor
from shelfsight.dashboard.services.feed_format import (
    ARROW_SCHEMA,
    COLUMN_NAMES,
    arrow_batch,
    csv_lines,
    parse_csv,
    unflatten,
)
from shelfsight.dashboard.storage.base import FeedPosition
from shelfsight.vision.events.codec import to_json
from shelfsight.vision.events.contract import AnyEvent
from tests.vision.events.event_samples import events, sample_event


def test_line_breaks_in_text_fields_survive_csv() -> None:
    """A carriage return in a text field went out unquoted (the writer only quoted its own line terminator) and
    broke the row for every CSV reader; found by the property test below."""
    batch = [sample_event("camera_status", reason=reason) for reason in ("stream\rlost", "stream\nlost", "a\r\nb")]
    text = "".join(csv_lines(to_json(e) for e in batch))
    assert parse_csv(text) == batch


@settings(max_examples=60, deadline=None)
@given(st.lists(events, min_size=1, max_size=5))
def test_any_events_round_trip_through_csv(batch: list[AnyEvent]) -> None:
    text = "".join(csv_lines(to_json(e) for e in batch))
    assert text.splitlines()[0] == ",".join(COLUMN_NAMES)
    assert parse_csv(text) == batch


@settings(max_examples=60, deadline=None)
@given(st.lists(events, min_size=1, max_size=5))
def test_any_events_round_trip_through_parquet(batch: list[AnyEvent]) -> None:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_batches([arrow_batch(to_json(e) for e in batch)], schema=ARROW_SCHEMA), sink)
    rows = pq.read_table(io.BytesIO(sink.getvalue())).to_pylist()
    assert [unflatten(row) for row in rows] == batch


@given(st.floats(min_value=946_684_800.0, max_value=4_102_444_799.0), st.uuids())
def test_cursors_round_trip_exactly(ts: float, event_id: object) -> None:
    position = FeedPosition(ts, str(event_id))
    assert decode_cursor(encode_cursor(position)) == position


@pytest.mark.parametrize("cursor", ["", "%%%", "bm90IGpzb24", "WzEsMiwzXQ"])
def test_foreign_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(CursorError, match="not a cursor issued by this feed"):
        decode_cursor(cursor)
