"""The single multipart envelope every shelfsight socket speaks.

    frame 0: topic        b"shelfsight/{store}/{camera}/{stream}"
    frame 1: header       msgpack map: schema_version, kind, camera_id, seq, sent_at, buffers, body
    frame 2..: buffers    raw array bytes (frames, detection columns), described by dtype and shape in the header

No pickle, no JSON for bulk data: arrays travel as their own bytes and are rebuilt without a copy
(``np.frombuffer``). Anything that does not parse raises ``MessageError``; stages count and drop those.
"""

from __future__ import annotations

import functools
import math
import reprlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import msgpack  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt

ENVELOPE_VERSION = 1
MAX_BUFFERS = 16
MAX_DIMS = 8
WIRE_DTYPE_KINDS = frozenset("biuf")
"""Array kinds that may travel: bool, signed and unsigned integers, floats (no objects, text or records)."""


def _bounded_repr() -> reprlib.Repr:
    bounded = reprlib.Repr()  # keyword arguments only from Python 3.12
    bounded.maxlevel, bounded.maxstring, bounded.maxother, bounded.maxlist, bounded.maxdict = 3, 60, 60, 6, 6
    return bounded


_REPR = _bounded_repr()
P = ParamSpec("P")
R = TypeVar("R")


class MessageError(ValueError):
    """A multipart message that is not a valid shelfsight envelope; the text says what was wrong."""


@dataclass(frozen=True)
class Envelope:
    """One decoded message.

    Attributes:
        topic: The topic frame.
        kind: Message kind (``events``, ``ack``, ``heartbeat``, ``frame``, ``detections``).
        camera_id: Camera the message is about (``*`` for store-wide messages).
        seq: Sender's sequence number for this kind and camera.
        sent_at: Sender's wall clock at send, UTC epoch seconds.
        body: Kind-specific fields (a msgpack map), validated by the message class that reads it.
        arrays: Raw buffers rebuilt as read-only numpy arrays.
    """

    topic: bytes
    kind: str
    camera_id: str
    seq: int
    sent_at: float
    body: dict[str, Any] = field(default_factory=dict)
    arrays: tuple[npt.NDArray[Any], ...] = ()


def encode(envelope: Envelope) -> list[bytes | memoryview]:
    """The multipart frames of ``envelope``; array buffers are passed through without copying."""
    specs = []
    frames: list[bytes | memoryview] = []
    for array in envelope.arrays:
        contiguous = np.ascontiguousarray(array)
        specs.append([contiguous.dtype.str, list(contiguous.shape)])
        frames.append(contiguous.data.cast("B") if contiguous.size else b"")  # an empty view cannot be cast
    header = {
        "v": ENVELOPE_VERSION,
        "kind": envelope.kind,
        "camera_id": envelope.camera_id,
        "seq": envelope.seq,
        "sent_at": envelope.sent_at,
        "buffers": specs,
        "body": envelope.body,
    }
    return [envelope.topic, msgpack.packb(header, use_bin_type=True), *frames]


def decoder(parse: Callable[P, R]) -> Callable[P, R]:
    """Make ``parse`` raise nothing but ``MessageError``: every decoder of untrusted bytes wears this, so an
    exception its own checks did not foresee (``OverflowError`` from ``int(inf)``, ``RecursionError``) is
    still a bad message that the stage counts, never a crash of its receive loop."""

    @functools.wraps(parse)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return parse(*args, **kwargs)
        except MessageError:
            raise
        except Exception as exc:
            raise MessageError(f"undecodable message ({type(exc).__name__}: {shown(exc)})") from exc

    return wrapped


