"""Logging for every shelfsight process: one key=value line per record, the camera named where there is one.

Modules log through ``logging.getLogger(__name__)``; only entry points call ``configure_logging``.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

LOG_FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"


def configure_logging(level: str = "WARNING") -> None:
    """Send records to stderr as ``time level=... logger=... message`` lines (messages carry key=value)."""
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT, force=True)


class CameraLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger whose every line starts with ``camera=<id>``, so one camera's story can be grepped."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        return f"camera={self.extra['camera_id'] if self.extra else '?'} {msg}", kwargs


def camera_logger(logger: logging.Logger, camera_id: str) -> CameraLogger:
    """Wrap ``logger`` so its lines name ``camera_id``."""
    return CameraLogger(logger, {"camera_id": camera_id})
