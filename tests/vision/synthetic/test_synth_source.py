"""The synthetic camera: paced in real time by an injected clock, drops frames like a camera when late."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from shelfsight.vision.synthetic.library import library_scenario, resolve_scenario
from shelfsight.vision.synthetic.render import Renderer
from shelfsight.vision.synthetic.source import SyntheticSource
from shelfsight.vision.synthetic.story import build_story

pytestmark = pytest.mark.slow  # tens of seconds of computation on 2 cores


class FakeClock:
    """A monotonic clock that moves only when slept on or told to."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_frames_come_at_the_scenario_rate_with_scene_timestamps() -> None:
    clock = FakeClock()
    source = SyntheticSource(library_scenario("one_passes_by"), clock=clock, sleep=clock.sleep)
    frames = list(source)
    assert [f.seq for f in frames] == list(range(source.frame_count))
    assert clock.now == pytest.approx(100.0 + (source.frame_count - 1) / 10.0)
    assert all(s == pytest.approx(0.1) for s in clock.sleeps)
    start = library_scenario("one_passes_by").start_epoch_s
    assert [f.captured_at for f in frames[:3]] == pytest.approx([start, start + 0.1, start + 0.2])
    assert {f.camera_id for f in frames} == {"synth1"}
    assert (source.delivered, source.dropped) == (source.frame_count, 0)


def test_a_slow_consumer_makes_the_camera_skip_frames() -> None:
    clock = FakeClock()
    source = SyntheticSource(library_scenario("one_passes_by"), clock=clock, sleep=clock.sleep)
    seqs = []
    for frame in source:
        seqs.append(frame.seq)
        clock.now += 0.25  # the consumer takes 2.5 frame periods per frame
    assert seqs[:4] == [0, 2, 5, 7]
    assert source.dropped == source.frame_count - len(seqs) > 0


def test_frames_are_the_rendered_frames() -> None:
    scenario = library_scenario("one_takes_item")
    renderer = Renderer(build_story(scenario))
    source = SyntheticSource(scenario, realtime=False, camera_id="cam7", epoch_s=1_800_000_000.0)
    for frame in itertools.islice(source, 0, 40, 13):
        assert np.array_equal(frame.image, renderer.render(frame.seq).image)
        assert frame.camera_id == "cam7" and frame.captured_at == pytest.approx(1_800_000_000.0 + frame.seq / 10)


def test_a_live_camera_with_faults_hands_out_its_h264_frames() -> None:
    scenario = resolve_scenario("synthetic:random?seed=5&window_s=6")  # faults drawn from seed 5, H.264 on
    renderer = Renderer(build_story(scenario))
    assert renderer.stream is not None
    source = SyntheticSource(scenario, realtime=False, loop=True)
    played = list(itertools.islice(source, renderer.frame_count + 12))
    for frame in played[: renderer.frame_count : 7] + played[-12::5]:  # and again after looping round
        index = frame.seq % renderer.frame_count
        assert np.array_equal(frame.image, renderer.render(index).image)  # decoded H.264, as in video.mp4
        assert not np.array_equal(frame.image, renderer.render_uncompressed(index).image)


def test_looping_source_keeps_counting() -> None:
    clock = FakeClock()
    source = SyntheticSource(library_scenario("one_passes_by"), loop=True, clock=clock, sleep=clock.sleep)
    frames = list(itertools.islice(source, source.frame_count + 5))
    assert frames[-1].seq == source.frame_count + 4
    assert np.array_equal(frames[-1].image, frames[4].image)


def test_unpaced_source_never_sleeps() -> None:
    clock = FakeClock()
    source = SyntheticSource(library_scenario("one_passes_by"), realtime=False, clock=clock, sleep=clock.sleep)
    assert len(list(source)) == source.frame_count and clock.sleeps == []


@pytest.mark.parametrize(
    ("source", "error", "message"),
    [
        ("rtsp://10.0.0.5/stream", ValueError, "starts with 'synthetic:'"),
        ("synthetic:no_such_scene", KeyError, "no scenario 'no_such_scene'"),
    ],
)
def test_from_source_rejects_what_it_cannot_play(source: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        SyntheticSource.from_source(source)


@pytest.mark.parametrize("source", ["synthetic:one_dwells", "synthetic:random-3", "synthetic:random?seed=3"])
def test_from_source_plays_library_and_random_scenarios(source: str) -> None:
    played = SyntheticSource.from_source(source, realtime=False)
    first = next(iter(played))
    assert first.seq == 0 and first.image.shape == (480, 640, 3)
