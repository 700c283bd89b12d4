"""Tracking accuracy and cost: shelfsight's tracker against supervision and Ultralytics on the same detections.

Accuracy (TrackEval HOTA / IDF1 / MOTA / id switches / fragmentation, via ``shelfsight eval tracks``' code):

- the synthetic store's scenario library, rendered by ``shelfsight synth render`` and run through the real
  detector (YOLOX-Nano, conf 0.1) (``--scenario NAME``, repeatable; default: the whole library but the empty
  aisle);
- ground-truth walkers with injected detector noise (misses, low scores when partly hidden, jitter, false
  boxes): crossing shoppers, a pillar that hides passers-by, a busy 5 fps scene (``bench/tracking_scenes.py``).

Cost: tracker ``update`` per frame, median and p99, at 20 and 100 people (synthetic moving boxes, no ReID), and
the ReID model per crop, measured separately.

    python -m bench.bench_tracking     # writes bench/results/tracking.json and its table in bench/README.md
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from bench.report import machine_facts, write_section
from bench.tracking_anchors import Contender, Image, anchors, ours
from bench.tracking_scenes import SCENES, Noise, noisy_detections
from shelfsight.models.registry import resolve_model
from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.detector.onnx import DetectorSettings, OnnxDetector
from shelfsight.vision.evaluation.track_metrics import evaluate_tracks
from shelfsight.vision.tracking.mot import MotTable, mot_table, read_mot
from shelfsight.vision.tracking.reid import OnnxReid, cut_crops
from shelfsight.vision.video import iter_video, open_video

RESULTS = Path(__file__).parent / "results" / "tracking.json"
SHELFSIGHT = Path(sys.executable).parent / "shelfsight"
DETECT_CONF = 0.1
METRIC_KEYS = ("hota", "idf1", "mota", "id_switches", "fragmentations")


def run_tracker(
    contender: Contender, frames: Sequence[FrameDetections], fps: float, images: Iterator[Image] | None
) -> MotTable:
    """The contender's tracks over ``frames`` as a MOTChallenge table (frame numbers 1-based)."""
    step = contender.make(fps)
    rows_f, rows_id, rows_box = [], [], []
    for index, dets in enumerate(frames):
        image = next(images) if images is not None else None
        ids, xyxy = step(dets, image)
        rows_f += [index + 1] * len(ids)
        rows_id += ids.tolist()
        rows_box += [[b[0], b[1], b[2] - b[0], b[3] - b[1]] for b in xyxy.tolist()]
    return mot_table(rows_f, rows_id, np.array(rows_box, np.float64).reshape(-1, 4))


def _score(gt: MotTable, pred: MotTable, frames: int) -> dict[str, Any]:
    values = evaluate_tracks(gt, pred, num_frames=frames).as_dict()
    return {key: values[key] for key in METRIC_KEYS} | {"pred_ids": values["pred_ids"], "gt_ids": values["gt_ids"]}


def noisy_gt_rows(contenders: list[Contender]) -> list[dict[str, Any]]:
    """Every contender on every ground-truth-with-noise scene."""
    rows = []
    for seed, (key, build) in enumerate(SCENES.items()):
        scene = build()
        gt = scene.ground_truth()
        frames = noisy_detections(gt, scene.fps, Noise(), seed=seed)
        for contender in contenders:
            pred = run_tracker(contender, frames, scene.fps, None)
            rows.append({"sequence": scene.name, "key": key, "tracker": contender.name} | _score(gt, pred, len(frames)))
            print(rows[-1], flush=True)
    return rows


def synth_available() -> bool:
    """True when this checkout has the synthetic store and its scenario library."""
    try:
        from shelfsight.vision.synthetic.library import library_names
    except ImportError:
        return False
    return bool(library_names())


def list_scenarios() -> list[str]:
    """The synthetic store's scenario library, less the one with nobody in it."""
    from shelfsight.vision.synthetic.library import library_names

    return [name for name in library_names() if name != "empty_aisle"]


