"""The single multipart envelope every shelfsight socket speaks.

    frame 0: topic        b"shelfsight/{store}/{camera}/{stream}"
    frame 1: header       msgpack map: schema_version, kind, camera_id, seq, sent_at, buffers, body
    frame 2..: buffers    raw array bytes (frames, detection columns), described by dtype and shape in the header

No pickle, no JSON for bulk data: arrays travel as their own bytes and are rebuilt without a copy
(``np.frombuffer``). Anything that does not parse raises ``MessageError``; stages count and drop those.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgpack  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt

ENVELOPE_VERSION = 1
MAX_BUFFERS = 16


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


def decode(frames: Sequence[bytes | memoryview | Any]) -> Envelope:
    """Parse received frames (bytes or ``zmq.Frame``); raises ``MessageError`` on anything malformed."""
    if len(frames) < 2:
        raise MessageError(f"expected at least 2 frames (topic, header), got {len(frames)}")
    # zmq.Frame buffers are used in place: arrays are read-only views that keep their frame alive (no copy).
    raw = [f.buffer if hasattr(f, "buffer") else f for f in frames]
    try:
        header = msgpack.unpackb(raw[1], raw=False, strict_map_key=True)
    except Exception as exc:  # msgpack raises several unrelated types
        raise MessageError(f"header is not msgpack: {exc}") from exc
    if not isinstance(header, dict) or header.get("v") != ENVELOPE_VERSION:
        raise MessageError(f"header must be a map with v={ENVELOPE_VERSION}, got {str(header)[:80]}")
    try:
        kind, camera_id, seq = str(header["kind"]), str(header["camera_id"]), int(header["seq"])
        sent_at, specs, body = float(header["sent_at"]), header["buffers"], header["body"]
    except (KeyError, TypeError, ValueError) as exc:
        raise MessageError(f"header misses or mistypes a field: {exc}") from exc
    if not isinstance(body, dict) or not isinstance(specs, list) or len(specs) > MAX_BUFFERS:
        raise MessageError("header body must be a map and buffers a short list")
    if len(specs) != len(raw) - 2:
        raise MessageError(f"header describes {len(specs)} buffers, message has {len(raw) - 2}")
    arrays = tuple(_array(spec, data) for spec, data in zip(specs, raw[2:], strict=True))
    return Envelope(bytes(raw[0]), kind, camera_id, seq, sent_at, body, arrays)


def _array(spec: Any, data: bytes | memoryview) -> npt.NDArray[Any]:
    try:
        dtype, shape = np.dtype(spec[0]), tuple(int(d) for d in spec[1])
        if dtype.hasobject:
            raise MessageError("object arrays are not allowed on the wire")
        return np.frombuffer(data, dtype=dtype).reshape(shape)
    except MessageError:
        raise
    except (TypeError, ValueError, IndexError) as exc:
        raise MessageError(f"buffer {spec!r} does not fit its {len(data)} bytes: {exc}") from exc
