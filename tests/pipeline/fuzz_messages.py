"""Hypothesis strategies of multipart messages that every shelfsight socket must refuse, and count.

Each message starts from a valid message of one kind (a frame, detections, a camera status, a wake nudge, a
heartbeat, an ack, an event batch) and breaks one thing with a value that is invalid *for that field*: inf,
-inf, nan, 2**64 - 1, -2**63, -1, 1e300, text where a number belongs, nesting 1000 levels deep (deeper than
Python's ``repr`` can go), 100 KB strings, the wrong types. Or it is garbage from the start: too few frames,
bytes that are not msgpack, a header that is not a map. So a stage that receives N of them must count exactly N
bad messages, and go on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import msgpack  # type: ignore[import-untyped]
from hypothesis import strategies as st

STORE = "demo-store"
DEEP = 1000
"""Nesting depth of the deep values: msgpack accepts it, ``repr`` of it raises RecursionError."""


@dataclass(frozen=True)
class Deep:
    """A value nested `DEEP` lists deep, packed by hand (msgpack's packer stops at 511 levels)."""

    kind: str = "list"

    def packed(self) -> bytes:
        return (b"\x91" if self.kind == "list" else b"\x81\xa1k") * DEEP + b"\xc0"


def pack(value: Any) -> bytes:
    """msgpack of ``value``, with every `Deep` inside packed as its raw bytes."""
    if isinstance(value, Deep):
        return value.packed()
    if isinstance(value, dict):
        items = list(value.items())
        head = bytes([0x80 | len(items)]) if len(items) < 16 else b"\xde" + len(items).to_bytes(2, "big")
        return head + b"".join(pack(key) + pack(item) for key, item in items)
    if isinstance(value, list):
        head = bytes([0x90 | len(value)]) if len(value) < 16 else b"\xdc" + len(value).to_bytes(2, "big")
        return head + b"".join(pack(item) for item in value)
    return bytes(msgpack.packb(value, use_bin_type=True))


NOT_A_NUMBER = st.sampled_from(["1.0", "", None, [], {}, [1.0], Deep(), Deep("map"), b"\x00"])
NON_FINITE = st.sampled_from([math.inf, -math.inf, math.nan])
BAD_WHOLE = NOT_A_NUMBER | NON_FINITE | st.sampled_from([-1, -(2**63), 2**64 - 1, 2**63, 1.5, 1e300, True])
"""Invalid where a whole number >= 0 below 2**63 belongs (sequence numbers, array dimensions, ack counts)."""
BAD_TIME = NOT_A_NUMBER | NON_FINITE | st.sampled_from([1e300, -1e308, -1.0, 0, 2**64 - 1, 5.0, True])
"""Invalid where UTC epoch seconds between 2000 and 2100 belong."""
BAD_FLOAT = NOT_A_NUMBER | NON_FINITE | st.just(False)
"""Invalid where any finite number belongs."""
BAD_TEXT = st.sampled_from([None, 1, 1.5, math.nan, [], {}, Deep(), b"bytes", True])
"""Invalid where text belongs."""
BAD_MAP = st.sampled_from([None, 1, 1.5, math.nan, [], "x", Deep(), b"bytes", True])
"""Invalid where a map belongs (an empty map may be valid)."""
BAD_LIST = st.sampled_from([None, 1, 1.5, math.nan, {}, "x", Deep(), b"bytes", True])
"""Invalid where a list belongs (an empty list may be valid)."""
HUGE_TEXT = st.integers(201, 100_000).map(lambda n: "x" * n)


@dataclass(frozen=True)
class Template:
    """A valid message: header fields, body fields, array buffers as (dtype, shape, bytes)."""

    kind: str
    camera_id: str
    body: dict[str, Any]
    buffers: tuple[tuple[str, list[int], bytes], ...] = ()
    topic: bytes = b"shelfsight/demo-store/aisle-cam/frames"

    def frames(self, header: dict[str, Any] | None = None, body: dict[str, Any] | None = None) -> list[bytes]:
        base = {"v": 1, "kind": self.kind, "camera_id": self.camera_id, "seq": 1, "sent_at": 1.7e9,
                "buffers": [[dtype, shape] for dtype, shape, _ in self.buffers], "body": self.body}  # fmt: skip
        full = {**base, **(header or {})}
        if body is not None:
            full["body"] = body
        return [self.topic, pack(full), *(data for _, _, data in self.buffers)]


STAMP = {"seq": 1, "index": 2, "captured_at": 1.7e9, "read_at": 1.7e9}
IMAGE = ("|u1", [16, 16, 3], bytes(16 * 16 * 3))
FRAME = Template("frame", "aisle-cam", STAMP, (IMAGE,))
STATUS = Template("status", "aisle-cam", {"status": "online", "reason": "ok", "ts": 1.7e9})
FOUND = {"camera_id": "aisle-cam", "frame_seq": 2, "captured_at": 1.7e9, "frame_size": [16, 16], "columns": []}
"""The detections map (`shelfsight.transport.detections`) of one box on a 16 x 16 frame."""
DETECTIONS = Template(
    "detections",
    "aisle-cam",
    {**STAMP, "detector_ms": 3.0, "detections": FOUND},
    (IMAGE, ("<f4", [1, 4], bytes(16)), ("<f4", [1], bytes(4)), ("<i8", [1], bytes(8))),
)
BAD_FOUND = BAD_MAP | st.sampled_from(
    [
        {},
        Deep("map"),
        {**FOUND, "columns": ["keypoints"]},
        {**FOUND, "columns": ["no-such-column"]},
        {**FOUND, "columns": "keypoints"},
        {**FOUND, "columns": [Deep()]},
        {**FOUND, "frame_size": [16]},
        {**FOUND, "frame_size": [15, 16]},
        {**FOUND, "frame_size": None},
        {**FOUND, "camera_id": "other-cam"},
        {**FOUND, "camera_id": None},
        {**FOUND, "captured_at": math.nan},
        {**FOUND, "frame_seq": -1},
    ]
)
"""Invalid detections maps: columns that the buffers do not hold, another frame size or camera, bad numbers."""
WAKE = Template("wake", "*", {})
HEARTBEAT = Template("heartbeat", "*", {"store_id": STORE, "stage": "publisher", "counters": {"spool_events": 1.0}})
ACK = Template("ack", "*", {"store_id": STORE, "batch_id": "b", "accepted": 1, "duplicates": 0, "rejected": 0})
BATCH = Template("events", "*", {"store_id": STORE, "batch_id": "b", "events": []})

BODY_FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "stamp": {"seq": BAD_WHOLE, "index": BAD_WHOLE, "captured_at": BAD_TIME, "read_at": BAD_TIME},
    "status": {"status": BAD_TEXT | st.sampled_from(["", "exploded", "ONLINE"]), "reason": BAD_TEXT | HUGE_TEXT,
               "ts": BAD_TIME},
    "detections": {"detector_ms": BAD_FLOAT, "detections": BAD_FOUND},
    "heartbeat": {"store_id": BAD_TEXT, "stage": BAD_TEXT | st.just("no-such-stage"),
                  "counters": BAD_MAP | st.sampled_from([{"x": math.inf}, {"x": math.nan}, {"x": "1"}, {"x": None},
                                                          {"x": Deep()}, {str(i): 1 for i in range(300)}])},
    "ack": {"store_id": BAD_TEXT, "batch_id": BAD_TEXT | st.just(""), "accepted": BAD_WHOLE,
            "duplicates": BAD_WHOLE, "rejected": BAD_WHOLE},
    "batch": {"store_id": BAD_TEXT | st.just(""), "batch_id": BAD_TEXT | st.just(""),
              "events": BAD_LIST | st.sampled_from([[1], ["text"], [None], [Deep()], [b"x"] * 1001])},
}  # fmt: skip