def render_scenario(name: str, folder: Path) -> None:
    """``video.mp4`` and ``gt/gt.txt`` of a library scenario, rendered by `shelfsight synth render`."""
    command = [str(SHELFSIGHT), "synth", "render", name, "--out", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")


def _frames_of(video: Path) -> Iterator[Image]:
    capture, _ = open_video(video)
    for _, _, frame in iter_video(capture):
        yield frame


def detect_video(video: Path, detector: OnnxDetector) -> tuple[list[FrameDetections], float]:
    """The detector's boxes for every frame, with ``captured_at`` from the container's frame rate."""
    capture, info = open_video(video)
    fps = info.fps or 10.0
    frames: list[FrameDetections] = []
    batch: list[Image] = []

    def flush() -> None:
        for dets in detector.detect(batch):
            n = len(frames)
            frames.append(FrameDetections(
                xyxy=dets.xyxy, confidence=dets.confidence, class_id=dets.class_id, frame_seq=n, captured_at=n / fps,
                frame_size=dets.frame_size, camera_id="synthetic",
            ))  # fmt: skip
        batch.clear()

    for _, _, frame in iter_video(capture):
        batch.append(frame)
        if len(batch) == 4:
            flush()
    if batch:
        flush()
    return frames, fps


def synthetic_rows(scenarios: list[str], contenders: list[Contender], reid: OnnxReid) -> list[dict[str, Any]]:
    """Every contender (ours with ReID) on the rendered scenarios, real detector boxes."""
    detector = OnnxDetector(
        resolve_model("yolox_nano_416"), DetectorSettings(conf_threshold=DETECT_CONF, max_batch=4, intra_op_threads=2)
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in scenarios:
            out = Path(tmp) / name
            render_scenario(name, out)
            video, gt = out / "video.mp4", read_mot(out / "gt" / "gt.txt")
            frames, fps = detect_video(video, detector)
            for contender in [ours(reid), *contenders]:
                images = _frames_of(video) if contender.name.endswith("ReID") else None
                pred = run_tracker(contender, frames, fps, images)
                rows.append(
                    {"sequence": f"synthetic {name}", "key": name, "tracker": contender.name}
                    | _score(gt, pred, len(frames))
                )
                print(rows[-1], flush=True)
    return rows


def _moving_boxes(people: int, frames: int, fps: float, seed: int) -> list[FrameDetections]:
    rng = np.random.default_rng(seed)
    start = rng.uniform([0, 250], [1200, 700], (people, 2))
    velocity = rng.uniform(-80, 80, (people, 2))
    out = []
    for k in range(frames):
        foot = start + velocity * k / fps
        foot[:, 0] = np.abs((foot[:, 0] + 1200) % 2400 - 1200)  # bounce inside the image
        h = 110 + 0.32 * np.clip(foot[:, 1], 250, 720)
        xyxy = np.stack([foot[:, 0] - 0.2 * h, foot[:, 1] - h, foot[:, 0] + 0.2 * h, foot[:, 1]], axis=1)
        xyxy += rng.normal(0, 2.0, xyxy.shape)
        scores = rng.uniform(0.3, 0.95, people)
        out.append(FrameDetections(xyxy=xyxy.astype(np.float32), confidence=scores.astype(np.float32),
                                   class_id=np.zeros(people, np.int64), captured_at=k / fps))  # fmt: skip
    return out


def cost_rows(
    contenders: list[Contender], frame: Image | None = None, frames: int = 1500, warmup: int = 100
) -> list[dict[str, Any]]:
    """Per-frame ``update`` time at 20 and 100 people, 10 fps, without ReID.

    With ``frame`` (a real 1280x720 store picture, the same for every step), ours is also timed with pixels,
    so its colour signatures are refreshed and compared as they are on a camera.

    Two clocks per call: wall time (``perf_counter``) and the calling thread's CPU time (``thread_time``). On a
    machine shared with other jobs, wall-time tails include time the process was not running at all; the CPU
    time is the tracker's own cost, and the targets are judged on it. Both are reported.
    """
    rows = []
    for people in (20, 100):
        sequence = _moving_boxes(people, frames + warmup, 10.0, seed=people)
        runs = [
            (ours(), None),
            *(((Contender("shelfsight, with frames", ours().make), frame),) if frame is not None else ()),
        ]
        for contender, image in [*runs, *((c, None) for c in contenders)]:
            step = contender.make(10.0)
            wall, cpu = [], []
            for k, dets in enumerate(sequence):
                started, started_cpu = time.perf_counter(), time.thread_time()
                step(dets, image)
                if k >= warmup:
                    wall.append(time.perf_counter() - started)
                    cpu.append(time.thread_time() - started_cpu)
            wall_ms, cpu_ms = np.array(wall) * 1000.0, np.array(cpu) * 1000.0
            rows.append({
                "tracker": contender.name, "people": people,
                "median_ms": round(float(np.median(wall_ms)), 3), "p99_ms": round(float(np.percentile(wall_ms, 99)), 3),
                "cpu_median_ms": round(float(np.median(cpu_ms)), 3),
                "cpu_p99_ms": round(float(np.percentile(cpu_ms, 99)), 3),
            })  # fmt: skip
            print(rows[-1], flush=True)
    return rows


def reid_cost(reid: OnnxReid, footage: Path, runs: int = 50) -> dict[str, float]:
    """ReID cost per crop (cut + resize + inference), ms: median of ``runs``."""
    frame = next(_frames_of(footage))
    box = np.array([[811.7, 125.9, 902.0, 369.2]], np.float32)
    times = []
    for k in range(runs + 5):
        started = time.perf_counter()
        reid.embed(cut_crops(frame, box, reid.input_hw))
        if k >= 5:
            times.append(time.perf_counter() - started)
    return {"per_crop_median_ms": round(statistics.median(times) * 1000.0, 2)}


def acceptance_lines(accuracy: list[dict[str, Any]]) -> list[str]:
    """Issue 4's bar per synthetic scenario: IDF1 >= 0.85, HOTA >= every anchor's, fewer id switches than
    supervision.ByteTrack (the last one judged on the crossing / occlusion scenarios)."""
    lines = [
        "Acceptance on the synthetic store (ours with ReID):",
        "",
        "| scenario | IDF1 >= 0.85 | HOTA >= every anchor | ID switches vs supervision |",
        "|---|---|---|---|",
    ]
    for key in dict.fromkeys(r["key"] for r in accuracy if r["sequence"].startswith("synthetic")):
        rows = {r["tracker"]: r for r in accuracy if r["key"] == key}
        mine = next(r for name, r in rows.items() if name.startswith("shelfsight"))
        others = [r for name, r in rows.items() if not name.startswith("shelfsight")]
        best = max(others, key=lambda r: r["hota"])
        sv = rows.get("supervision.ByteTrack")
        idf1 = f"{'yes' if mine['idf1'] >= 0.85 else 'NO'} ({mine['idf1']:.3f})"
        hota = f"{'yes' if mine['hota'] >= best['hota'] else 'NO'} ({mine['hota']:.3f} vs {best['hota']:.3f})"
        switches = "n/a" if sv is None else f"{mine['id_switches']} vs {sv['id_switches']}"
        lines.append(f"| {key} | {idf1} | {hota} | {switches} |")
    return lines


def render(results: dict[str, Any]) -> str:
    """The markdown section for bench/README.md."""
    lines = ["Accuracy (TrackEval; higher is better except ID switches and fragmentations):", ""]
    lines += [
        "| sequence | tracker | HOTA | IDF1 | MOTA | ID switches | frag. | ids (gt) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results["accuracy"]:
        lines.append(
            f"| {r['sequence']} | {r['tracker']} | {r['hota']:.3f} | {r['idf1']:.3f} | {r['mota']:.3f} | "
            f"{r['id_switches']} | {r['fragmentations']} | {r['pred_ids']} ({r['gt_ids']}) |"
        )
    if not results["synthetic_store"]:
        lines += ["", "Synthetic store scenarios: not run (no `shelfsight.vision.synthetic` library in this checkout)."]
    else:
        lines += ["", *acceptance_lines(results["accuracy"])]
    lines += [
        "",
        "Cost per frame of `update` (no ReID), 10 fps moving boxes, 1500 frames after 100 warm-up frames; ours"
        " 'with frames' is also given a 1280x720 store picture, so it cuts and compares clothing colour signatures"
        " as on a camera. CPU = the"
        " thread's CPU time (the tracker's own cost); wall = elapsed time, whose tail also holds time this process"
        " waited for the CPU when the machine was shared. Targets (ours): CPU median <= 1 ms and p99 <= 3 ms at 20"
        " people, median <= 5 ms at 100.",
        "",
        "| tracker | people | CPU median ms | CPU p99 ms | wall median ms | wall p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        "| "
        + " | ".join(str(r[k]) for k in ("tracker", "people", "cpu_median_ms", "cpu_p99_ms", "median_ms", "p99_ms"))
        + " |"
        for r in results["cost"]
    ]
    reid_ms = results["reid"]["per_crop_median_ms"]
    lines += [
        "",
        f"ReID (retail-0287, 1 thread): {reid_ms} ms per crop; it runs only when a lost track is re-found after a"
        " long gap or a new track may continue a lost one.",
        "",
    ]
    lines.append(f"Machine: {results['machine']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark; write the JSON results and the README section."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", action="append", default=None, help="synthetic scenario (repeatable)")
    parser.add_argument("--skip-synthetic", action="store_true")
    args = parser.parse_args(argv)
    contenders = anchors()
    reid = OnnxReid(resolve_model("reid_retail_0287"))
    accuracy = noisy_gt_rows([ours(), *contenders])
    synthetic = not args.skip_synthetic and synth_available()
    if synthetic:
        accuracy += synthetic_rows(args.scenario or list_scenarios(), contenders, reid)
    footage = Path(__import__("os").environ.get("SHELFSIGHT_FOOTAGE_DIR", "../shared/footage"))
    results = {
        "accuracy": accuracy,
        "synthetic_store": synthetic,
        "cost": cost_rows(contenders, next(_frames_of(footage / "supermarket_checkout_overhead_1280x720.mp4"))),
        "reid": reid_cost(reid, footage / "supermarket_checkout_overhead_1280x720.mp4"),
        "machine": machine_facts() | {"onnxruntime": ort.__version__, "python": platform.python_version()},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    body = render(results)
    write_section("tracking", body)
    print(body)


if __name__ == "__main__":
    main()