@decoder
def decode(frames: Sequence[bytes | memoryview | Any]) -> Envelope:
    """Parse received frames (bytes or ``zmq.Frame``); raises ``MessageError`` on anything malformed.

    Whatever the bytes hold (non-finite or 2**64 numbers, a 1000-deep nesting, the wrong types), the only
    exception that leaves is ``MessageError``: a stage's receive loop counts it and goes on.
    """
    if len(frames) < 2:
        raise MessageError(f"expected at least 2 frames (topic, header), got {len(frames)}")
    # zmq.Frame buffers are used in place: arrays are read-only views that keep their frame alive (no copy).
    raw = [f.buffer if hasattr(f, "buffer") else f for f in frames]
    try:
        header = msgpack.unpackb(raw[1], raw=False, strict_map_key=True)
    except Exception as exc:  # msgpack raises several unrelated types
        raise MessageError(f"header is not msgpack: {type(exc).__name__}") from exc
    if not isinstance(header, dict) or header.get("v") != ENVELOPE_VERSION:
        raise MessageError(f"header must be a map with v={ENVELOPE_VERSION}, got {shown(header)}")
    kind, camera_id = header.get("kind"), header.get("camera_id")
    if not isinstance(kind, str) or not isinstance(camera_id, str):
        raise MessageError(
            f"header misses or mistypes a field: kind and camera_id must be text, got {shown(kind)}, {shown(camera_id)}"
        )
    seq, sent_at = whole_number(header.get("seq"), "seq"), finite_number(header.get("sent_at"), "sent_at")
    specs, body = header.get("buffers"), header.get("body")
    if not isinstance(body, dict) or not isinstance(specs, list) or len(specs) > MAX_BUFFERS:
        raise MessageError(f"header body must be a map and buffers a list of at most {MAX_BUFFERS}")
    if len(specs) != len(raw) - 2:
        raise MessageError(f"header describes {len(specs)} buffers, message has {len(raw) - 2}")
    arrays = tuple(_array(spec, data) for spec, data in zip(specs, raw[2:], strict=True))
    return Envelope(bytes(raw[0]), kind, camera_id, seq, sent_at, body, arrays)


def _array(spec: Any, data: bytes | memoryview) -> npt.NDArray[Any]:
    if not isinstance(spec, list) or len(spec) != 2 or not isinstance(spec[0], str) or not isinstance(spec[1], list):
        raise MessageError(f"a buffer spec must be [dtype, shape], got {shown(spec)}")
    try:
        dtype = np.dtype(spec[0])
    except TypeError as exc:
        raise MessageError(f"unknown dtype {shown(spec[0])}") from exc
    if dtype.kind not in WIRE_DTYPE_KINDS or dtype.shape or dtype.names is not None:
        raise MessageError(f"only plain bool, integer and float arrays travel (no object arrays), not {dtype}")
    shape = tuple(whole_number(d, "array dimension") for d in spec[1])
    if len(shape) > MAX_DIMS or math.prod(shape) * dtype.itemsize != len(data):
        raise MessageError(f"buffer {shown(spec)} does not fit its {len(data)} bytes")
    return np.frombuffer(data, dtype=dtype).reshape(shape)


def expect_kind(envelope: Envelope, kind: str) -> dict[str, Any]:
    """The body of ``envelope`` when it is of ``kind``; ``MessageError`` otherwise."""
    if envelope.kind != kind:
        raise MessageError(f"expected kind {kind!r}, got {shown(envelope.kind)}")
    return envelope.body


def whole_number(value: Any, what: str) -> int:
    """``value`` as a non-negative integer that fits 64 bits; ``MessageError`` for anything else (bool, inf, nan,
    a float with a fraction, text)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise MessageError(f"{what} must be a whole number >= 0, got {shown(value)}")
    return value


def finite_number(value: Any, what: str) -> float:
    """``value`` as a finite float; ``MessageError`` for inf, nan, bool or anything not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MessageError(f"{what} must be a finite number, got {shown(value)}")
    return float(value)


def shown(value: object) -> str:
    """A short, safe rendering of untrusted input for messages and logs: bounded in depth and length, so a
    1000-deep nesting or a 100 MB string cannot raise ``RecursionError`` or flood the log."""
    return _REPR.repr(value)
