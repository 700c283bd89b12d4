"""A real store camera's faults: the picture shakes and drifts with its truth, H.264 really compresses at a
CCTV bitrate, the exposure steps and settles, moving arms smear, the lenses and their truth agree, an
untouched shelf flickers like a real one, and random scenarios draw all of it from the seed unless clean."""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.eval_events import scenario_for
from shelfsight.vision.synthetic.camera import FisheyeLens, LensDistortion
from shelfsight.vision.synthetic.effects import exposure_gain, exposure_schedule
from shelfsight.vision.synthetic.library import library_scenario, resolve_scenario
from shelfsight.vision.synthetic.random_scenario import camera_faults, random_scenario
from shelfsight.vision.synthetic.realism import shelf_change_shares
from shelfsight.vision.synthetic.render import RenderedFrame, Renderer
from shelfsight.vision.synthetic.scenario import CameraSpec, CrowdSpec, EffectsSpec, LayoutSpec, Scenario
from shelfsight.vision.synthetic.shake import CameraMotion
from shelfsight.vision.synthetic.story import build_story
from shelfsight.vision.synthetic.writer import write_outputs

pytestmark = pytest.mark.slow  # tens of seconds of computation on 2 cores

SHORT = CrowdSpec(arrivals_per_min=12.0, window_s=10.0, stop_share=1.0, reach_share=1.0)
"""Two shoppers who stop and reach: a short, busy clip."""


def with_effects(scenario: Scenario, **effects: object) -> Scenario:
    camera = dataclasses.replace(scenario.camera, effects=EffectsSpec(**effects))  # type: ignore[arg-type]
    return dataclasses.replace(scenario, camera=camera)


@cache
def clean_frames(name: str) -> dict[int, RenderedFrame]:
    return {f.index: f for f in Renderer(build_story(library_scenario(name))).frames()}


def test_camera_motion_is_bounded_starts_at_rest_and_drifts_out_and_back() -> None:
    motion = CameraMotion(EffectsSpec(jitter_px=1.5, drift_px=12.0, drift_period_s=30.0), fps=10.0, seed=3)
    offsets = np.array([motion.offset(i) for i in range(600)])
    size = np.hypot(offsets[:, 0], offsets[:, 1])
    assert np.all(np.abs(offsets) <= 1.5 + 12.0 + 1e-9)
    assert size[0] <= 1.5 * np.sqrt(2)  # the first frame: no drift yet, only the shake
    assert size[150] >= 12.0 - 1.5 * np.sqrt(2)  # half a cycle: the drift at its farthest
    assert size[300] <= 1.5 * np.sqrt(2)  # a whole cycle: back
    steps = np.diff(offsets, axis=0)
    assert 0.1 < float(np.median(np.hypot(steps[:, 0], steps[:, 1]))) < 2.0  # it shakes between frames
    again = CameraMotion(EffectsSpec(jitter_px=1.5, drift_px=12.0, drift_period_s=30.0), fps=10.0, seed=3)
    assert [again.offset(i) for i in (599, 3, 150)] == [motion.offset(i) for i in (599, 3, 150)]
    still = CameraMotion(EffectsSpec(), fps=10.0, seed=3)
    assert not still.active and still.offset(123) == (0.0, 0.0)


@pytest.mark.parametrize("index", [0, 40, 77, 120])
def test_the_picture_and_its_truth_move_with_the_camera(index: int) -> None:
    moving = with_effects(library_scenario("one_takes_item"), jitter_px=1.5, drift_px=10.0, drift_period_s=20.0)
    renderer = Renderer(build_story(moving))
    still, shaken = clean_frames("one_takes_item")[index], renderer.render(index)
    dx, dy = renderer.layout.motion.offset(index)
    grey = [cv2.cvtColor(f.image, cv2.COLOR_BGR2GRAY).astype(np.float32) for f in (still, shaken)]
    (found_x, found_y), _ = cv2.phaseCorrelate(grey[0], grey[1])
    assert (found_x, found_y) == pytest.approx((dx, dy), abs=0.25)  # the pixels moved by the offset
    assert np.array_equal(shaken.truth.shopper_ids, still.truth.shopper_ids)
    inside = (still.truth.boxes[:, 0] > 20) & (still.truth.boxes[:, 2] < 620)
    assert np.allclose(shaken.truth.boxes[inside], still.truth.boxes[inside] + [dx, dy, dx, dy], atol=0.01)
    assert shaken.truth.reference_boxes is not None
    x0, y0 = renderer.layout.motion.offset(0)  # zones and visits: the first frame's geometry
    assert np.allclose(shaken.truth.reference_boxes[inside], still.truth.boxes[inside] + [x0, y0, x0, y0], atol=0.01)
    assert shaken.truth.arms is not None and still.truth.arms is not None
    assert np.allclose(shaken.truth.arms.wrists, still.truth.arms.wrists + np.array([dx, dy]), atol=0.01)


