"""The root of an edge box's config: the store, its cameras and the box-wide sections."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from shelfsight.edge_config.base import Identifier, ShelfsightModel, is_time_zone, merge_overrides, rule_error
from shelfsight.edge_config.camera import CameraConfig
from shelfsight.edge_config.crossref import crossref_error, duplicate_camera_ids, duplicate_zone_ids, ref_from_camera
from shelfsight.edge_config.events import DwellRules, merge_dwell_rules
from shelfsight.edge_config.privacy import PrivacyConfig
from shelfsight.edge_config.shelf_events import ShelfEventsConfig
from shelfsight.edge_config.tracker import TrackerConfig
from shelfsight.edge_config.transport import AggregatorConfig, SpoolConfig
from shelfsight.edge_config.watchdog import WatchdogConfig
from shelfsight.edge_config.zone import ZoneConfig

logger = logging.getLogger(__name__)


class EdgeConfig(ShelfsightModel):
    """Everything one edge box needs to run its pipeline, loaded from one YAML file.

    Load it with `edge_config.load_config` (which reports every mistake with its line) rather than by
    calling ``model_validate`` yourself.
    """

    version: Literal[1] = Field(
        default=1,
        title="Config format version",
        description="Format version of this file; 1 is the only one so far.",
    )
    store_id: Identifier = Field(title="Store id", description="The store this box is in; appears in every event.")
    timezone: str = Field(
        default="UTC",
        title="Store time zone",
        description=(
            "IANA time zone of the store (e.g. Europe/Paris): the dashboard shows this store's times and hour "
            "axes in it. Events stay in UTC epoch seconds."
        ),
        min_length=1,
    )
    cameras: list[CameraConfig] = Field(
        min_length=1,
        title="Cameras",
        description="The cameras this box processes; camera ids unique, zone ids unique across all cameras.",
    )
    dwell: DwellRules = Field(
        default_factory=DwellRules,
        title="Dwell rules",
        description="Store-wide dwell rules; a zone's own `dwell:` overrides the keys it sets.",
    )
    tracker: TrackerConfig = Field(
        default_factory=TrackerConfig,
        title="Tracker settings",
        description="Store-wide tracker settings; a camera's own `tracker:` overrides the keys it sets.",
    )
    shelf_events: ShelfEventsConfig = Field(
        default_factory=ShelfEventsConfig,
        title="Shelf event settings",
        description=(
            "Store-wide thresholds of reaches, hands, the shelf's picture, spot checks, registration and hidden "
            "feet; a camera's own `shelf_events:` overrides the keys it sets."
        ),
    )
    aggregator: AggregatorConfig = Field(
        default_factory=AggregatorConfig,
        title="Aggregator",
        description="Where events are sent.",
    )
    spool: SpoolConfig = Field(
        default_factory=SpoolConfig,
        title="Spool",
        description="Disk queue for events not yet acknowledged by the aggregator.",
    )
    privacy: PrivacyConfig = Field(
        default_factory=PrivacyConfig,
        title="Privacy",
        description="Whether frames may be stored or sent; by default only event metadata leaves memory.",
    )
    watchdog: WatchdogConfig = Field(
        default_factory=WatchdogConfig,
        title="Watchdog",
        description="When the supervisor restarts a stage that still runs but has stopped sending heartbeats (hung).",
    )

    @field_validator("timezone")
    @classmethod
    def check_timezone(cls, timezone: str) -> str:
        """A name the time zone database knows: a typo would otherwise show every time an hour or more off."""
        if not is_time_zone(timezone):
            raise rule_error(
                f"unknown time zone {timezone!r}",
                fix="use an IANA name such as Europe/Paris, America/New_York or UTC (`timedatectl list-timezones`)",
            )
        return timezone

    @model_validator(mode="after")
    def check_camera_ids_unique(self) -> Self:
        """Camera ids key ZeroMQ topics, tracker id spaces and events, so two cameras cannot share one."""
        findings = duplicate_camera_ids([ref_from_camera(cam, ("cameras", i)) for i, cam in enumerate(self.cameras)])
        if findings:
            raise crossref_error(findings)
        return self

    @model_validator(mode="after")
    def check_zone_ids_unique(self) -> Self:
        """Zone ids are unique store-wide: the dashboard aggregates per zone across cameras."""
        findings = duplicate_zone_ids([ref_from_camera(cam, ("cameras", i)) for i, cam in enumerate(self.cameras)])
        if findings:
            raise crossref_error(findings)
        return self

    @model_validator(mode="after")
    def check_tracker_thresholds(self) -> Self:
        """Each camera's effective low-confidence threshold is at most its high one (the tracker refuses the
        rest): weak boxes are those between the two."""
        for index, camera in enumerate(self.cameras):
            tracker = merge_overrides(self.tracker, camera.tracker)
            low, high = tracker.low_confidence_threshold, tracker.high_threshold_for(camera.detector.conf_threshold)
            if low > high:
                at = _threshold_key(self.tracker, camera.tracker, index)
                raise rule_error(
                    f"camera {camera.id!r}: low_confidence_threshold {low:g} is above high_confidence_threshold "
                    f"{high:g}; weak boxes are those between the two",
                    fix=f"set low_confidence_threshold to at most {high:g}, or high_confidence_threshold to at least "
                    f"{low:g}",
                    at=at,
                )
        return self

    def iter_zones(self) -> Iterator[tuple[CameraConfig, ZoneConfig]]:
        """Every zone with the camera it is drawn on, in file order."""
        for camera in self.cameras:
            for zone in camera.zones:
                yield camera, zone

    def camera(self, camera_id: str) -> CameraConfig:
        """The camera called ``camera_id``.

        Raises:
            KeyError: Naming the unknown id and the known ones.
        """
        for camera in self.cameras:
            if camera.id == camera_id:
                return camera
        raise KeyError(f"no camera {camera_id!r}; cameras: {', '.join(c.id for c in self.cameras)}")

    def zone(self, zone_id: str) -> ZoneConfig:
        """The zone called ``zone_id``, on whichever camera.

        Raises:
            KeyError: Naming the unknown id.
        """
        for _, zone in self.iter_zones():
            if zone.id == zone_id:
                return zone
        raise KeyError(f"no zone {zone_id!r} in store {self.store_id!r}")

    def dwell_rules_for(self, zone_id: str) -> DwellRules:
        """The effective dwell rules of a zone: store-wide rules with the zone's own overrides applied.

        Read dwell rules through this, never from ``zone.dwell`` directly: that holds only the overrides
        (its unset keys carry built-in defaults, not the store's).

        Raises:
            KeyError: When no zone has that id.
        """
        return merge_dwell_rules(self.dwell, self.zone(zone_id).dwell)

    def tracker_for(self, camera_id: str) -> TrackerConfig:
        """The effective tracker settings of a camera: store-wide settings with the camera's overrides applied.

        Read tracker settings through this, never from ``camera.tracker`` directly (that holds only the
        overrides). ``high_confidence_threshold`` may still be unset: it then follows the camera's detector
        (`TrackerConfig.high_threshold_for`).

        Raises:
            KeyError: When no camera has that id.
        """
        return merge_overrides(self.tracker, self.camera(camera_id).tracker)

    def shelf_events_for(self, camera_id: str) -> ShelfEventsConfig:
        """The effective shelf event settings of a camera: store-wide settings with the camera's overrides applied,
        key by key within each sub-section.

        Read them through this, never from ``camera.shelf_events`` directly (that holds only the overrides).

        Raises:
            KeyError: When no camera has that id.
        """
        return merge_overrides(self.shelf_events, self.camera(camera_id).shelf_events)


def _threshold_key(store: TrackerConfig, camera: TrackerConfig | None, index: int) -> tuple[str | int, ...]:
    """Where to point at a low > high threshold clash: the camera's key if it set one, else the store's."""
    for owner, section in ((("cameras", index, "tracker"), camera), (("tracker",), store)):
        if section is None:
            continue
        for key in ("low_confidence_threshold", "high_confidence_threshold"):
            if key in section.model_fields_set:
                return (*owner, key)
    return ("cameras", index, "detector", "conf_threshold")
