"""The demo store's events, replayed: what the aggregator has received after some minutes of `make demo`.

``tests/data/demo_replay/<camera>.events.jsonl`` are the events `shelfsight run-offline` wrote for each camera of
``edge_config/demo.yaml`` (its synthetic scenarios, the real detector, tracker and event engine), made with::

    shelfsight run-offline --camera aisle-cam --out runs/replay/aisle-cam --start-time 1767610440
    shelfsight run-offline --camera endcap-cam --out runs/replay/endcap-cam --start-time 1767610440

The demo's live source loops each scenario, so `replay` lays the recording end to end from a start time, as many
times as the minutes need, and keeps only what the edge had sent by then (``ts`` up to the end): a visit whose
end falls later is still open. Each loop's times move by whole loops; its ids are derived again from the moved
inputs with `event_id_for` (as the edge derives them), and its shoppers get new ids (a tracker never reuses one),
so no loop is a resend of another.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

from shelfsight.vision.events.codec import from_json, to_dict
from shelfsight.vision.events.contract import EVENT_MODELS, AnyEvent, CameraStatusEvent
from shelfsight.vision.events.ids import event_id_for

DATA = Path(__file__).resolve().parents[1] / "data" / "demo_replay"
RECORDED_START = 1_767_610_440.0
"""The ``--start-time`` the recordings were made with (UTC epoch seconds)."""
CAMERAS = ("aisle-cam", "endcap-cam")
END_OF_FILE = "end of file"
"""The reason of the offline status a recording ends with; a looping live source never sends it, nor the online
status again at each loop, so a replay keeps only the first loop's opening status."""


def recording(camera: str) -> list[AnyEvent]:
    """One camera's recorded events, in time order."""
    lines = (DATA / f"{camera}.events.jsonl").read_text(encoding="utf-8").splitlines()
    return [from_json(line) for line in lines if line.strip()]


def _extra(event: AnyEvent) -> str:
    """The ``extra`` id input of each type (docs/events.md, "Ids and idempotency")."""
    fields = event.__dict__
    if event.type == "camera_status":
        return str(fields["status"])
    if event.type in ("dwell", "dwell_started", "pass_by"):
        return str(fields["zone_id"])
    spot = fields.get("spot")
    return str(fields["shelf_id"]) + (f"/{spot.spot_id}" if spot is not None else "")


def _moved(event: AnyEvent, shift_s: float, loop: int, ids: dict[UUID, UUID]) -> AnyEvent:
    data: dict[str, Any] = to_dict(event)
    for key in ("ts", "ts_start", "ts_end"):
        if data.get(key) is not None:
            data[key] += shift_s
    if loop and data.get("shopper_id"):
        data["shopper_id"] = f"{data['shopper_id']}.{loop}"
    moved = EVENT_MODELS[event.type].model_validate({**data, "event_id": event.event_id})
    new_id = event_id_for(store_id=moved.store_id, camera_id=moved.camera_id, type=moved.type,
                          shopper_id=data.get("shopper_id") or "", ts_start=data.get("ts_start", data["ts"]),
                          extra=_extra(moved))  # fmt: skip
    ids[event.event_id] = new_id
    if data.get("pickup_event_id") is not None:
        data["pickup_event_id"] = ids.get(UUID(str(data["pickup_event_id"])), data["pickup_event_id"])
    return EVENT_MODELS[event.type].model_validate({**data, "event_id": new_id})


def replay(*, start: float, minutes: float) -> list[AnyEvent]:
    """Every camera's events from ``start`` (epoch s) on, looped, as received ``minutes`` later."""
    end = start + minutes * 60
    out: list[AnyEvent] = []
    for camera in CAMERAS:
        events = recording(camera)
        length = max(e.ts for e in events) - RECORDED_START
        ids: dict[UUID, UUID] = {}
        loop = 0
        while start + loop * length < end:
            shift = start - RECORDED_START + loop * length
            kept = [e for e in events if not (isinstance(e, CameraStatusEvent) and (loop or e.reason == END_OF_FILE))]
            out.extend(m for e in kept if (m := _moved(e, shift, loop, ids)).ts <= end)
            loop += 1
    return sorted(out, key=lambda e: (e.ts, str(e.event_id)))
