"""The edge runtime on this machine: how many cameras, how fast, how late, and how fast events leave the box.

    python -m bench.bench_edge                       # all sections; tables into bench/README.md
    python -m bench.bench_edge --sections transport  # one section
    python -m bench.bench_edge --sections cameras --pose blazepose_landmark_full   # cameras with a pose model

Sections:
    transport  Events/s from the disk spool over ZeroMQ (DEALER -> ROUTER, msgpack, acknowledged per batch of
               1000) to a receiver in another process; with and without the aggregator's per-event contract
               validation at the receiver.
    cameras    The most 640x480 cameras at 5 detect fps that `shelfsight edge run` sustains without a dropped
               frame (the synthetic store's busy hour rendered to a file, looped live per camera), with the
               frame-read -> event-acknowledged latency p50/p99 at each load. With ``--pose MODEL`` every camera
               also runs that pose model on its shoppers at shelves (a table of its own).
    ratio      Pipeline throughput in replay (every stage, every frame, as fast as it goes) against the bare
               detector (`session.run` in a loop at the same batch and threads).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.edge_box import Box, cameras_config, start_sink
from bench.report import machine_facts, write_section
from shelfsight.models.registry import resolve_model
from shelfsight.pipeline.demo import free_port
from shelfsight.pipeline.publisher import EventPublisher, PublisherSettings
from shelfsight.pipeline.spool import Spool, SpooledEvent
from shelfsight.vision.detector.letterbox import letterbox_batch
from shelfsight.vision.detector.onnx import DetectorSettings, OnnxDetector
from shelfsight.vision.events.codec import to_msgpack
from shelfsight.vision.events.contract import PickupEvent, ShelfSpot
from shelfsight.vision.events.ids import event_id_for
from shelfsight.vision.synthetic.library import resolve_scenario
from shelfsight.vision.synthetic.story import build_story
from shelfsight.vision.synthetic.writer import write_outputs
from shelfsight.vision.video import iter_video, open_video

RESULTS = Path(__file__).parent / "results" / "edge.json"
SCENARIO = "busy_hour"
WINDOW_S = 30.0


def _events(n: int) -> list[SpooledEvent]:
    """``n`` distinct pickup events as spooled msgpack (about 400 bytes each)."""
    spot = ShelfSpot(spot_id="r2c5", box=(0.4, 0.3, 0.45, 0.36))
    rows = []
    for i in range(n):
        start, shopper = 1767603600.0 + i * 0.01, f"cam-1-{i}"
        eid = event_id_for(store_id="bench-store", camera_id="cam-1", type="pickup", shopper_id=shopper,
                           ts_start=start, extra="shelf-a/r2c5")  # fmt: skip
        event = PickupEvent(event_id=eid, store_id="bench-store", camera_id="cam-1", ts=start + 1.0,
                            confidence=0.8, shopper_id=shopper, ts_start=start, ts_end=start + 1.0,
                            shelf_id="shelf-a", spot=spot)  # fmt: skip
        rows.append(SpooledEvent(str(eid), "cam-1", to_msgpack(event)))
    return rows


def transport(n: int = 200_000) -> dict[str, Any]:
    """Drain ``n`` spooled events to an acknowledging receiver in another process; events/s."""
    with tempfile.TemporaryDirectory() as folder:
        spool = Spool(Path(folder) / "spool.sqlite", max_events=n + 1)
        started = time.perf_counter()
        spool.put(_events(n))
        put_rate = n / (time.perf_counter() - started)
        endpoint = f"tcp://127.0.0.1:{free_port()}"
        sink = start_sink(endpoint)
        publisher = EventPublisher(spool, PublisherSettings(endpoint=endpoint, store_id="bench-store", batch_size=1000))
        time.sleep(1.0)
        started, sent = time.perf_counter(), 0
        while sent < n:
            sent += publisher.step()
        seconds = time.perf_counter() - started
        publisher.close()
        sink.terminate()
        spool.close()
    return {"events": n, "events_per_s": round(n / seconds), "spool_put_events_per_s": round(put_rate)}


def _clip(folder: Path) -> Path:
    outputs = write_outputs(build_story(resolve_scenario(SCENARIO)), folder / "clip")
    assert outputs.video is not None
    return outputs.video


def camera_trial(clip: Path, cameras: int, folder: Path, pose: str | None = None) -> dict[str, Any]:
    """``cameras`` live cameras for `WINDOW_S` after warm-up: frames in and dropped, latency, pose cost."""
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    sink = start_sink(endpoint)
    config = cameras_config(folder, [str(clip)] * cameras, endpoint, pose=pose)
    box = Box(config, folder)
    try:
        names = [f"events:cam-{n}" for n in range(1, cameras + 1)]
        warm = box.wait_until(lambda c: all(c.get(n, {}).get("frames_total", 0) >= 10 for n in names), 180)
        if not warm:
            raise RuntimeError(f"{cameras} cameras did not warm up:\n{box.log.read_text()[-3000:]}")
        time.sleep(5.0)
        before = box.counters()
        time.sleep(WINDOW_S)
        after = box.counters()
    finally:
        box.stop()
        sink.terminate()

    def delta(stage: str, key: str) -> float:
        return after.get(stage, {}).get(key, 0.0) - before.get(stage, {}).get(key, 0.0)

    captures = [f"capture:cam-{n}" for n in range(1, cameras + 1)]
    publisher, detector = after.get("publisher", {}), after.get("detector", {})
    spool_p99 = max(after.get(n, {}).get("frame_to_spool_p99_ms", 0.0) for n in names)
    return {
        "cameras": cameras,
        "frames_read": int(sum(delta(c, "frames_read_total") for c in captures)),
        "dropped": int(sum(delta(c, "frames_dropped_total") for c in captures)),
        "processed_fps": round(sum(delta(n, "frames_total") for n in names) / WINDOW_S, 1),
        "detector_ms_p50": detector.get("detector_p50_ms"),
        "to_spool_p99_ms": round(spool_p99, 1),
        "published_p50_ms": publisher.get("frame_to_published_p50_ms"),
        "published_p99_ms": publisher.get("frame_to_published_p99_ms"),
        "poses_per_s": round(sum(delta(n, "pose_people_total") for n in names) / WINDOW_S, 1),
        "pose_ms_p50": max((after.get(n, {}).get("pose_p50_ms", 0.0) for n in names), default=0.0),
    }


def camera_rows(
    clip: Path, counts: list[int], folder: Path, pose: str | None, *, stop_early: bool = True
) -> list[dict[str, Any]]:
    """`camera_trial` at each count in turn, up to the first that is not sustained when ``stop_early``."""
    rows = []
    for count in counts:
        trial = folder / f"cams-{count}"
        trial.mkdir(parents=True)
        row = camera_trial(clip, count, trial, pose=pose)
        print(json.dumps(row), flush=True)
        rows.append(row)
        if stop_early and not _sustained(row):
            break
    return rows


def bare_detector_fps(clip: Path, batch: int = 4, runs: int = 60) -> float:
    """Frames/s of `session.run` alone in a loop (1 thread, batch ``batch``) on the clip's frames."""
    detector = OnnxDetector(resolve_model("yolox_nano_416"), DetectorSettings(max_batch=batch, intra_op_threads=1))
    capture, _ = open_video(clip)
    images = [frame for index, _, frame in iter_video(capture) if index < batch * 10][::10][:batch]
    layout = detector.layout
    blob, _ = letterbox_batch(images, layout.input_hw, centre=layout.centre_pad, rgb=layout.rgb, scale=layout.scale)
    blob = np.ascontiguousarray(blob)
    times = []
    for run in range(runs + 5):
        started = time.perf_counter()
        detector.session.run(None, {layout.input_name: blob})
        if run >= 5:
            times.append(time.perf_counter() - started)
    return batch / statistics.median(times)