def _header_breakage(template: Template) -> st.SearchStrategy[list[bytes]]:
    """One header field broken: version, kind, camera, seq, sent_at, body, buffer specs and their count."""
    other_kind = st.sampled_from(["", "launch-missiles", "FRAME", "ack" if template.kind != "ack" else "frame"])
    other_camera = st.sampled_from(["", "no-such-cam", "aisle-cam/x"]) if template.camera_id != "*" else BAD_TEXT
    dims = [list(shape) for _, shape, _ in template.buffers] or [[1]]
    spec_dtype = st.sampled_from(["|O", "<U4", "V8", "bogus", "(1000000000,)f8", "", "M8"]) | BAD_TEXT
    options = [
        st.builds(lambda v: {"v": v}, st.sampled_from([0, 2, "1", None, math.inf, Deep()])),
        st.builds(lambda k: {"kind": k}, other_kind | BAD_TEXT),
        st.builds(lambda c: {"camera_id": c}, other_camera | BAD_TEXT),
        st.builds(lambda s: {"seq": s}, BAD_WHOLE),
        st.builds(lambda t: {"sent_at": t}, BAD_FLOAT),
        st.builds(lambda b: {"body": b}, BAD_MAP),
        st.builds(lambda d: {"buffers": [[d, dims[0]]]}, spec_dtype),
        st.builds(lambda d: {"buffers": [["|u1", [d, *dims[0][1:]]]]}, BAD_WHOLE),
        st.builds(lambda n: {"buffers": [["|u1", [n]]] * (len(template.buffers) + 1)}, st.integers(0, 3)),
        st.just({"buffers": [["|u1", [d + 1 for d in dims[0]]]] + [[t, s] for t, s, _ in template.buffers[1:]]}),
        st.just({"buffers": Deep()}),
    ]
    return st.one_of(options).map(lambda change: template.frames(header=change))


