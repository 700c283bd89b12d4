"""Stable event ids and anonymous shopper ids.

Delivery from the edge box to the aggregator is at-least-once (spooled and resent until acknowledged),
and the same footage may be processed by the offline runner and by the edge runtime. Both must produce
the same ``event_id`` for the same event so consumers can deduplicate on it. The id is therefore a name-
based UUID (version 5) computed from what identifies the event, never a random one.
"""

import json
import math
import operator
from typing import Final
from uuid import UUID, uuid5

from shelfsight.vision.events.contract import EVENT_TYPES

EVENT_ID_NAMESPACE: Final = UUID("59e2703a-11fa-4437-8326-3f27a98fcc90")
"""The project's uuid5 namespace for event ids. Changing it changes every id: never do that within v1."""

_CANONICAL_PREFIX: Final = "shelfsight-event-v1"
"""Leads every canonical string, so a future id scheme can never collide with this one."""


def canonical_timestamp(ts: float) -> str:
    """Render a timestamp as fixed-point text rounded to the microsecond.

    Rounding makes the id insensitive to float noise below the contract's time resolution (1 µs), e.g.
    the same frame time computed by two code paths that differ in the last bits.

    Args:
        ts: UTC Unix epoch seconds; must be finite.

    Returns:
        The timestamp with exactly six decimals, e.g. ``"1717430400.250000"``; negative zero renders as
        ``"0.000000"``.

    Raises:
        ValueError: If ``ts`` is NaN or infinite.
    """
    if not math.isfinite(ts):
        raise ValueError(f"ts_start: expected a finite number of seconds, got {ts!r}")
    text = f"{ts:.6f}"
    # -0.0 and tiny negatives both round to "-0.000000"; they are the same instant as 0.
    return "0.000000" if text == "-0.000000" else text


def event_id_for(
    *, store_id: str, camera_id: str, type: str, shopper_id: str, ts_start: float, extra: str = ""
) -> UUID:
    """Derive the stable ``event_id`` of an event from what identifies it.

    The canonical string is a JSON array (so no separator character inside an id can make two inputs
    collide) of a version prefix, the arguments in signature order, and ``ts_start`` rendered by
    `canonical_timestamp`. Recommended inputs per type (``extra`` separates events that share the rest):

    * dwell / dwell_started: ``ts_start`` = entry time, ``extra`` = zone_id.
    * touch / pickup / putback: ``ts_start`` = reach start, ``extra`` = shelf_id, plus "/" and the
      spot_id when there is one.
    * camera_status: ``shopper_id`` = "", ``ts_start`` = ts, ``extra`` = status.

    Args:
        store_id: Store id.
        camera_id: Camera id.
        type: Event type, one of `shelfsight.vision.events.contract.EVENT_TYPES`.
        shopper_id: Anonymous shopper id, or "" for events about no shopper.
        ts_start: Start of the event (or ``ts`` for instantaneous events), UTC Unix epoch seconds.
        extra: Anything else needed to tell two events apart; "" when nothing is.

    Returns:
        A version-5 UUID in `EVENT_ID_NAMESPACE`.

    Raises:
        ValueError: If ``type`` is not a v1 event type or ``ts_start`` is not finite.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"type: expected one of {', '.join(EVENT_TYPES)}, got {type!r}")
    parts = [_CANONICAL_PREFIX, store_id, camera_id, type, shopper_id, canonical_timestamp(ts_start), extra]
    name = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return uuid5(EVENT_ID_NAMESPACE, name)


def shopper_id_for(*, camera_id: str, track_id: int) -> str:
    """Render the anonymous shopper id of a track: ``"{camera_id}-{track_id}"``.

    The id says which tracker saw the shopper and nothing about who they are: it is never derived from
    a face or any biometric, and the same person on another camera gets another id. Trackers never
    reuse an id within a camera, so the id is unique per camera for the life of the tracker.

    Args:
        camera_id: Camera whose tracker owns the track.
        track_id: Tracker id, a non-negative integer (numpy integers are accepted).

    Returns:
        The shopper id, e.g. ``"cam1-42"``.

    Raises:
        ValueError: If ``track_id`` is negative or not an int.
    """
    try:
        # operator.index accepts numpy integers (trackers keep ids in int64 arrays) but not floats.
        value = operator.index(track_id)
    except TypeError as exc:
        raise ValueError(f"track_id: expected a non-negative int, got {track_id!r}") from exc
    if isinstance(track_id, bool) or value < 0:
        raise ValueError(f"track_id: expected a non-negative int, got {track_id!r}")
    return f"{camera_id}-{value}"