def ratio_trial(clip: Path, cameras: int, folder: Path) -> dict[str, Any]:
    """Replay ``cameras`` copies of the clip; detector frames/s in a steady window against the bare detector."""
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    sink = start_sink(endpoint)
    config = cameras_config(folder, [str(clip)] * cameras, endpoint)
    box = Box(config, folder, replay=True)
    try:
        if not box.wait_until(lambda c: c.get("detector", {}).get("frames_total", 0) >= 40, 180):
            raise RuntimeError(f"replay did not start:\n{box.log.read_text()[-3000:]}")
        time.sleep(5.0)
        first, t0 = box.counters()["detector"]["frames_total"], time.perf_counter()
        time.sleep(WINDOW_S)
        last, t1 = box.counters()["detector"]["frames_total"], time.perf_counter()
    finally:
        box.stop()
        sink.terminate()
    pipeline_fps = (last - first) / (t1 - t0)
    bare = bare_detector_fps(clip)
    return {"cameras": cameras, "pipeline_fps": round(pipeline_fps, 1), "bare_detector_fps": round(bare, 1),
            "ratio": round(pipeline_fps / bare, 3)}  # fmt: skip


def _sustained(row: dict[str, Any]) -> bool:
    """No frame dropped and frames processed at least 97 % as fast as read over the window."""
    return bool(row["dropped"] == 0 and row["processed_fps"] * WINDOW_S >= 0.97 * row["frames_read"])


def _sustained_line(rows: list[dict[str, Any]]) -> list[str]:
    kept_up = [r["cameras"] for r in rows if _sustained(r)]
    return ["", f"Most cameras sustained (no dropped frame, and processed as fast as read, so queues do not grow): "
            f"**{max(kept_up) if kept_up else 0}**. A row with no drops but processing slower than reading is falling "
            "behind: its frames wait in queues (see its latency) until capture starts dropping."]  # fmt: skip


