"""Writing a rendered scenario to a folder: video, edge config, MOT truth, true events, summary, scenario.

Layout of the folder (a MOTChallenge sequence plus shelfsight files)::

    video.mp4          the frames (mp4v; the camera's own H.264 stream when it encodes), unless video=False
    edge_config.yaml   the camera and its zones, loadable by edge_config.load_config
    seqinfo.ini        MOTChallenge sequence info (name, frame rate, length, size)
    gt/gt.txt          true boxes, MOTChallenge format
    gt/wrists.txt      true wrists and hands, CSV ``frame,id,side,x,y,visible,reaching,hand_x,hand_y``
    events.jsonl       true events, one v1 event per line (shelfsight.vision.events.codec JSON)
    truth.json         counts, shoppers, pass-bys, spot boxes, takes
    scenario.yaml      the scenario as rendered (a random crowd written out shopper by shopper)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import cv2
import yaml

from shelfsight.vision.events.codec import to_json
from shelfsight.vision.synthetic.h264 import H264File
from shelfsight.vision.synthetic.render import RenderedFrame, Renderer
from shelfsight.vision.synthetic.scenario_io import dump_scenario
from shelfsight.vision.synthetic.story import Story
from shelfsight.vision.synthetic.truth import GroundTruth, TruthBuilder

logger = logging.getLogger(__name__)

DETECT_FPS: Final = 5.0
"""Detection rate written into the generated edge config (the project's default)."""

VIDEO_FOURCC: Final = "mp4v"


@dataclass(frozen=True)
class SynthOutputs:
    """Paths written by `write_outputs`, and the truth they hold."""

    folder: Path
    video: Path | None
    edge_config: Path
    seqinfo: Path
    gt: Path
    wrists: Path
    events: Path
    truth_json: Path
    scenario: Path
    truth: GroundTruth


def _polygon(story: Story, outline: Any) -> list[list[float]]:
    return [[round(float(x), 4), round(float(y), 4)] for x, y in story.layout.normalised(outline)]


def edge_config_dict(story: Story, source: str) -> dict[str, Any]:
    """The edge config of the scene: one camera, a shelf zone and a standing zone per shelf unit."""
    scenario, layout = story.scenario, story.layout
    zones: list[dict[str, Any]] = []
    for unit in layout.shelves:
        zones.append({"id": unit.zone_id, "kind": "shelf", "polygon": _polygon(story, unit.face_px)})
        zones.append(
            {
                "id": unit.standing_zone_id,
                "kind": "standing",
                "shelf_id": unit.zone_id,
                "polygon": _polygon(story, unit.standing_px),
            }
        )
    rules = scenario.dwell
    return {
        "version": 1,
        "store_id": scenario.store_id,
        "dwell": {
            "min_dwell_s": rules.min_dwell_s,
            "entry_debounce_s": rules.entry_debounce_s,
            "exit_grace_s": rules.exit_grace_s,
        },
        "cameras": [{"id": scenario.camera.camera_id, "source": source, "detect_fps": DETECT_FPS, "zones": zones}],
    }


def edge_config_yaml(story: Story, source: str) -> str:
    """`edge_config_dict` as YAML with a header saying where it came from."""
    header = (
        f"# Edge config of synthetic scenario {story.scenario.name!r}, written by `shelfsight synth`.\n"
        "# Zone outlines are fractions of the frame size (x of the width, y of the height).\n"
    )
    body = yaml.safe_dump(edge_config_dict(story, source), sort_keys=False, default_flow_style=None, width=110)
    return header + body


def seqinfo_text(story: Story) -> str:
    """MOTChallenge ``seqinfo.ini`` of the sequence."""
    layout = story.layout
    fps = story.fps
    rate = int(fps) if float(fps).is_integer() else fps
    return (
        "[Sequence]\n"
        f"name={story.scenario.name}\nimDir=img1\nframeRate={rate}\nseqLength={story.frame_count}\n"
        f"imWidth={layout.width}\nimHeight={layout.height}\nimExt=.jpg\n"
    )


def write_outputs(
    story: Story,
    folder: Path,
    *,
    source: str | None = None,
    video: bool = True,
    progress: Callable[[int], None] | None = None,
) -> SynthOutputs:
    """Render every frame of a story and write the folder described in the module docstring.

    Args:
        story: The worked-out scenario.
        folder: Output folder; created if missing, files in it are overwritten.
        source: Camera ``source`` for the edge config; default ``synthetic:<scenario name>``.
        video: Whether to encode ``video.mp4`` (truth is written either way).
        progress: Called with the number of frames done after each frame.

    Raises:
        OSError: When the video cannot be opened for writing.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gt").mkdir(exist_ok=True)
    renderer, builder = Renderer(story), TruthBuilder(story)
    video_path = folder / "video.mp4" if video else None
    write, close = _video_writer(renderer, video_path)
    try:
        for frame in renderer.frames():
            builder.add(frame)
            write(frame)
            if progress is not None:
                progress(frame.index + 1)
    finally:
        close()
    truth = builder.finish()
    return _write_files(story, folder, truth, source or f"synthetic:{story.scenario.name}", video_path)


def _video_writer(renderer: Renderer, path: Path | None) -> tuple[Callable[[RenderedFrame], None], Callable[[], None]]:
    """(write a frame, close) for ``path``: the camera's H.264 packets as they are, else mp4v; no-ops for None.

    Raises:
        OSError: When OpenCV cannot open the mp4v file.
    """
    if path is None:
        return (lambda _: None), (lambda: None)
    if renderer.stream is not None:
        h264 = H264File(path, renderer.stream.settings)

        def write_packet(frame: RenderedFrame) -> None:
            if frame.packet is None:
                raise RuntimeError(f"frame {frame.index} of an H.264 camera has no packet")
            h264.write(frame.packet)

        return write_packet, h264.close
    size = (renderer.layout.width, renderer.layout.height)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*VIDEO_FOURCC), renderer.story.fps, size)
    if not writer.isOpened():
        raise OSError(f"cannot open {path} for writing (no {VIDEO_FOURCC} encoder in this OpenCV build?)")

    def write_image(frame: RenderedFrame) -> None:
        writer.write(frame.image)

    return write_image, writer.release


def _write_files(story: Story, folder: Path, truth: GroundTruth, source: str, video: Path | None) -> SynthOutputs:
    paths = {
        "edge_config": folder / "edge_config.yaml",
        "seqinfo": folder / "seqinfo.ini",
        "gt": folder / "gt" / "gt.txt",
        "wrists": folder / "gt" / "wrists.txt",
        "events": folder / "events.jsonl",
        "truth_json": folder / "truth.json",
        "scenario": folder / "scenario.yaml",
    }
    paths["edge_config"].write_text(edge_config_yaml(story, source), encoding="utf-8")
    paths["seqinfo"].write_text(seqinfo_text(story), encoding="utf-8")
    paths["gt"].write_text(truth.mot_text(), encoding="utf-8")
    paths["wrists"].write_text(truth.wrists_text(), encoding="utf-8")
    paths["events"].write_text("".join(to_json(e) + "\n" for e in truth.events), encoding="utf-8")
    paths["truth_json"].write_text(json.dumps(truth.summary, indent=2) + "\n", encoding="utf-8")
    paths["scenario"].write_text(dump_scenario(story.scenario), encoding="utf-8")
    return SynthOutputs(folder=folder, video=video, truth=truth, **paths)
