"""All event logic of one camera behind one call: tracks (and the frame) in, ordered v1 events out.

The offline runner and the edge runtime both drive a ``CameraEventEngine`` per camera, so the same input
gives the same events (and event ids) in either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.events.contract import AnyEvent
from shelfsight.vision.events.dwell import DwellTracker, FloorZone
from shelfsight.vision.events.feet import FeetSettings, FeetVisibility
from shelfsight.vision.events.reach import ReachSettings
from shelfsight.vision.events.registration import (
    NO_SHIFT,
    CameraRegistration,
    CameraShift,
    RegistrationSettings,
    to_reference,
)
from shelfsight.vision.events.shelf_events import ShelfEventMachine, ShelfEventSettings
from shelfsight.vision.events.shelf_state import ShelfStateSettings
from shelfsight.vision.events.wrists import HandSettings
from shelfsight.vision.zones import Zone

FLOOR_KINDS = frozenset({"standing", "aisle", "entrance", "checkout"})


@dataclass(frozen=True)
class CameraZones:
    """A camera's zones in frame pixels, split by role."""

    floor: tuple[FloorZone, ...]
    shelves: tuple[Zone, ...]


@dataclass(frozen=True)
class EngineSettings:
    """Every tuning of one camera's shelf event logic; all default to the built-in values.

    The edge config's ``shelf_events:`` section has one sub-section per attribute, of the same name
    (`shelfsight.pipeline.assembly.engine_settings` builds this from it).

    Attributes:
        reach: When a hand in a shelf zone is a reach (`shelfsight.vision.events.reach`).
        hands: When a pose says an arm is reaching (`shelfsight.vision.events.wrists`).
        shelf_state: How each shelf's picture is kept and compared (`shelfsight.vision.events.shelf_state`).
        spots: When a reach's spot is judged, how pick-ups and put-backs are linked
            (`shelfsight.vision.events.shelf_events`).
        registration: How each frame's shift against the first is measured (`shelfsight.vision.events.registration`).
        feet: When a box's feet are hidden (`shelfsight.vision.events.feet`).
    """

    reach: ReachSettings = field(default_factory=ReachSettings)
    hands: HandSettings = field(default_factory=HandSettings)
    shelf_state: ShelfStateSettings = field(default_factory=ShelfStateSettings)
    spots: ShelfEventSettings = field(default_factory=ShelfEventSettings)
    registration: RegistrationSettings = field(default_factory=RegistrationSettings)
    feet: FeetSettings = field(default_factory=FeetSettings)


class CameraEventEngine:
    """Zones, dwell lifecycle (and shelf events) of one camera.

    Call ``update`` once per processed frame in capture order with that frame's tracks, and ``flush`` at the
    end of a stream. Events come out ordered by ``ts``. With the frame, each frame is first registered against
    the first one (`shelfsight.vision.events.registration`): tracks, keypoints and shelf pixels are compared in the
    coordinates the zones were drawn in, however the camera shakes or drifts.

    Args:
        store_id: Written into every event.
        camera_id: Written into every event; shopper ids are ``{camera_id}-{track id}``.
        zones: The camera's zones in pixels (``shelfsight.pipeline.assembly.build_zones`` makes them from the config).
        settings: Tuning of the shelf event logic (``shelfsight.pipeline.assembly.engine_settings`` reads it from the
            config); None for the built-in values.
    """

    def __init__(
        self, *, store_id: str, camera_id: str, zones: CameraZones, settings: EngineSettings | None = None
    ) -> None:
        self.store_id = store_id
        self.camera_id = camera_id
        self.zones = zones
        self.settings = tuning = settings or EngineSettings()
        self.dwell = DwellTracker(store_id=store_id, camera_id=camera_id, zones=zones.floor)
        standing = {f.zone.shelf_id: f.zone for f in zones.floor if f.zone.shelf_id is not None}
        self.shelf = ShelfEventMachine(
            store_id=store_id,
            camera_id=camera_id,
            shelves=zones.shelves,
            standing_zones=standing,
            settings=tuning.spots,
            reach_settings=tuning.reach,
            state_settings=tuning.shelf_state,
            hand_settings=tuning.hands,
        )
        self.registration: CameraRegistration | None = None
        if zones.shelves:
            bounds = np.array([zone.bounds for zone in zones.shelves], np.float32)
            low, high = bounds[:, :2].min(axis=0), bounds[:, 2:].max(axis=0)
            region = (float(low[0]), float(low[1]), float(high[0]), float(high[1]))
            self.registration = CameraRegistration(zones.shelves[0].frame_size, region, tuning.registration)
        self.shift: CameraShift = NO_SHIFT
        self.feet = FeetVisibility(tuning.feet)
        self._last_t = 0.0

    @property
    def drift_px(self) -> float:
        """How far the camera has moved since the first frame, pixels (the last frame's measured shift)."""
        return self.shift.magnitude_px

    def update(self, tracks: FrameDetections, image: npt.NDArray[np.uint8] | None = None) -> list[AnyEvent]:
        """Events due after this frame (``tracks.captured_at`` is the frame time, UTC epoch seconds).

        Without ``image`` only zone events are produced (shelf events need the shelf's pixels), and tracks are
        taken as they come (no registration).
        """
        t = self._last_t = tracks.captured_at
        if image is not None and self.registration is not None:
            self.shift = self.registration.update(image, tracks.xyxy)
            tracks = to_reference(tracks, self.shift)
        feet_hidden = self.feet.update(tracks, t, None if image is None else image.shape[0] - self.shift.dy)
        events: list[AnyEvent] = list(self.dwell.update(tracks, t, feet_hidden.tolist()))
        if image is not None and self.zones.shelves:
            events.extend(self.shelf.update(image, tracks, t, self.shift, feet_hidden=feet_hidden))
        return _ordered(events)

    def flush(self) -> list[AnyEvent]:
        """Close what is still open at the end of a stream."""
        return _ordered([*self.dwell.flush(), *self.shelf.flush(self._last_t)])


def _ordered(events: Sequence[AnyEvent]) -> list[AnyEvent]:
    return sorted(events, key=lambda event: (event.ts, event.type, str(event.event_id)))
