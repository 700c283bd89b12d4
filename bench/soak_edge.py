"""Memory over a long live run: does any edge process grow?

    python -m bench.soak_edge --minutes 30      # writes bench/results/edge_soak.json and a table

Runs `shelfsight edge run` on the demo config's cameras (synthetic scenes, live, looping) with an acknowledging
receiver standing in for the aggregator, samples every process's resident memory every ``--every`` seconds,
and reports each process at the start (after a minute's warm-up), the end, and its peak.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from rich.progress import Progress

from bench.edge_box import ROOT, Box, rss_mib, start_sink
from bench.report import machine_facts, write_section
from shelfsight.pipeline.demo import free_port

RESULTS = Path(__file__).parent / "results" / "edge_soak.json"
WARMUP_S = 60.0


def soak(minutes: float, every_s: float, folder: Path) -> dict[str, Any]:
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    sink = start_sink(endpoint)
    config = yaml.safe_load((ROOT / "edge_config" / "demo.yaml").read_text())
    config["aggregator"] = {"endpoint": endpoint}
    config.pop("spool", None)
    path = folder / "edge.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    box = Box(path, folder)
    samples: dict[str, list[tuple[float, float]]] = {}
    started = time.monotonic()
    try:
        with Progress() as progress:
            task = progress.add_task("soak", total=minutes * 60 + WARMUP_S)
            while (elapsed := time.monotonic() - started) < minutes * 60 + WARMUP_S:
                for name, pid in box.pids().items():
                    with contextlib.suppress(FileNotFoundError):
                        samples.setdefault(name, []).append((elapsed, rss_mib(pid)))
                progress.update(task, completed=elapsed)
                time.sleep(every_s)
        final = box.status()
    finally:
        box.stop()
        sink.terminate()
    rows = []
    for name, series in sorted(samples.items()):
        steady = [rss for t, rss in series if t >= WARMUP_S]
        if steady:
            last_third = [rss for t, rss in series if t >= WARMUP_S + minutes * 40]
            growth = round(last_third[-1] - last_third[0], 1) if last_third else None
            rows.append({"process": name, "start_mib": round(steady[0], 1), "end_mib": round(steady[-1], 1),
                         "peak_mib": round(max(steady), 1), "last_third_growth_mib": growth})  # fmt: skip
    restarts = {s["name"]: s["restarts"] for s in final["stages"]}
    frames = {s["name"]: s["counters"].get("frames_total") for s in final["stages"] if s["stage"] == "events"}
    return {"minutes": minutes, "rows": rows, "restarts": restarts, "frames": frames, "series": samples}


def render(result: dict[str, Any]) -> str:
    lines = [f"**Memory over a {result['minutes']:.0f}-minute live run** of `edge_config/demo.yaml` (2 synthetic "
             "cameras, 5 detect fps, events acknowledged by a receiver in another process); resident memory per "
             f"process after a {WARMUP_S:.0f} s warm-up and at the end. Restarts during the run: "
             f"{sum(result['restarts'].values())}. Frames through each event stage: "
             + ", ".join(f"{k} {v:.0f}" for k, v in result["frames"].items() if v) + ".", "",
             "| process | start MiB | end MiB | peak MiB | growth over the last third MiB |",
             "|---|---|---|---|---|"]  # fmt: skip
    for row in result["rows"]:
        lines.append(f"| {row['process']} | {row['start_mib']} | {row['end_mib']} | {row['peak_mib']} | "
                     f"{row['last_third_growth_mib']} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--every", type=float, default=10.0, help="Seconds between samples.")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edge-soak-") as tmp:
        result = soak(args.minutes, args.every, Path(tmp))
    result["machine"] = machine_facts()
    table = render(result)
    print(table)
    if not args.no_write:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        write_section("edge_soak", table)


if __name__ == "__main__":
    main()