def _body_breakage(template: Template, groups: tuple[str, ...]) -> st.SearchStrategy[list[bytes]]:
    fields = {name: values for group in groups for name, values in BODY_FIELDS[group].items()}

    def broken(name: str, value: Any) -> list[bytes]:
        return template.frames(body={**template.body, name: value})

    return st.sampled_from(sorted(fields)).flatmap(lambda name: fields[name].map(lambda v: broken(name, v)))


GARBAGE: st.SearchStrategy[list[bytes]] = st.one_of(
    st.lists(st.binary(max_size=64), min_size=1, max_size=1),  # a socket cannot send a message of no frames
    st.tuples(st.binary(max_size=16), st.binary(max_size=128)).map(list),
    st.just([b"t", Deep().packed()]),
    st.just([b"t", b"\x81\xa1v\x01" + Deep().packed()]),  # valid prefix, trailing deep garbage
    st.recursive(st.none() | st.booleans() | st.floats() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=8),
                 lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
                 max_leaves=12).map(lambda value: [b"t", pack(value)]),
)  # fmt: skip
"""Not an envelope at all (a header map with ``v: 1`` and every field is too unlikely to draw)."""


def bad_messages(kind: str) -> st.SearchStrategy[list[bytes]]:
    """Messages that the socket receiving ``kind`` must refuse (see the module docstring).

    Args:
        kind: ``frame`` (the detector's socket: frames and statuses), ``detections`` (an event stage's),
            ``wake`` (the publisher's), ``heartbeat`` (the supervisor's), ``ack`` (the publisher's DEALER),
            ``events`` (the aggregator's ingest).
    """
    if kind == "frame":
        return st.one_of(GARBAGE, _header_breakage(FRAME), _body_breakage(FRAME, ("stamp",)),
                         _body_breakage(STATUS, ("status",)))  # fmt: skip
    if kind == "detections":
        return st.one_of(GARBAGE, _header_breakage(DETECTIONS), _body_breakage(DETECTIONS, ("stamp", "detections")),
                         _body_breakage(STATUS, ("status",)))  # fmt: skip
    if kind == "wake":
        return st.one_of(GARBAGE, _header_breakage(WAKE))
    if kind == "heartbeat":
        return st.one_of(GARBAGE, _header_breakage(HEARTBEAT), _body_breakage(HEARTBEAT, ("heartbeat",)))
    if kind == "ack":
        return st.one_of(GARBAGE, _header_breakage(ACK), _body_breakage(ACK, ("ack",)))
    if kind == "events":
        return st.one_of(GARBAGE, _header_breakage(BATCH), _body_breakage(BATCH, ("batch",)))
    raise ValueError(f"unknown kind {kind!r}")