@pytest.mark.parametrize(
    "lens", [LensDistortion(640, 480, 0.12), FisheyeLens(640, 480, 268.5)], ids=["radial", "fisheye"]
)
def test_lens_maps_and_truth_points_agree(lens: LensDistortion | FisheyeLens) -> None:
    rng = np.random.default_rng(5)
    undistorted = rng.uniform([60, 40], [580, 440], (200, 2))
    distorted = lens.distort_points(undistorted)
    inside = np.all((distorted >= 0) & (distorted <= [639, 479]), axis=1)
    assert inside.sum() > 150
    pts = distorted[inside].astype(np.float32).reshape(-1, 1, 2)
    back_x = cv2.remap(lens.map_x, pts[..., 0], pts[..., 1], cv2.INTER_LINEAR)
    back_y = cv2.remap(lens.map_y, pts[..., 0], pts[..., 1], cv2.INTER_LINEAR)
    back = np.stack([back_x.ravel(), back_y.ravel()], axis=1)
    assert np.abs(back - undistorted[inside]).max() < 0.05  # a pixel's truth lands where its colour is drawn


def test_the_fisheye_keeps_its_corners_and_magnifies_the_middle() -> None:
    lens = FisheyeLens(640, 480, 268.5)
    corners = np.array([[0.0, 0.0], [640.0, 0.0], [640.0, 480.0], [0.0, 480.0]])
    assert np.allclose(lens.distort_points(corners), corners, atol=1e-6)  # no empty border
    assert 1.4 < lens.magnification < 1.7
    middle = lens.distort_points([[330.0, 240.0]])[0]
    assert middle[0] - 320.0 == pytest.approx(10.0 * lens.magnification, rel=0.01)


def test_exposure_steps_jump_settle_and_come_back() -> None:
    spec = EffectsSpec(exposure_steps_per_min=6.0, exposure_step=0.2, exposure_settle_s=0.3)
    steps = exposure_schedule(spec, 300.0, seed=11)
    assert 15 <= len(steps) <= 50  # about 30 in 5 minutes
    assert all(0.12 - 1e-9 <= abs(s.gain) <= 0.2 for s in steps)
    assert {s.gain > 0 for s in steps} == {True, False}  # brighter and darker
    step = steps[0]
    alone = (step,)
    assert exposure_gain(alone, step.t_s - 0.01, 0.3) == 1.0
    assert exposure_gain(alone, step.t_s + 0.1, 0.3) == pytest.approx(1 + step.gain * (1 - np.exp(-1 / 3)))
    assert exposure_gain(alone, step.t_s + 1.5, 0.3) == pytest.approx(1 + step.gain, rel=0.01)  # settled
    assert exposure_gain(alone, step.t_s + step.hold_s + 2.0, 0.3) == pytest.approx(1.0, abs=0.01)  # back
    assert exposure_schedule(EffectsSpec(), 300.0, seed=11) == ()


def test_an_exposure_step_brightens_or_darkens_the_whole_frame() -> None:
    scenario = with_effects(library_scenario("empty_aisle"), exposure_steps_per_min=12.0, exposure_step=0.2)
    renderer = Renderer(build_story(scenario))
    step = renderer.effects.exposure[0]
    before = renderer.render(max(0, int(step.t_s * 10) - 1)).image[400:470, 20:620].astype(float).mean()
    settled = renderer.render(int((step.t_s + 1.5) * 10)).image[400:470, 20:620].astype(float).mean()
    expected = exposure_gain(renderer.effects.exposure, step.t_s + 1.5, 0.3)
    offset = -12.0 * (expected - 1.0)  # the black level moves with the gain
    assert settled == pytest.approx(before * expected + offset, rel=0.02)
    assert abs(settled - before) > 10.0


def test_motion_blur_smears_a_moving_arm_and_nothing_still() -> None:
    story = build_story(library_scenario("one_takes_item"))
    reach = story.outcomes[0].reach
    moving = round((reach.t_start + 0.2 * (reach.t_end - reach.t_start)) * 10)  # the arm swings out fast
    resting = round((reach.t_start - 0.4) * 10)  # standing at the shelf, arms down
    blurred = Renderer(build_story(with_effects(library_scenario("one_takes_item"), motion_blur=0.8)))
    sharp = clean_frames("one_takes_item")
    assert np.array_equal(blurred.render(resting).image, sharp[resting].image)
    smeared, crisp = blurred.render(moving), sharp[moving]
    x1, y1, x2, y2 = (int(v) for v in crisp.truth.boxes[0])
    changed = np.any(smeared.image != crisp.image, axis=2)
    assert changed.sum() > 100 and changed[:y1].sum() + changed[y2 + 4 :].sum() == 0  # only around the shopper
    grey = [cv2.cvtColor(f.image[y1:y2, x1:x2], cv2.COLOR_BGR2GRAY) for f in (smeared, crisp)]
    edges = [cv2.Laplacian(g, cv2.CV_64F).var() for g in grey]
    assert edges[0] < edges[1]  # softer edges: the arm is streaked


