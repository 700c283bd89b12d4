"""Composing frames of a story: background, shelf state, shoppers and fixtures back to front, then the camera.

`Renderer.render(index)` draws frame ``index`` from scratch (the shelf canvas only redraws spots that
changed), so frames can be drawn in any order with identical pixels. Each frame comes with its truth: every
shopper whose figure has pixels in the frame, their box, their visibility, and their arms (wrists, hands,
which are seen, which reach).

Visibility is measured with a label buffer: while shoppers and fixtures are painted from the back, each
shopper's silhouette is written into the buffer with the shopper's slot number (a fixture writes 0), so a
later, nearer figure overwrites what it hides. A shopper's visibility is the share of their whole silhouette
(including any part outside the frame) whose slot number is still there at the end; a wrist is seen when its
own pixel still holds the shopper's slot and it lands inside the written frame.

Everything is drawn through the pinhole camera with the camera still; the camera's effects then move and
warp the picture (`shelfsight.vision.synthetic.effects`), and truth points follow through `SceneLayout.to_frame`. With
H.264 on, frames come from `shelfsight.vision.synthetic.h264.H264Stream`, which encodes each group of pictures in order.
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

from shelfsight.vision.synthetic.background import FixtureLayer, ShelfCanvas, draw_background, paint_fixture
from shelfsight.vision.synthetic.blur import draw_figure_blurred
from shelfsight.vision.synthetic.effects import Effects
from shelfsight.vision.synthetic.figure import Pose, build_figure, draw_shadow, person_sides
from shelfsight.vision.synthetic.figure_ops import Figure, PartKey, Point, draw_figure, draw_silhouette
from shelfsight.vision.synthetic.h264 import H264Packet, H264Settings, H264Stream
from shelfsight.vision.synthetic.motion import ShopperPlan, ShopperState
from shelfsight.vision.synthetic.story import Story

logger = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]

FIXTURE_STREAM: Final = 4242
"""Random stream of fixture decorations (separate from the scenario's other streams)."""

EDGE_SAMPLES: Final = 9
"""Points per box edge sent through a lens: a distorted straight edge bows, so its corners are not enough."""


@dataclass(frozen=True)
class ArmTruth:
    """Both arms of every shopper in a frame; side 0 is the person's left arm, 1 their right.

    Attributes:
        wrists: (n, 2, 2) float32 (x, y) of each wrist (where the forearm meets the hand) in the written frame.
        hands: (n, 2, 2) float32 (x, y) of each hand's centre in the written frame.
        visible: (n, 2) bool: the wrist is inside the frame and not hidden by another shopper or a fixture.
        reaching: (n, 2) bool: that arm is reaching into a shelf (moving out, on the spot, or back).
    """

    wrists: npt.NDArray[np.float32]
    hands: npt.NDArray[np.float32]
    visible: npt.NDArray[np.bool_]
    reaching: npt.NDArray[np.bool_]


@dataclass(frozen=True)
class FrameTruth:
    """Who is in one frame.

    Attributes:
        shopper_ids: (n,) int64 shopper ids (MOT track ids), nearest last.
        boxes: (n, 4) float32 (x1, y1, x2, y2) of each whole figure in the written frame, clipped to it.
        visibility: (n,) float32 share of each figure's pixels not hidden by nearer shoppers, fixtures or the
            frame edge, 0..1.
        reference_boxes: (n, 4) float32 boxes in the first frame's geometry (without the camera's jitter and
            drift since then), clipped: what the zones, drawn on the first frame, are compared with. None =
            the same as ``boxes``.
        arms: Wrists and hands, or None (a truth built by hand).
    """

    shopper_ids: npt.NDArray[np.int64]
    boxes: npt.NDArray[np.float32]
    visibility: npt.NDArray[np.float32]
    reference_boxes: npt.NDArray[np.float32] | None = None
    arms: ArmTruth | None = None


@dataclass(frozen=True)
class RenderedFrame:
    """One rendered frame: index (0-based), scene time, the BGR image, its truth, and its H.264 packet (when
    the camera encodes)."""

    index: int
    t_s: float
    image: Image
    truth: FrameTruth
    packet: H264Packet | None = None


@dataclass
class _Drawn:
    """A shopper drawn in the current frame: slot in the label buffer, full-silhouette pixel count, box."""

    shopper_id: int
    slot: int
    total: int
    roi: tuple[int, int, int, int]
    figure: Figure
    pose: Pose


def _edge_points(boxes: npt.NDArray[np.float64], samples: int) -> npt.NDArray[np.float64]:
    """(n, 4 * samples, 2) points along the edges of (n, 4) boxes (x1, y1, x2, y2)."""
    u = np.linspace(0.0, 1.0, samples)
    x1, y1, x2, y2 = (boxes[:, i : i + 1] for i in range(4))
    xs = x1 + (x2 - x1) * u
    ys = y1 + (y2 - y1) * u
    one = np.ones_like(u)
    top = np.stack([xs, y1 * one], axis=-1)
    bottom = np.stack([xs, y2 * one], axis=-1)
    left = np.stack([x1 * one, ys], axis=-1)
    right = np.stack([x2 * one, ys], axis=-1)
    return np.concatenate([top, bottom, left, right], axis=1)


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
        detail = story.scenario.layout.packaging_detail
        self.canvas = ShelfCanvas(draw_background(layout), spots, detail)
        rng = np.random.default_rng([story.scenario.seed, FIXTURE_STREAM])
        layers = (paint_fixture(layout, f, rng) for f in layout.fixtures)
        self.fixtures: tuple[FixtureLayer, ...] = tuple(f for f in layers if f is not None)
        cam = story.scenario.camera
        duration = story.frame_count / story.fps
        self.effects = Effects(cam.effects, self.size, story.scenario.seed, layout.lens, layout.motion, duration)
        self._labels = np.zeros((layout.height, layout.width), np.uint8)
        self.jointed = story.scenario.arms == "jointed"
        self.stream: H264Stream | None = None
        if cam.effects.h264_kbps is not None:
            settings = H264Settings.for_camera(cam.width, cam.height, cam.fps, cam.effects.h264_kbps, cam.effects.gop_s)
            self.stream = H264Stream(settings, self.render_uncompressed)

    @property
    def frame_count(self) -> int:
        """Frames in the story's video."""
        return self.story.frame_count

    def _pose(self, plan: ShopperPlan, state: ShopperState, t: float) -> Pose:
        camera = self.layout.camera
        height_m = plan.look.height_m
        foot, head = camera.project([[state.x_m, 0.0, state.z_m], [state.x_m, height_m, state.z_m]])
        reach = None
        if state.reach is not None:
            u, v = camera.project(state.reach.target_m)
            reach = (float(u), float(v))
        item = self.story.carrying(plan.spec.id, t)
        width = None
        if self.layout.preset.foreshorten:
            width = camera.scale_px(height_m / 2.0, state.z_m) * height_m
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
            width_px=width,
        )

    def _blur_shifts(self, plan: ShopperPlan, t: float) -> dict[PartKey, Point]:
        """How far the body (by its feet) and each arm (by its hand) move while the shutter is open, pixels."""
        half = self.story.scenario.camera.effects.motion_blur / self.story.fps / 2.0
        before, after = plan.state_at(t - half), plan.state_at(t + half)
        if before is None or after is None:
            return {}
        a = self._pose(plan, before, t - half)
        b = self._pose(plan, after, t + half)
        shifts: dict[PartKey, Point] = {"body": (b.foot[0] - a.foot[0], b.foot[1] - a.foot[1])}
        arms_a, arms_b = (
            build_figure(plan.look, a, jointed_arms=self.jointed).arms,
            build_figure(plan.look, b, jointed_arms=self.jointed).arms,
        )
        for side in arms_a.keys() & arms_b.keys():
            ha, hb = arms_a[side].hand, arms_b[side].hand
            shifts[f"arm{side:+d}"] = (hb[0] - ha[0], hb[1] - ha[1])
        return shifts

    def _label_figure(self, figure: Figure, pose: Pose, shopper_id: int, slot: int) -> _Drawn | None:
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
        return _Drawn(shopper_id, slot, total, (cx0, cy0, cx1, cy1), figure, pose)

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
        blur = self.story.scenario.camera.effects.motion_blur > 0
        for _, _, thing, state in items:
            if isinstance(thing, FixtureLayer):
                self._paste_fixture(frame, thing)
                continue
            assert state is not None
            pose = self._pose(thing, state, t)
            figure = build_figure(thing.look, pose, jointed_arms=self.jointed)
            draw_shadow(frame, pose)
            if blur:
                draw_figure_blurred(frame, figure, self._blur_shifts(thing, t))
            else:
                draw_figure(frame, figure)
            labelled = self._label_figure(figure, pose, thing.spec.id, len(drawn) + 1)
            if labelled is not None:
                drawn.append(labelled)
        return drawn

    def _boxes(self, drawn: list[_Drawn], index: int | None) -> npt.NDArray[np.float32]:
        """(n, 4) figure boxes in frame ``index``'s geometry (None: the first frame's), clipped to the frame."""
        w, h = self.size
        if not drawn:
            return np.zeros((0, 4), np.float32)
        raw = np.array([d.figure.bbox for d in drawn], np.float64)
        samples = 2 if self.layout.lens is None else EDGE_SAMPLES
        pts = self.layout.to_frame(_edge_points(raw, samples), index)
        boxes = np.concatenate([pts.min(axis=1), pts.max(axis=1)], axis=1)
        return np.asarray(np.clip(boxes, 0.0, [w, h, w, h]), np.float32)

    def _arms(self, drawn: list[_Drawn], index: int) -> ArmTruth:
        n = len(drawn)
        w, h = self.size
        wrists, hands = np.zeros((n, 2, 2), np.float64), np.zeros((n, 2, 2), np.float64)
        seen, reaching = np.zeros((n, 2), bool), np.zeros((n, 2), bool)
        for i, d in enumerate(drawn):
            pose = d.pose
            reach_side = pose.reach_side if pose.reach is not None and pose.extension > 0 else 0
            for person, side in enumerate(person_sides(pose.facing)):
                joints = d.figure.arms[side]
                wrists[i, person], hands[i, person] = joints.wrist, joints.hand
                x, y = round(joints.wrist[0]), round(joints.wrist[1])
                seen[i, person] = 0 <= x < w and 0 <= y < h and self._labels[y, x] == d.slot
                reaching[i, person] = side == reach_side
        wrists = self.layout.to_frame(wrists, index)
        hands = self.layout.to_frame(hands, index)
        inside = (wrists[..., 0] >= 0) & (wrists[..., 0] < w) & (wrists[..., 1] >= 0) & (wrists[..., 1] < h)
        return ArmTruth(wrists.astype(np.float32), hands.astype(np.float32), seen & inside, reaching)

    def _truth(self, drawn: list[_Drawn], index: int) -> FrameTruth:
        ids = np.array([d.shopper_id for d in drawn], np.int64)
        vis = np.zeros(len(drawn), np.float32)
        for i, d in enumerate(drawn):
            x0, y0, x1, y1 = d.roi
            visible = int(np.count_nonzero(self._labels[y0:y1, x0:x1] == d.slot))
            vis[i] = min(1.0, visible / d.total)
        boxes = self._boxes(drawn, index)
        reference = self._boxes(drawn, None) if self.layout.motion.active else None
        return FrameTruth(ids, boxes, np.round(vis, 4), reference, self._arms(drawn, index))

    def render_uncompressed(self, index: int) -> RenderedFrame:
        """Frame ``index`` with every effect but H.264 (what the camera's encoder is given)."""
        t = self.story.frame_time(index)
        self.canvas.apply(self.story.shelf_state_at(t))
        frame = self.canvas.image.copy()
        self._labels.fill(0)
        drawn = self._draw_scene(frame, t)
        truth = self._truth(drawn, index)
        return RenderedFrame(index, t, self.effects.apply(frame, index, t), truth)

    def render(self, index: int) -> RenderedFrame:
        """Draw frame ``index`` (0-based) with its truth (and, with H.264 on, as the camera's stream carries it).

        Raises:
            IndexError: When ``index`` is outside the story's frames.
        """
        if not 0 <= index < self.frame_count:
            raise IndexError(f"frame {index} is outside 0..{self.frame_count - 1}")
        if self.stream is not None:
            return self.stream.frame(index)
        return self.render_uncompressed(index)

    def frames(self, start: int = 0, stop: int | None = None, step: int = 1) -> Iterator[RenderedFrame]:
        """Render frames ``start, start + step, ...`` below ``stop`` (default: the end)."""
        end = self.frame_count if stop is None else min(stop, self.frame_count)
        for index in range(start, end, step):
            yield self.render(index)
