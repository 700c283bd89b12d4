"""``camera_status`` events: when a camera's stream starts, stops or degrades, so every rollup knows its coverage."""

from __future__ import annotations

from shelfsight.vision.events.contract import CameraStatusEvent
from shelfsight.vision.events.ids import event_id_for

MAX_REASON_CHARS = 200
"""The contract's limit; a longer cause (an error naming a long stream address) is shortened, not refused."""


def camera_status_event(
    *, store_id: str, camera_id: str, status: str, reason: str, ts: float, fps: float | None = None
) -> CameraStatusEvent:
    """A status event with a stable id (same camera, status and time -> same id).

    Args:
        store_id: The store.
        camera_id: The camera.
        status: ``online``, ``offline`` or ``degraded``.
        reason: Short cause, e.g. "stream opened" or "end of file"; cut to `MAX_REASON_CHARS`.
        ts: When the status began, UTC epoch seconds.
        fps: Frames per second being processed, when known.
    """
    return CameraStatusEvent.model_validate(
        {
            "event_id": event_id_for(
                store_id=store_id, camera_id=camera_id, type="camera_status", shopper_id="", ts_start=ts, extra=status
            ),
            "store_id": store_id,
            "camera_id": camera_id,
            "ts": ts,
            "confidence": 1.0,
            "status": status,
            "reason": reason if len(reason) <= MAX_REASON_CHARS else reason[: MAX_REASON_CHARS - 3] + "...",
            "fps": fps,
        }
    )
