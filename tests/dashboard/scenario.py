"""One small store day with known answers, shared by the API tests and the end-to-end test.

T0 = 2024-06-03 16:00:00 UTC. Two shelves, one camera each:

* shelf-A (zone za, cam1, online from 15:59 on), hour 16:
  cam1-1 enters at +100 and dwells 30 s; touches; picks up (p1) and puts it back (reverses p1).
  cam1-2 enters at +200 and dwells 10 s; picks up p2 and keeps it (a take).
  cam1-3 is confirmed at +300 but leaves under the minimum dwell (a pass-by: dwell_started, no dwell).
  cam1-4 enters at +400 and dwells 60 s.
* shelf-B (zone zb, cam2: online 15:59, offline 16:30, online again 18:00):
  hour 16: cam2-1 enters at +600, dwells 20 s, touches twice; cam2-4 passes by at +700;
  cam2-2 enters at +1000 and dwells 45 s. Hour 17: camera down (a gap). Hour 18: cam2-3 enters at +7300,
  dwells 5 s, picks up p3 and puts it back.

The events are split into the batches an edge box would send; `BATCH_B` also carries one event twice.
"""

from __future__ import annotations

import msgpack  # type: ignore[import-untyped]

from shelfsight.vision.events.codec import to_dict, to_msgpack
from shelfsight.vision.events.contract import AnyEvent
from tests.dashboard import builders as b

T0 = 1_717_430_400.0
HOUR = 3600.0

_p1 = b.pickup(shopper="cam1-1", shelf="shelf-A", start=T0 + 110)
_p2 = b.pickup(shopper="cam1-2", shelf="shelf-A", start=T0 + 205)
_p3 = b.pickup(shopper="cam2-3", shelf="shelf-B", start=T0 + 7301, camera="cam2")

BATCH_A: list[AnyEvent] = [
    b.camera_status(camera="cam1", ts=T0 - 60, status="online"),
    b.dwell_started(shopper="cam1-1", zone="za", shelf="shelf-A", start=T0 + 100),
    b.touch(shopper="cam1-1", zone="za", shelf="shelf-A", start=T0 + 105),
    _p1,
    b.putback(shopper="cam1-1", shelf="shelf-A", start=T0 + 120, reverses=_p1.event_id),
    b.dwell(shopper="cam1-1", zone="za", shelf="shelf-A", start=T0 + 100, seconds=30.0),
    b.dwell_started(shopper="cam1-2", zone="za", shelf="shelf-A", start=T0 + 200),
    _p2,
    b.dwell(shopper="cam1-2", zone="za", shelf="shelf-A", start=T0 + 200, seconds=10.0),
    b.dwell_started(shopper="cam1-3", zone="za", shelf="shelf-A", start=T0 + 300),
    b.dwell_started(shopper="cam1-4", zone="za", shelf="shelf-A", start=T0 + 400),
    b.dwell(shopper="cam1-4", zone="za", shelf="shelf-A", start=T0 + 400, seconds=60.0),
]
BATCH_B: list[AnyEvent] = [
    b.camera_status(camera="cam2", ts=T0 - 60, status="online"),
    b.dwell_started(shopper="cam2-1", zone="zb", shelf="shelf-B", start=T0 + 600, camera="cam2"),
    b.touch(shopper="cam2-1", zone="zb", shelf="shelf-B", start=T0 + 605, camera="cam2"),
    b.touch(shopper="cam2-1", zone="zb", shelf="shelf-B", start=T0 + 610, camera="cam2"),
    b.dwell(shopper="cam2-1", zone="zb", shelf="shelf-B", start=T0 + 600, seconds=20.0, camera="cam2"),
    b.dwell_started(shopper="cam2-4", zone="zb", shelf="shelf-B", start=T0 + 700, camera="cam2"),
    b.dwell_started(shopper="cam2-2", zone="zb", shelf="shelf-B", start=T0 + 1000, camera="cam2"),
    b.dwell(shopper="cam2-2", zone="zb", shelf="shelf-B", start=T0 + 1000, seconds=45.0, camera="cam2"),
]
BATCH_C: list[AnyEvent] = [
    b.camera_status(camera="cam2", ts=T0 + 1800, status="offline", fps=0.0, reason="no frame for 20 s"),
    b.camera_status(camera="cam2", ts=T0 + 2 * HOUR, status="online"),
    b.dwell_started(shopper="cam2-3", zone="zb", shelf="shelf-B", start=T0 + 7300, camera="cam2"),
    _p3,
    b.putback(shopper="cam2-3", shelf="shelf-B", start=T0 + 7303, reverses=_p3.event_id, camera="cam2"),
    b.dwell(shopper="cam2-3", zone="zb", shelf="shelf-B", start=T0 + 7300, seconds=5.0, camera="cam2"),
]
ALL_EVENTS: list[AnyEvent] = BATCH_A + BATCH_B + BATCH_C
"""Every valid event once (26 events)."""


def malformed_event() -> bytes:
    """A well-formed msgpack map that breaks the contract (dwell_s disagrees with its interval)."""
    data = to_dict(BATCH_B[4])
    data["dwell_s"] = 99.0
    return bytes(msgpack.packb(data, use_bin_type=True))


def foreign_store_event() -> bytes:
    """A valid event that claims another store than the batch carrying it."""
    return to_msgpack(b.dwell(shopper="x-1", zone="zb", shelf="shelf-B", start=T0 + 900, seconds=4.0, store="store-2"))


HAND_COUNT_HOUR16 = {
    # shelf-A, 16:00-17:00: 4 confirmed entries, 3 dwells (30, 10, 60 s -> histogram buckets [27,40), [8,12),
    # [60,90): p50 = 27 + 13 * 0.5 = 33.5, p90 = 60 + 30 * 0.7 = 81), 1 touch, pickups p1 (put back) and p2 (a take).
    "shelf-A": {
        "visits": 3, "passbys": 1, "passers_by": 4, "engagement_rate": 0.75, "dwell_mean_s": 100 / 3,
        "dwell_p50_s": 33.5, "dwell_p90_s": 81.0, "touches": 1, "pickups": 2, "putbacks": 1, "takes": 1,
        "put_back_rate": 0.5,
    },
    # shelf-B: 3 entries, 2 dwells (20, 45 s -> [18,27), [40,60): p50 = 18 + 9 * 1 = 27, p90 = 40 + 20 * 0.8 = 56),
    # 2 touches, nothing picked up.
    "shelf-B": {
        "visits": 2, "passbys": 1, "passers_by": 3, "engagement_rate": 2 / 3, "dwell_mean_s": 32.5,
        "dwell_p50_s": 27.0, "dwell_p90_s": 56.0, "touches": 2, "pickups": 0, "putbacks": 0, "takes": 0,
        "put_back_rate": None,
    },
}  # fmt: skip
"""Figures of each shelf for 16:00-17:00, counted by hand from the story above."""
HAND_COVERAGE_HOUR16 = {"shelf-A": 1.0, "shelf-B": 0.5}
"""cam1 up all hour; cam2 offline from 16:30."""