def test_h264_compresses_at_the_bitrate_and_the_file_holds_the_same_frames(tmp_path: Path) -> None:
    scenario = with_effects(random_scenario(17, SHORT, clean=True), h264_kbps=1000.0, gop_s=1.0, noise_sigma=2.0,
                            jitter_px=0.8)  # fmt: skip
    story = build_story(scenario)
    video = write_outputs(story, tmp_path).video
    assert video is not None
    renderer = Renderer(story)
    seconds = renderer.frame_count / renderer.story.fps
    assert 0.8 * 1000 <= video.stat().st_size * 8 / seconds / 1000 <= 1.25 * 1000  # kbit/s near the bitrate
    capture = cv2.VideoCapture(str(video))
    decoded = []
    while (got := capture.read())[0]:
        decoded.append(got[1])
    assert len(decoded) == renderer.frame_count
    quality = []
    for index in range(0, renderer.frame_count, 9):
        frame, raw = renderer.render(index), renderer.render_uncompressed(index)
        assert np.array_equal(frame.image, decoded[index])  # OpenCV decodes the very pixels handed out
        quality.append(cv2.PSNR(raw.image, frame.image))
        assert frame.packet is not None and frame.packet.keyframe == (index % 10 == 0)
    assert 28.0 <= float(np.mean(quality)) <= 45.0  # lossy, at a CCTV camera's quality


def test_h264_frames_are_the_same_in_any_order() -> None:
    scenario = with_effects(random_scenario(23, SHORT, clean=True), h264_kbps=700.0, gop_s=1.5)
    in_order = {f.index: f.image for f in Renderer(build_story(scenario)).frames(stop=40)}
    jumping = Renderer(build_story(scenario))
    for index in [33, 3, 15, 14, 39, 0, 16, 16]:  # across keyframes, backwards, repeated
        assert np.array_equal(jumping.render(index).image, in_order[index]), index


@cache
def faults_of(seed: int) -> Scenario:
    return random_scenario(seed)


def test_random_scenarios_draw_realistic_faults_from_the_seed() -> None:
    scenarios = [faults_of(seed) for seed in range(40)]
    views = [s.camera.view for s in scenarios]
    assert set(views) == {"eye_level", "high_oblique", "overhead_fisheye"}
    assert views.count("overhead_fisheye") < views.count("eye_level") + views.count("high_oblique")
    fields = {
        "jitter_px": (0.4, 2.0),
        "drift_px": (0.0, 15.0),
        "h264_kbps": (500.0, 2000.0),
        "noise_sigma": (1.0, 3.5),
        "exposure_step": (0.1, 0.25),
        "motion_blur": (0.2, 0.7),
    }
    for name, (low, high) in fields.items():
        values = [getattr(s.camera.effects, name) for s in scenarios]
        assert low <= min(values) and max(values) <= high, name
        assert max(values) - min(values) > 0.5 * (high - low), name  # spread out, not all at the maximum
    assert all(s.camera.effects.gop_s in (1.0, 1.5, 2.0) for s in scenarios)
    assert all(s.arms == "jointed" and s.layout.packaging_detail >= 0.5 for s in scenarios)
    standing = [s.crowd.standing_at_start for s in scenarios if s.crowd is not None]
    assert set(standing) == {0, 1, 2}
    assert all(s.camera.effects.lens_k1 == 0 for s in scenarios if s.camera.view == "overhead_fisheye")
    assert camera_faults(7) == camera_faults(7)


def test_clean_is_the_synthetic_store_without_the_faults() -> None:
    faulty, clean = random_scenario(7), random_scenario(7, clean=True)
    assert clean.camera == CameraSpec() and clean.layout == LayoutSpec(shelves=faulty.layout.shelves)
    assert clean.arms == "simple" and clean.crowd is not None and clean.crowd.standing_at_start == 0
    assert faulty.camera.effects.h264_kbps is not None and faulty.camera.effects.jitter_px > 0
    arrivals = [p.spec for p in build_story(clean).shoppers]
    assert [p.spec for p in build_story(faulty).shoppers][: len(arrivals)] == arrivals  # the same crowd
    assert resolve_scenario("synthetic:random-7") == faulty
    assert resolve_scenario("random?seed=7&clean=1") == clean
    assert scenario_for("random-7", clean=True) == clean and scenario_for("random-7", clean=False) == faulty
    assert scenario_for("one_takes_item", clean=True) == library_scenario("one_takes_item")


def test_an_untouched_shelf_flickers_like_a_real_one_and_a_perfect_camera_does_not() -> None:
    faulty = random_scenario(28, SHORT)  # jitter 0.9 px, H.264 at 1090 kbit/s, dense packaging
    shares = shelf_change_shares(Renderer(build_story(faulty)), pairs=12)
    clean = shelf_change_shares(Renderer(build_story(random_scenario(28, SHORT, clean=True))), pairs=12)
    assert len(shares) >= 8 and len(clean) >= 8
    assert 0.01 <= float(np.median(shares)) <= 0.25  # real store footage: 6.4 % (median), up to 19 %
    assert max(clean) == 0.0
