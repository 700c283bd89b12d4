"""Fixtures for the edge runtime tests: a synthetic clip and a real RTSP server serving it on loopback.

The server is GStreamer's RTSP server from Debian packages (see `tests/pipeline/edge/rtsp_server.py`). When
those packages are missing the fixture fails with the install command; it never skips, because CI must not
pass without the real parts (`make test` and `.ci/run` install them through `.ci/rtsp-server.sh`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shelfsight.vision.synthetic.library import resolve_scenario
from shelfsight.vision.synthetic.story import build_story
from shelfsight.vision.synthetic.writer import write_outputs
from tests.pipeline.edge.harness import Aggregator
from tests.pipeline.edge.rtsp_server import FAST_OPEN_OPTIONS, RtspServer, missing_requirements


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every edge runtime test starts the stage processes (or an RTSP server): all are integration tests."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.integration)


RTSP_SCENARIO = "one_dwells"  # 640x480 at 10 fps, 155 frames


@pytest.fixture(scope="session")
def rtsp_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``video.mp4`` of the `RTSP_SCENARIO` synthetic scenario (its edge config and truth sit beside it)."""
    folder = tmp_path_factory.mktemp("rtsp-clip")
    write_outputs(build_story(resolve_scenario(RTSP_SCENARIO)), folder)
    return folder / "video.mp4"


@pytest.fixture(scope="session")
def rtsp_server_installed() -> None:
    """Fails (never skips) with the install command when GStreamer's RTSP server is not installed."""
    problem = missing_requirements()
    if problem is not None:
        pytest.fail(f"GStreamer RTSP server unavailable: {problem}", pytrace=False)


@pytest.fixture
def rtsp_server(rtsp_server_installed: None, rtsp_clip: Path) -> Iterator[RtspServer]:
    """A started `RtspServer` looping `rtsp_clip` at ``server.url``; stopped and cleaned up afterwards."""
    with RtspServer(rtsp_clip) as server:
        yield server


@pytest.fixture
def rtsp_capture_options(monkeypatch: pytest.MonkeyPatch) -> str:
    """Sets ``OPENCV_FFMPEG_CAPTURE_OPTIONS`` for RTSP over TCP with a short probe; returns the value."""
    monkeypatch.setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", FAST_OPEN_OPTIONS)
    return FAST_OPEN_OPTIONS


@pytest.fixture
def aggregator(tmp_path: Path) -> Iterator[Aggregator]:
    """`shelfsight serve` running on a fresh database in ``tmp_path``; stopped afterwards."""
    running = Aggregator(tmp_path)
    running.start()
    yield running
    running.stop()
