"""Every decoder of untrusted bytes raises `MessageError` and nothing else (issue 14, item 1).

In process and fast: the same hypothesis messages the real-socket tests send (`tests/pipeline/fuzz_messages.py`)
go through the same checks each receiving stage makes. Before issue 14 a header with ``seq: inf`` raised
``OverflowError`` out of ``decode`` (the aggregator's ingest thread died of it), a 1000-deep nesting raised
``RecursionError`` while the error message was being written, and an ack with ``accepted: inf`` crashed the
publisher.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import msgpack  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings

from shelfsight.dashboard.ingest.batches import decode_message
from shelfsight.pipeline.edge.messages import (
    DETECTIONS_KIND,
    FRAME_KIND,
    STATUS_KIND,
    DetectionsMessage,
    FrameMessage,
    StatusMessage,
)
from shelfsight.transport.envelope import MessageError, decode
from shelfsight.transport.messages import Ack, EventBatch, Heartbeat
from shelfsight.vision.events.codec import EventDecodeError, from_msgpack, to_dict
from tests.pipeline.fuzz_messages import (
    ACK,
    DETECTIONS,
    FRAME,
    HEARTBEAT,
    STATUS,
    STORE,
    WAKE,
    Deep,
    Template,
    bad_messages,
    pack,
)
from tests.vision.events.event_samples import sample_event

CAMERA = "aisle-cam"


def _detector(frames: list[bytes]) -> None:
    envelope = decode(frames)  # pipeline/edge/detect.py: _drain, then _step
    if envelope.camera_id != CAMERA or envelope.kind not in (FRAME_KIND, STATUS_KIND):
        raise MessageError("unexpected message")
    if envelope.kind == FRAME_KIND:
        FrameMessage.from_envelope(envelope, STORE)
    else:
        StatusMessage.from_envelope(envelope, STORE)


def _event_stage(frames: list[bytes]) -> None:
    envelope = decode(frames)  # pipeline/edge/events.py: _receive, then _handle
    if envelope.camera_id != CAMERA:
        raise MessageError("another camera")
    if envelope.kind == DETECTIONS_KIND:
        DetectionsMessage.from_envelope(envelope, STORE)
    elif envelope.kind == STATUS_KIND:
        StatusMessage.from_envelope(envelope, STORE)
    else:
        raise MessageError("unexpected kind")


def _wake(frames: list[bytes]) -> None:
    if decode(frames).kind != "wake":
        raise MessageError("not a wake message")


def _heartbeat(frames: list[bytes]) -> None:
    beat = Heartbeat.from_envelope(decode(frames))
    if beat.stage != "publisher" or beat.camera_id != "*":
        raise MessageError("unknown stage")


def _ack(frames: list[bytes]) -> None:
    Ack.from_envelope(decode(frames))


def _ingest(frames: list[bytes]) -> None:
    decode_message([b"peer", *frames], received_at=1.7e9)


RECEIVERS: dict[str, Callable[[list[bytes]], None]] = {
    "frame": _detector, "detections": _event_stage, "wake": _wake, "heartbeat": _heartbeat, "ack": _ack,
    "events": _ingest,
}  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "template"),
    [("frame", FRAME), ("frame", STATUS), ("detections", DETECTIONS), ("detections", STATUS), ("wake", WAKE),
     ("heartbeat", HEARTBEAT), ("ack", ACK)],
)  # fmt: skip
def test_the_templates_themselves_are_accepted(kind: str, template: Template) -> None:
    """The broken messages start from valid ones: what makes them bad is the one thing broken."""
    RECEIVERS[kind](template.frames())


def _fuzz(kind: str) -> Callable[[], None]:
    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(frames=bad_messages(kind))
    def check(frames: list[bytes]) -> None:
        with pytest.raises(MessageError):
            RECEIVERS[kind](frames)

    return check


test_frame_socket_decoders_raise_only_message_errors = _fuzz("frame")
test_detections_socket_decoders_raise_only_message_errors = _fuzz("detections")
test_wake_socket_decoders_raise_only_message_errors = _fuzz("wake")
test_heartbeat_socket_decoders_raise_only_message_errors = _fuzz("heartbeat")
test_ack_socket_decoders_raise_only_message_errors = _fuzz("ack")
test_ingest_socket_decoders_raise_only_message_errors = _fuzz("events")


@pytest.mark.parametrize(
    ("template", "header", "body"),
    [
        (FRAME, {"seq": math.inf}, None),
        (FRAME, {"seq": math.nan}, None),
        (FRAME, {"buffers": [["|u1", [math.inf, 16, 3]]]}, None),
        (FRAME, {"buffers": [["|u1", [-1, 16, 3]]]}, None),
        (FRAME, {"camera_id": Deep()}, None),
        (FRAME, None, {**FRAME.body, "seq": math.inf}),
        (STATUS, None, {**STATUS.body, "ts": math.inf}),
        (STATUS, None, {**STATUS.body, "ts": 5.0}),
        (ACK, None, {**ACK.body, "accepted": math.inf}),
        (ACK, None, {**ACK.body, "rejected": 2**64 - 1}),
    ],
    ids=["seq-inf", "seq-nan", "dim-inf", "dim-negative", "deep-camera", "stamp-inf", "status-ts-inf",
         "status-ts-1970", "ack-inf", "ack-huge"],
)  # fmt: skip
def test_the_reported_messages_are_message_errors(template, header, body) -> None:  # type: ignore[no-untyped-def]
    receiver = {"ack": _ack, "status": _detector, "frame": _detector}[template.kind]
    with pytest.raises(MessageError):
        receiver(template.frames(header=header, body=body))


def _event_with(field: str, value: object) -> bytes:
    return pack({**to_dict(sample_event("dwell")), field: value})


@pytest.mark.parametrize(
    "payload",
    [Deep().packed(), b"\x81\xa4type" + Deep().packed(), msgpack.packb({"type": "dwell", "ts": math.inf}),
     _event_with("zone_id", Deep()), _event_with("ts", math.inf), _event_with("dwell_s", math.nan)],
    ids=["deep", "deep-type", "inf", "deep-field", "inf-field", "nan-field"],
)  # fmt: skip
def test_event_payloads_are_decode_errors(payload: bytes) -> None:
    """An event inside a good batch is dead-lettered, never a crash of the aggregator's ingest (a value nested
    1000 deep raised RecursionError while its error message was written)."""
    with pytest.raises(EventDecodeError):
        from_msgpack(payload)
    batch = EventBatch(STORE, "*", "b", (payload,)).to_envelope()
    assert len(EventBatch.from_envelope(batch).events) == 1
