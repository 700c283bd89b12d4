"""When the supervisor decides that a stage which still runs is stuck, and restarts it.

Every stage sends a heartbeat about once a second from its loop. A stage whose beats stop while its process
still runs (a hung camera driver, a deadlocked library, a detector call that never returns) is stopped and
started again, as a stage that died is. Starting is not watched as closely: loading a model (a TensorRT
engine build can take minutes) happens before the first beat, so the first beat has its own, longer, time.
"""

from __future__ import annotations

import logging
from typing import Annotated, Self

from pydantic import Field, Strict, model_validator

from shelfsight.edge_config.base import ShelfsightModel, rule_error

logger = logging.getLogger(__name__)

MIN_STUCK_AFTER_S = 10.0
"""Stages beat about once a second, but a step may take a few seconds (the publisher waits up to 5 s for an
ack, a detector batch on a busy CPU): missing those beats is not a hang."""
MAX_WATCH_S = 24 * 3600.0


class WatchdogConfig(ShelfsightModel):
    """How long a running stage may go without a heartbeat before the supervisor restarts it."""

    stuck_after_s: Annotated[float, Strict()] = Field(
        default=120.0,
        ge=MIN_STUCK_AFTER_S,
        le=MAX_WATCH_S,
        title="Stuck after",
        description="Seconds without a heartbeat, once a stage has sent its first, after which the stage counts "
        "as stuck and is restarted (stages beat about once a second).",
    )
    first_beat_within_s: Annotated[float, Strict()] = Field(
        default=900.0,
        ge=MIN_STUCK_AFTER_S,
        le=MAX_WATCH_S,
        title="First beat within",
        description="Seconds a stage may take from its start to its first heartbeat (loading and warming up its "
        "models) before it counts as stuck; at least stuck_after_s.",
    )

    @model_validator(mode="after")
    def check_start_not_shorter(self) -> Self:
        """A start (model loading, warm-up) always takes at least as long as a step: a shorter start time would
        restart a detector that is warming up."""
        if self.first_beat_within_s < self.stuck_after_s:
            raise rule_error(
                f"first_beat_within_s {self.first_beat_within_s:g} is shorter than stuck_after_s "
                f"{self.stuck_after_s:g}",
                fix=f"set first_beat_within_s to at least {self.stuck_after_s:g}",
                at=("first_beat_within_s",),
            )
        return self
