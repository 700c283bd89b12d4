"""Event builders for dashboard tests: valid v1 events with stable ids, by keyword only."""

from __future__ import annotations

from uuid import UUID

from shelfsight.vision.events.contract import (
    CameraStatusEvent,
    DwellEvent,
    DwellStartedEvent,
    PassByEvent,
    PickupEvent,
    PutbackEvent,
    ShelfSpot,
    TouchEvent,
)
from shelfsight.vision.events.ids import event_id_for

STORE = "store-1"
SPOT = ShelfSpot(spot_id="s1", box=(0.1, 0.2, 0.3, 0.4))


def dwell_started(*, shopper: str, zone: str, shelf: str | None, start: float, camera: str = "cam1",
                  store: str = STORE, debounce_s: float = 2.0) -> DwellStartedEvent:  # fmt: skip
    eid = event_id_for(store_id=store, camera_id=camera, type="dwell_started", shopper_id=shopper, ts_start=start,
                       extra=zone)  # fmt: skip
    return DwellStartedEvent(event_id=eid, store_id=store, camera_id=camera, ts=start + debounce_s, confidence=0.9,
                             shopper_id=shopper, zone_id=zone, shelf_id=shelf, ts_start=start)  # fmt: skip


def dwell(*, shopper: str, zone: str, shelf: str | None, start: float, seconds: float, camera: str = "cam1",
          store: str = STORE) -> DwellEvent:  # fmt: skip
    eid = event_id_for(store_id=store, camera_id=camera, type="dwell", shopper_id=shopper, ts_start=start, extra=zone)
    return DwellEvent(event_id=eid, store_id=store, camera_id=camera, ts=start + seconds, confidence=0.9,
                      shopper_id=shopper, ts_start=start, ts_end=start + seconds, zone_id=zone, shelf_id=shelf,
                      dwell_s=seconds)  # fmt: skip


def pass_by(*, shopper: str, zone: str, shelf: str | None, start: float, seconds: float, confirmed: bool = True,
            camera: str = "cam1", store: str = STORE) -> PassByEvent:  # fmt: skip
    eid = event_id_for(store_id=store, camera_id=camera, type="pass_by", shopper_id=shopper, ts_start=start, extra=zone)
    return PassByEvent(event_id=eid, store_id=store, camera_id=camera, ts=start + seconds, confidence=1.0,
                       shopper_id=shopper, ts_start=start, ts_end=start + seconds, zone_id=zone, shelf_id=shelf,
                       dwell_s=seconds, confirmed=confirmed)  # fmt: skip


def touch(*, shopper: str, zone: str, shelf: str, start: float, camera: str = "cam1", store: str = STORE) -> TouchEvent:
    eid = event_id_for(store_id=store, camera_id=camera, type="touch", shopper_id=shopper, ts_start=start, extra=shelf)
    return TouchEvent(event_id=eid, store_id=store, camera_id=camera, ts=start + 1.0, confidence=0.8,
                      shopper_id=shopper, ts_start=start, ts_end=start + 1.0, shelf_id=shelf, zone_id=zone)  # fmt: skip


def pickup(*, shopper: str, shelf: str, start: float, camera: str = "cam1", store: str = STORE) -> PickupEvent:
    eid = event_id_for(store_id=store, camera_id=camera, type="pickup", shopper_id=shopper, ts_start=start,
                       extra=f"{shelf}/{SPOT.spot_id}")  # fmt: skip
    return PickupEvent(event_id=eid, store_id=store, camera_id=camera, ts=start + 1.0, confidence=0.8,
                       shopper_id=shopper, ts_start=start, ts_end=start + 1.0, shelf_id=shelf, spot=SPOT)  # fmt: skip


def putback(*, shopper: str, shelf: str, start: float, reverses: UUID | None, camera: str = "cam1",
            store: str = STORE) -> PutbackEvent:  # fmt: skip
    eid = event_id_for(store_id=store, camera_id=camera, type="putback", shopper_id=shopper, ts_start=start,
                       extra=f"{shelf}/{SPOT.spot_id}")  # fmt: skip
    return PutbackEvent(event_id=eid, store_id=store, camera_id=camera, ts=start + 1.0, confidence=0.8,
                        shopper_id=shopper, ts_start=start, ts_end=start + 1.0, shelf_id=shelf, spot=SPOT,
                        pickup_event_id=reverses, misplaced=False)  # fmt: skip


def camera_status(*, camera: str, ts: float, status: str, fps: float | None = 5.0, store: str = STORE,
                  reason: str = "") -> CameraStatusEvent:  # fmt: skip
    eid = event_id_for(store_id=store, camera_id=camera, type="camera_status", shopper_id="", ts_start=ts, extra=status)
    return CameraStatusEvent(event_id=eid, store_id=store, camera_id=camera, ts=ts, confidence=1.0,
                             status=status, reason=reason, fps=fps)  # type: ignore[arg-type]  # fmt: skip
