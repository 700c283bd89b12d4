"""Composing frames of a story: background, shelf state, shoppers and fixtures back to front, then effects.

`Renderer.render(index)` draws frame ``index`` from scratch (the shelf canvas only redraws spots that
changed), so frames can be drawn in any order with identical pixels. Each frame comes with its truth: every
shopper whose figure has pixels in the frame, their box, and their visibility.

Visibility is measured with a label buffer: while shoppers and fixtures are painted from the back, each
shopper's silhouette is written into the buffer with the shopper's slot number (a fixture writes 0), so a
later, nearer figure overwrites what it hides. A shopper's visibility is the share of their whole silhouette
(including any part outside the frame) whose slot number is still there at the end.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

from vision.synthetic.background import FixtureLayer, ShelfCanvas, draw_background, paint_fixture
from vision.synthetic.effects import Effects
from vision.synthetic.figure import Figure, Pose, build_figure, draw_figure, draw_shadow, draw_silhouette
from vision.synthetic.motion import ShopperPlan, ShopperState
from vision.synthetic.story import Story

logger = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]

FIXTURE_STREAM: Final = 4242
"""Random stream of fixture decorations (separate from the scenario's other streams)."""


@dataclass(frozen=True)
class FrameTruth:
    """Who is in one frame.

    Attributes:
        shopper_ids: (n,) int64 shopper ids (MOT track ids), nearest last.
        boxes: (n, 4) float32 (x1, y1, x2, y2) of each whole figure in the written frame, clipped to it.
        visibility: (n,) float32 share of each figure's pixels not hidden by nearer shoppers, fixtures or the
            frame edge, 0..1.
    """

    shopper_ids: npt.NDArray[np.int64]
    boxes: npt.NDArray[np.float32]
    visibility: npt.NDArray[np.float32]


@dataclass(frozen=True)
class RenderedFrame:
    """One rendered frame: index (0-based), scene time, the BGR image and its truth."""

    index: int
    t_s: float
    image: Image
    truth: FrameTruth


@dataclass
class _Drawn:
    """A shopper drawn in the current frame: slot in the label buffer, full-silhouette pixel count, box."""

    shopper_id: int
    slot: int
    total: int
    roi: tuple[int, int, int, int]
    bbox: tuple[float, float, float, float]


class Renderer:
    """Draws the frames of a story.

    Args:
        story: The worked-out scenario.
    """

    def __init__(self, story: Story) -> None:
        self.story = story
        layout = story.layout
        self.layout = layout
        self.size = (layout.width, layout.height)
        spots = {(u.spec.id, sid): spot for u in layout.shelves for sid, spot in u.spots.items()}
        self.canvas = ShelfCanvas(draw_background(layout), spots)
        rng = np.random.default_rng([story.scenario.seed, FIXTURE_STREAM])
        layers = (paint_fixture(layout, f, rng) for f in layout.fixtures)
        self.fixtures: tuple[FixtureLayer, ...] = tuple(f for f in layers if f is not None)
        cam = story.scenario.camera
        self.effects = Effects(cam.effects, cam.width, cam.height, story.scenario.seed, layout.lens)
        self._labels = np.zeros((layout.height, layout.width), np.uint8)

    @property
    def frame_count(self) -> int:
        """Frames in the story's video."""
        return self.story.frame_count

    def _pose(self, plan: ShopperPlan, state: ShopperState, t: float) -> Pose:
        camera = self.layout.camera
        foot, head = camera.project([[state.x_m, 0.0, state.z_m], [state.x_m, plan.look.height_m, state.z_m]])
        reach = None
        if state.reach is not None:
            u, v = camera.project(state.reach.target_m)
            reach = (float(u), float(v))
        item = self.story.carrying(plan.spec.id, t)
        return Pose(
            foot=(float(foot[0]), float(foot[1])),
            height_px=float(foot[1] - head[1]),
            facing=state.facing,
            gait_phase=state.gait_phase,
            walking=state.walking,
            reach=reach,
            reach_side=state.reach.side if state.reach is not None else 1,
            extension=state.extension,
            carrying=item.colour if item is not None else None,
        )

    def _label_figure(self, figure: Figure, shopper_id: int, slot: int) -> _Drawn | None:
        x0, y0 = math.floor(figure.bbox[0]) - 1, math.floor(figure.bbox[1]) - 1
        x1, y1 = math.ceil(figure.bbox[2]) + 1, math.ceil(figure.bbox[3]) + 1
        w, h = self.size
        cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if cx0 >= cx1 or cy0 >= cy1:
            return None
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        draw_silhouette(mask, figure, (float(x0), float(y0)))
        total = cv2.countNonZero(mask)
        inside = mask[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
        if total == 0 or not inside.any():
            return None
        self._labels[cy0:cy1, cx0:cx1][inside > 0] = slot
        bbox = (figure.bbox[0], figure.bbox[1], figure.bbox[2], figure.bbox[3])
        return _Drawn(shopper_id, slot, total, (cx0, cy0, cx1, cy1), bbox)

    def _paste_fixture(self, frame: Image, layer: FixtureLayer) -> None:
        x0, y0, x1, y1 = layer.roi
        np.copyto(frame[y0:y1, x0:x1], layer.pixels, where=layer.mask[..., None])
        self._labels[y0:y1, x0:x1][layer.mask] = 0

    def _draw_scene(self, frame: Image, t: float) -> list[_Drawn]:
        items: list[tuple[float, int, ShopperPlan | FixtureLayer, ShopperState | None]] = []
        for plan in self.story.shoppers:
            state = plan.state_at(t)
            if state is not None:
                items.append((state.z_m, plan.spec.id, plan, state))
        items += [(layer.z_m, -i - 1, layer, None) for i, layer in enumerate(self.fixtures)]
        items.sort(key=lambda item: (-item[0], item[1]))
        drawn: list[_Drawn] = []
        for _, _, thing, state in items:
            if isinstance(thing, FixtureLayer):
                self._paste_fixture(frame, thing)
                continue
            assert state is not None
            pose = self._pose(thing, state, t)
            figure = build_figure(thing.look, pose)
            draw_shadow(frame, pose)
            draw_figure(frame, figure)
            labelled = self._label_figure(figure, thing.spec.id, len(drawn) + 1)
            if labelled is not None:
                drawn.append(labelled)
        return drawn

    def _truth(self, drawn: list[_Drawn]) -> FrameTruth:
        w, h = self.size
        ids = np.array([d.shopper_id for d in drawn], np.int64)
        vis = np.zeros(len(drawn), np.float32)
        corners = np.zeros((len(drawn), 4, 2), np.float64)
        for i, d in enumerate(drawn):
            x0, y0, x1, y1 = d.roi
            visible = int(np.count_nonzero(self._labels[y0:y1, x0:x1] == d.slot))
            vis[i] = min(1.0, visible / d.total)
            bx0, by0, bx1, by1 = d.bbox
            corners[i] = [[bx0, by0], [bx1, by0], [bx1, by1], [bx0, by1]]
        pts = self.layout.to_frame(corners.reshape(-1, 2)).reshape(-1, 4, 2)
        boxes = np.concatenate([pts.min(axis=1), pts.max(axis=1)], axis=1) if len(drawn) else np.zeros((0, 4))
        clipped = np.clip(boxes, 0.0, [w, h, w, h]).astype(np.float32)
        return FrameTruth(ids, clipped, np.round(vis, 4))

    def render(self, index: int) -> RenderedFrame:
        """Draw frame ``index`` (0-based) with its truth.

        Raises:
            IndexError: When ``index`` is outside the story's frames.
        """
        if not 0 <= index < self.frame_count:
            raise IndexError(f"frame {index} is outside 0..{self.frame_count - 1}")
        t = self.story.frame_time(index)
        self.canvas.apply(self.story.shelf_state_at(t))
        frame = self.canvas.image.copy()
        self._labels.fill(0)
        drawn = self._draw_scene(frame, t)
        truth = self._truth(drawn)
        return RenderedFrame(index, t, self.effects.apply(frame, index, t), truth)

    def frames(self, start: int = 0, stop: int | None = None, step: int = 1) -> Iterator[RenderedFrame]:
        """Render frames ``start, start + step, ...`` below ``stop`` (default: the end)."""
        end = self.frame_count if stop is None else min(stop, self.frame_count)
        for index in range(start, end, step):
            yield self.render(index)
