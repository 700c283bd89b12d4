"""The stored ``payload`` is the event's canonical JSON: `to_json` (the model's own serializer, for speed) writes
exactly what the v1 union's serializer writes, for every event the contract allows."""

from __future__ import annotations

from hypothesis import given, settings
from pydantic import TypeAdapter

from shelfsight.vision.events.codec import from_json, to_json
from shelfsight.vision.events.contract import Event
from tests.vision.events.event_samples import events

_UNION: TypeAdapter[Event] = TypeAdapter(Event)


@settings(max_examples=300)
@given(event=events)
def test_to_json_writes_what_the_union_serializer_writes(event: Event) -> None:
    assert to_json(event) == _UNION.dump_json(event).decode("utf-8")
    assert from_json(to_json(event)) == event
