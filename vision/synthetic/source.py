"""A synthetic scenario as a live camera: frames paced in real time, for demos and load tests.

``SyntheticSource.from_source("synthetic:one_takes_item")`` (or ``synthetic:random-7``) yields `Frame`s at the
scenario's frame rate, like a camera would: it sleeps until each frame is due and, when the consumer falls
behind by more than a frame, skips to the frame due now (a camera does not wait) and counts the skipped
ones. The clock and sleep are injectable so tests run instantly.

``captured_at`` is the scenario's start epoch plus scene time by default, so frames line up with the
scenario's true events; pass ``epoch_s=time.time()`` for wall-clock stamps in a live demo.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

from shelfsight.vision.frames import Frame
from shelfsight.vision.synthetic.library import resolve_scenario
from shelfsight.vision.synthetic.render import Renderer
from shelfsight.vision.synthetic.scenario import Scenario
from shelfsight.vision.synthetic.story import build_story

logger = logging.getLogger(__name__)


class SyntheticSource:
    """Paced frames of a synthetic scenario.

    Args:
        scenario: What to render.
        camera_id: Camera id put on the frames; default the scenario's.
        loop: Start over at the end (forever) instead of stopping; frame numbers and times keep counting.
        realtime: Pace frames at the scenario's fps; False yields them as fast as they render.
        drop_late: When more than one frame late, skip to the frame due now (as a live camera does).
        epoch_s: ``captured_at`` of frame 0; default the scenario's start epoch.
        clock: Monotonic clock, seconds (``time.monotonic``).
        sleep: Sleep function, seconds (``time.sleep``).

    Attributes:
        delivered: Frames yielded so far.
        dropped: Frames skipped because the consumer was late.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        camera_id: str | None = None,
        loop: bool = False,
        realtime: bool = True,
        drop_late: bool = True,
        epoch_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.renderer = Renderer(build_story(scenario))
        self.fps = scenario.camera.fps
        self.camera_id = camera_id or scenario.camera.camera_id
        self.loop, self.realtime, self.drop_late = loop, realtime, drop_late
        self.epoch_s = scenario.start_epoch_s if epoch_s is None else epoch_s
        self._clock, self._sleep = clock, sleep
        self.delivered = 0
        self.dropped = 0

    @classmethod
    def from_source(cls, source: str, **options: Any) -> SyntheticSource:
        """Open a camera ``source`` of the form ``synthetic:<scenario>`` (see `resolve_scenario`).

        Raises:
            ValueError: When ``source`` does not start with ``synthetic:``.
            KeyError: For an unknown library scenario.
        """
        if not source.startswith("synthetic:"):
            raise ValueError(f"a synthetic source starts with 'synthetic:', got {source!r}")
        return cls(resolve_scenario(source), **options)

    @property
    def frame_count(self) -> int:
        """Frames in one pass of the scenario."""
        return self.renderer.frame_count

    def __iter__(self) -> Iterator[Frame]:
        start = self._clock()
        period = 1.0 / self.fps
        seq = 0
        while self.loop or seq < self.frame_count:
            if self.realtime:
                due = start + seq * period
                now = self._clock()
                if now < due:
                    self._sleep(due - now)
                elif self.drop_late and now - due >= period:
                    current = math.floor((now - start) * self.fps + 1e-9)
                    if not self.loop:
                        current = min(current, self.frame_count)
                    self.dropped += current - seq
                    seq = current
                    continue
            rendered = self.renderer.render(seq % self.frame_count)
            self.delivered += 1
            yield Frame(rendered.image, self.camera_id, seq, self.epoch_s + seq * period)
            seq += 1
