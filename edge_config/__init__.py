"""The YAML config of one edge box, validated into frozen, typed objects.

Load a file with `load_config` (raises `ConfigError` listing every problem) or check one with
`check_config` (returns the problems, including missing model files). The sections live one per module:
`camera`, `zone`, `detector`, `tracker`, `events` (dwell rules and zone anchors), `shelf_events` (thresholds of
the shelf event logic), `transport` (aggregator and spool), `privacy` and `store` (the root, `EdgeConfig`).
"""

from shelfsight.edge_config.base import merge_overrides
from shelfsight.edge_config.camera import DEFAULT_MODEL, CameraConfig, SourceKind, source_kind_of
from shelfsight.edge_config.checks import absolute_model_ref
from shelfsight.edge_config.detector import DetectorConfig
from shelfsight.edge_config.events import DwellRules, ZoneAnchor, merge_dwell_rules
from shelfsight.edge_config.loader import check_config, load_config, load_config_text
from shelfsight.edge_config.privacy import PrivacyConfig
from shelfsight.edge_config.problems import ConfigError, ConfigProblem
from shelfsight.edge_config.shelf_events import ShelfEventsConfig
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.edge_config.tracker import RelinkConfig, TrackerConfig
from shelfsight.edge_config.transport import AggregatorConfig, SpoolConfig
from shelfsight.edge_config.zone import ZoneConfig, ZoneKind

__all__ = [
    "DEFAULT_MODEL",
    "AggregatorConfig",
    "CameraConfig",
    "ConfigError",
    "ConfigProblem",
    "DetectorConfig",
    "DwellRules",
    "EdgeConfig",
    "PrivacyConfig",
    "RelinkConfig",
    "ShelfEventsConfig",
    "SourceKind",
    "SpoolConfig",
    "TrackerConfig",
    "ZoneAnchor",
    "ZoneConfig",
    "ZoneKind",
    "absolute_model_ref",
    "check_config",
    "load_config",
    "load_config_text",
    "merge_dwell_rules",
    "merge_overrides",
    "source_kind_of",
]
