"""Events: the v1 contract, and (later) the pure state machines that produce them from tracks.

Nothing here imports zmq, cv2 or FastAPI, so the dashboard can depend on the contract alone.

The contract lives in `shelfsight.vision.events.contract` (models), `shelfsight.vision.events.codec` (JSON / msgpack)
and `shelfsight.vision.events.ids` (stable ids); its most used names are re-exported here. See docs/events.md.
"""

from shelfsight.vision.events.codec import (
    EventDecodeError,
    from_dict,
    from_json,
    from_msgpack,
    to_dict,
    to_json,
    to_msgpack,
)
from shelfsight.vision.events.contract import (
    EVENT_TYPES,
    SCHEMA_VERSION,
    CameraStatusEvent,
    DwellEvent,
    DwellStartedEvent,
    Event,
    EventBase,
    PassByEvent,
    PickupEvent,
    PutbackEvent,
    ShelfSpot,
    TouchEvent,
)
from shelfsight.vision.events.ids import event_id_for, shopper_id_for

__all__ = [
    "EVENT_TYPES",
    "SCHEMA_VERSION",
    "CameraStatusEvent",
    "DwellEvent",
    "DwellStartedEvent",
    "Event",
    "EventBase",
    "EventDecodeError",
    "PassByEvent",
    "PickupEvent",
    "PutbackEvent",
    "ShelfSpot",
    "TouchEvent",
    "event_id_for",
    "from_dict",
    "from_json",
    "from_msgpack",
    "shopper_id_for",
    "to_dict",
    "to_json",
    "to_msgpack",
]