def render(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        f"Machine: {machine['cpu']}, {machine['cores']} cores. Detector: YOLOX-Nano 416, 1 ONNX Runtime thread, "
        "batches of up to 4 across cameras; ReID on; tracker and shelf events per camera."
    ]
    if "transport" in results:
        t = results["transport"]
        lines += [
            "",
            "**Events edge -> aggregator over ZeroMQ** (spool -> DEALER -> ROUTER in another process, msgpack, "
            f"acknowledged batches of 1000): **{t['events_per_s']:,} events/s** for {t['events']:,} events "
            f"(target >= 100,000). Writing them into the spool: {t['spool_put_events_per_s']:,} events/s.",
        ]
    if "cameras" in results:
        lines += ["", f"**Live cameras** (640x480, 5 detect fps each, {SCENARIO} looped from a file; {WINDOW_S:.0f} s "
                  "window after warm-up; events acknowledged by a receiver in another process):", "",
                  "| cameras | frames read | dropped | processed fps | detector ms/frame p50 | frame -> spooled p99 ms "
                  "| frame -> acknowledged p50 ms | p99 ms |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for row in results["cameras"]:
            lines.append(f"| {row['cameras']} | {row['frames_read']} | {row['dropped']} | {row['processed_fps']} | "
                         f"{row['detector_ms_p50']} | {row['to_spool_p99_ms']} | {row['published_p50_ms']} | "
                         f"{row['published_p99_ms']} |")  # fmt: skip
        lines += _sustained_line(results["cameras"])
    if "cameras_pose" in results:
        pose = results["cameras_pose"]
        box = pose.get("machine", machine)
        lines += ["", f"**Live cameras with a pose model** (as above, `pose: {{model: {pose['model']}}}` on each "
                  "camera: BlazePose on its shoppers at shelves, in the track+events stage, 1 thread; measured on "
                  f"{box['cpu']}, {box['cores']} cores, shared with other jobs):", "",
                  "| cameras | frames read | dropped | processed fps | detector ms/frame p50 | pose ms/frame p50 "
                  "(worst camera) | poses/s (all cameras) | frame -> acknowledged p50 ms | p99 ms |",
                  "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for row in pose["rows"]:
            lines.append(f"| {row['cameras']} | {row['frames_read']} | {row['dropped']} | {row['processed_fps']} | "
                         f"{row['detector_ms_p50']} | {row['pose_ms_p50']} | {row['poses_per_s']} | "
                         f"{row['published_p50_ms']} | {row['published_p99_ms']} |")  # fmt: skip
        lines += _sustained_line(pose["rows"])
        if "baseline" in pose:
            plain = [r["cameras"] for r in pose["baseline"] if _sustained(r)]
            lines += ["", f"Without the pose model, in the same session (load average {pose['load_1min']} at its end "
                      f"on {box['cores']} cores): **{max(plain) if plain else 0}** cameras sustained; rows: "
                      + "; ".join(f"{r['cameras']} cameras {r['processed_fps']} fps, {r['dropped']} dropped"
                                  for r in pose["baseline"]) + "."]  # fmt: skip
    if "ratio" in results:
        r = results["ratio"]
        lines += ["", f"**Throughput** (replay of {r['cameras']} cameras, every frame): pipeline {r['pipeline_fps']} "
                  f"frames/s against the bare detector's {r['bare_detector_fps']} (`session.run` loop, batch 4, "
                  f"1 thread): ratio **{r['ratio']}** (target >= 0.85)."]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", nargs="*", default=["transport", "cameras", "ratio"])
    parser.add_argument("--cameras", nargs="*", type=int, default=[2, 4, 6, 8, 10, 12])
    parser.add_argument("--ratio-cameras", type=int, default=4)
    parser.add_argument("--pose", help="pose model on every camera in the cameras section (a manifest name)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if args.pose is None or set(args.sections) != {"cameras"}:
        results["machine"] = machine_facts()  # a pose-only run keeps the facts of the runs behind the other tables
    with tempfile.TemporaryDirectory(prefix="edge-bench-") as tmp:
        folder = Path(tmp)
        if "transport" in args.sections:
            results["transport"] = transport()
            print(json.dumps(results["transport"]), flush=True)
        clip = _clip(folder) if {"cameras", "ratio"} & set(args.sections) else None
        if "cameras" in args.sections and clip is not None:
            rows = camera_rows(clip, args.cameras, folder / "plain", pose=args.pose)
            if args.pose is None:
                results["cameras"] = rows
            else:  # the same counts without pose, in the same session: the box may be busier than last time
                counts = [row["cameras"] for row in rows]
                baseline = camera_rows(clip, counts, folder / "baseline", pose=None, stop_early=False)
                load = round(os.getloadavg()[0], 1)
                results["cameras_pose"] = {"model": args.pose, "rows": rows, "baseline": baseline, "load_1min": load,
                                           "machine": machine_facts()}  # fmt: skip
        if "ratio" in args.sections and clip is not None:
            trial = folder / "ratio"
            trial.mkdir()
            results["ratio"] = ratio_trial(clip, args.ratio_cameras, trial)
            print(json.dumps(results["ratio"]), flush=True)
    table = render(results)
    print(table)
    if not args.no_write:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        write_section("edge", "## Edge runtime\n\n" + table)


if __name__ == "__main__":
    main()
