"""The one topic builder: ``shelfsight/{store}/{camera}/{stream}``, so SUB prefix filtering does routing."""

from __future__ import annotations

from enum import StrEnum

TOPIC_ROOT = "shelfsight"


class Stream(StrEnum):
    """What a message carries."""

    FRAMES = "frames"
    DETECTIONS = "detections"
    EVENTS = "events"
    ACKS = "acks"
    HEARTBEAT = "heartbeat"


def topic(store_id: str, camera_id: str, stream: Stream) -> bytes:
    """The topic bytes of one store's camera stream; ``camera_id`` may be ``*`` for store-wide streams."""
    for name, value in (("store_id", store_id), ("camera_id", camera_id)):
        if not value or "/" in value:
            raise ValueError(f"{name} must be non-empty and contain no '/', got {value!r}")
    return f"{TOPIC_ROOT}/{store_id}/{camera_id}/{stream.value}".encode()


def parse_topic(raw: bytes) -> tuple[str, str, Stream]:
    """(store_id, camera_id, stream) of a topic; ``ValueError`` for anything else."""
    parts = raw.decode("utf-8", errors="strict").split("/")
    if len(parts) != 4 or parts[0] != TOPIC_ROOT:
        raise ValueError(f"not a shelfsight topic: {raw[:80]!r}")
    return parts[1], parts[2], Stream(parts[3])
