"""Event-stage cost per camera frame: zones + dwell + reach + shelf state, at 10 (and 30) shoppers.

A 640x480 camera with two shelf units and the standing zones in front of them (as in edge_config/demo.yaml),
and N shoppers walking, stopping and reaching (boxes moving along seeded random paths), on a textured shelf
image. Median and p99 over ``--frames`` frames after a warm-up.

    python -m bench.bench_events        # writes bench/results/events.json and its table in bench/README.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from bench.report import machine_facts, write_section
from vision.detections import FrameDetections
from vision.events.dwell import DwellRule, FloorZone
from vision.events.engine import CameraEventEngine, CameraZones
from vision.zones import Zone

FRAME_HW = (480, 640)
T0 = 1_767_603_600.0
FPS = 5.0


def _zones() -> CameraZones:
    shelves = (
        Zone.from_normalised("shelf-a", "shelf", [(0.05, 0.15), (0.48, 0.15), (0.48, 0.55), (0.05, 0.55)], FRAME_HW),
        Zone.from_normalised("shelf-b", "shelf", [(0.52, 0.15), (0.95, 0.15), (0.95, 0.55), (0.52, 0.55)], FRAME_HW),
    )
    floor = []
    for shelf, x0 in zip(shelves, (0.05, 0.52), strict=True):
        polygon = [(x0, 0.6), (x0 + 0.43, 0.6), (x0 + 0.43, 0.95), (x0, 0.95)]
        zone = Zone.from_normalised(f"{shelf.zone_id}-front", "standing", polygon, FRAME_HW, shelf.zone_id)
        floor.append(FloorZone(zone, DwellRule()))
    return CameraZones(tuple(floor), shelves)


def _shelf_image(rng: np.random.Generator) -> np.ndarray:
    image = np.full((*FRAME_HW, 3), 120, np.uint8)
    for x in range(32, 608, 24):
        for y in range(72, 264, 40):
            cv2.rectangle(image, (x, y), (x + 20, y + 34), tuple(int(c) for c in rng.integers(20, 200, 3)), -1)
    return image


def _boxes(rng: np.random.Generator, people: int, frames: int) -> np.ndarray:
    """(frames, people, 4) boxes: each shopper walks between random stops, sometimes with an arm out."""
    height = rng.uniform(180, 260, people)
    x = rng.uniform(40, 600, people)
    target = rng.uniform(40, 600, people)
    out = np.empty((frames, people, 4), np.float32)
    for f in range(frames):
        step = np.clip(target - x, -8, 8)
        x += step
        arrived = np.abs(target - x) < 1
        target = np.where(arrived & (rng.random(people) < 0.05), rng.uniform(40, 600, people), target)
        width = 0.35 * height * np.where(arrived & (rng.random(people) < 0.3), 1.5, 1.0)
        out[f] = np.stack([x - width / 2, 440 - height, x + width / 2, np.full(people, 440.0)], axis=1)
    return out


def bench(people: int, frames: int, seed: int = 0) -> dict[str, float]:
    """Median and p99 ms of ``CameraEventEngine.update`` per frame with ``people`` shoppers in view."""
    rng = np.random.default_rng(seed)
    engine = CameraEventEngine(store_id="bench", camera_id="cam1", zones=_zones())
    image, boxes = _shelf_image(rng), _boxes(rng, people, frames)
    ids = np.arange(1, people + 1, dtype=np.int64)
    times = []
    for f in range(frames):
        tracks = FrameDetections(
            boxes[f], np.full(people, 0.8, np.float32), np.zeros(people, np.int64), tracker_id=ids,
            camera_id="cam1", frame_seq=f, captured_at=T0 + f / FPS, frame_size=FRAME_HW,
        )  # fmt: skip
        started = time.perf_counter()
        engine.update(tracks, image)
        times.append((time.perf_counter() - started) * 1000)
    steady = times[20:]
    return {
        "people": people,
        "median_ms": round(statistics.median(steady), 3),
        "p99_ms": round(float(np.percentile(steady, 99)), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    rows = [bench(people, args.frames) for people in (10, 30)]
    lines = [
        f"Event stage (zones + dwell + reach + shelf state), 640x480, 2 shelves + 2 standing zones, {args.frames} "
        "frames at 5 fps, one thread. Target: <= 2 ms median at 10 shoppers.",
        "",
        "| shoppers in view | median ms / frame | p99 ms / frame |",
        "|---|---|---|",
        *[f"| {r['people']} | {r['median_ms']} | {r['p99_ms']} |" for r in rows],
    ]
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        out = Path(__file__).parent / "results" / "events.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps({"machine": machine_facts(), "rows": rows}, indent=2) + "\n")
        write_section("events", table)


if __name__ == "__main__":
    main()
