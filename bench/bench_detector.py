"""Detector cost: ``session.run`` alone against the whole ``detect`` call, per model and batch size.

The whole call is letterbox + ``session.run`` + decode + NMS + mapping boxes back to the frame, on real
1280x720 frames of the shared supermarket footage. Each figure is the median of ``--runs`` timed calls after
``--warmup`` untimed ones (the two are timed in turn, round by round), with one intra-op thread (the edge
default: the other core captures and tracks).

    python -m bench.bench_detector     # writes bench/results/detector.json and its table in bench/README.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort

from bench.report import machine_facts, write_section
from shelfsight.models.registry import resolve_model
from shelfsight.vision.detector.letterbox import letterbox_batch
from shelfsight.vision.detector.onnx import DetectorSettings, OnnxDetector
from shelfsight.vision.video import iter_video, open_video

FOOTAGE = "supermarket_checkout_overhead_1280x720.mp4"
MODELS = ("yolox_nano_416", "yolov8n_int8_640")
BATCHES = (1, 4)
TARGET_RATIO = 1.15


def _interleaved_medians_ms(calls: list[Callable[[], object]], warmup: int, runs: int) -> list[float]:
    """Median ms of each call, timed in turn within every round so that load drifts hit all alike."""
    for _ in range(warmup):
        for call in calls:
            call()
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(runs):
        for call, series in zip(calls, times, strict=True):
            started = time.perf_counter()
            call()
            series.append(time.perf_counter() - started)
    return [statistics.median(series) * 1000.0 for series in times]


def _frames(count: int) -> list[np.ndarray]:
    footage = Path(os.environ.get("SHELFSIGHT_FOOTAGE_DIR", "../shared/footage")) / FOOTAGE
    capture, _ = open_video(footage)
    frames = [frame for index, _, frame in iter_video(capture) if index % 20 == 0]
    return (frames * count)[:count]


def bench_model(name: str, batch: int, *, warmup: int, runs: int, threads: int) -> dict[str, object]:
    """Time one model at one batch size; returns a row of the results table."""
    settings = DetectorSettings(max_batch=batch, intra_op_threads=threads)
    detector = OnnxDetector(resolve_model(name), settings)
    images = _frames(batch)
    layout = detector.layout
    blob, _ = letterbox_batch(images, layout.input_hw, centre=layout.centre_pad, rgb=layout.rgb, scale=layout.scale)
    blob = blob.copy()
    session, feed_name, step = detector.session, layout.input_name, detector.batch_limit

    def session_only() -> None:
        for start in range(0, batch, step):
            session.run(None, {feed_name: blob[start : start + step]})

    run_ms, detect_ms = _interleaved_medians_ms([session_only, lambda: detector.detect(images)], warmup, runs)
    return {
        "model": name,
        "batch": batch,
        "graph_batch": step,
        "session_run_ms": round(run_ms, 2),
        "detect_ms": round(detect_ms, 2),
        "per_frame_ms": round(detect_ms / batch, 2),
        "ratio": round(detect_ms / run_ms, 3),
        "boxes": sum(len(d) for d in detector.detect(images)),
    }


def render_table(rows: list[dict[str, object]], threads: int, runs: int) -> str:
    lines = [
        f"Median of {runs} runs after warm-up, {threads} intra-op thread(s), real 1280x720 frames "
        f"({FOOTAGE}). Target: detect / session.run <= {TARGET_RATIO}.",
        "",
        "| model | batch | frames per session.run | session.run ms | whole detect ms | ms per frame | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['model']} | {row['batch']} | {row['graph_batch']} | {row['session_run_ms']} | "
            f"{row['detect_ms']} | {row['per_frame_ms']} | {row['ratio']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    parser.add_argument("--no-write", action="store_true", help="Print only; leave bench/ files alone.")
    args = parser.parse_args()
    rows = []
    for name in args.models:
        for batch in BATCHES:
            row = bench_model(name, batch, warmup=args.warmup, runs=args.runs, threads=args.threads)
            print(json.dumps(row), flush=True)
            rows.append(row)
    table = render_table(rows, args.threads, args.runs)
    print(table)
    if not args.no_write:
        facts = machine_facts() | {"onnxruntime": ort.__version__, "python": platform.python_version()}
        out = Path(__file__).parent / "results" / "detector.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps({"machine": facts, "rows": rows}, indent=2) + "\n")
        write_section("detector", table + f"\n\nMachine: {facts}")


if __name__ == "__main__":
    main()
