"""Chaos: the demo box live for a while, with `kill -9` of its stages and of the aggregator and one full disk.

    python -m bench.chaos_edge --minutes 30      # writes bench/results/edge_chaos.json and a table

Runs `shelfsight serve` (the aggregator, SQLite) and `shelfsight edge run edge_config/demo.yaml` (2 synthetic
cameras, live) with the spool on a small real filesystem (a tmpfs mounted here: run as root). Every 30-90 s
(seeded) one of them is killed with SIGKILL: a capture, the detector, an event stage, the publisher (the
supervisor restarts those), or the aggregator (restarted here after a few seconds). Once, in the middle of the
run, the spool's disk is filled to the last byte for a while. At the end the aggregator is left up until the
spool has drained, then the box is stopped.

"Produced" is counted independently of the aggregator: the spool keeps every event id it ever accepted, in the
same transaction as the event (`shelfsight edge run --spool-audit`). Then

    lost    = produced - stored at the aggregator - still in the spool      (must be 0)
    doubled = rows stored - distinct ids stored                             (must be 0: deduped by event_id)

and the duplicates the aggregator received (and deduped) show whether a restart sent the spool again. Events
an event stage made but had not yet stored when it was killed (open visits, a frame in flight) were never
produced in this sense: they are not counted here, the same as on a real box.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.edge_box import ROOT, SHELFSIGHT, Box
from bench.report import machine_facts, write_section
from shelfsight.pipeline.demo import free_port

RESULTS = Path(__file__).parent / "results" / "edge_chaos.json"
STAGE_TARGETS = ("capture:aisle-cam", "capture:endcap-cam", "detector", "events:aisle-cam", "events:endcap-cam",
                 "publisher")  # fmt: skip
DRAIN_TIMEOUT_S = 300.0


class Aggregator:
    """`shelfsight serve` on a fixed database and ingest port, so it can be killed and started again."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.ingest = folder, f"tcp://127.0.0.1:{free_port()}"
        self.process: subprocess.Popen[str] | None = None
        self.url = self.token = ""
        self.duplicates_before = 0
        """Duplicates counted by earlier runs of the aggregator (each run counts from zero)."""
        self.last_stats: dict[str, Any] = {}
        self.stored_rows: list[dict[str, Any]] = []

    def start(self) -> None:
        command = [SHELFSIGHT, "serve", "--db", str(self.folder / "aggregator.db"), "--ingest", self.ingest,
                   "--host", "127.0.0.1", "--port", "0", "--retention-days", "36500"]  # fmt: skip
        log = (self.folder / "serve.log").open("a")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
        lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=_forward, args=(self.process.stdout, lines), daemon=True).start()
        printed: dict[str, str] = {}
        while "admin token" not in printed:
            key, _, value = lines.get(timeout=120).strip().partition(": ")
            printed[key] = value.strip()
        self.url, self.token = printed["dashboard"].rstrip("/"), printed["admin token"].split()[0]
        self.last_stats = {}

    def get(self, path: str) -> Any:
        request = urllib.request.Request(f"{self.url}{path}", headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def poll_stats(self) -> None:
        with contextlib.suppress(urllib.error.URLError, OSError, ValueError):
            self.last_stats = dict(self.get("/api/v1/admin/ingest"))

    @property
    def duplicates(self) -> int:
        return self.duplicates_before + int(self.last_stats.get("duplicates", 0))

    def kill(self) -> None:
        self.poll_stats()
        self.duplicates_before = self.duplicates
        assert self.process is not None
        self.process.kill()
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(60)

    def event_ids(self) -> list[str]:
        request = urllib.request.Request(f"{self.url}/api/v1/events.ndjson",
                                         headers={"Authorization": f"Bearer {self.token}"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=300) as response:
            rows = [json.loads(line) for line in response.read().decode().splitlines() if line.strip()]
        self.stored_rows = rows
        return [row["event_id"] for row in rows]


def _forward(stream: Any, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


@contextlib.contextmanager
def small_disk(path: Path, size_mib: int) -> Any:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}m", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=False)


def fill(folder: Path) -> Path:
    path = folder / "filler"
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    for chunk in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
        with contextlib.suppress(OSError):
            while True:
                os.write(descriptor, bytes(chunk))
    os.close(descriptor)
    return path


@dataclass
class Watch:
    """What the box's /status said, kept per process (counters restart with each process)."""

    lost: dict[tuple[str, int], float] = field(default_factory=dict)
    dropped_disk: dict[tuple[str, int], float] = field(default_factory=dict)
    disk_full_seen: set[str] = field(default_factory=set)

    def look(self, box: Box) -> dict[str, Any]:
        state = box.status()
        for stage in state["stages"]:
            key = (stage["name"], stage["pid"] or 0)
            counters = stage["counters"]
            if stage["stage"] == "events":
                self.lost[key] = counters.get("events_lost_total", 0.0)
                self.dropped_disk[key] = counters.get("frames_dropped_total", 0.0)
            if counters.get("disk_full", 0):
                self.disk_full_seen.add(stage["name"])
        return state


def run(minutes: float, seed: int, disk_mib: int, every: tuple[float, float], folder: Path) -> dict[str, Any]:
    rng = random.Random(seed)
    aggregator = Aggregator(folder)
    aggregator.start()
    config = yaml.safe_load((ROOT / "edge_config" / "demo.yaml").read_text())
    config["aggregator"] = {"endpoint": aggregator.ingest}
    config.pop("spool", None)
    (folder / "edge.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    kills: list[dict[str, Any]] = []
    watch = Watch()
    with small_disk(folder / "disk", disk_mib) as disk:
        box = Box(folder / "edge.yaml", folder, extra=("--spool-dir", str(disk), "--spool-audit"))
        try:
            if not box.wait_until(lambda c: all(c.get(f"events:{cam}", {}).get("frames_total", 0) > 0
                                                for cam in ("aisle-cam", "endcap-cam")), 300):  # fmt: skip
                raise RuntimeError(f"the box did not start:\n{box.log.read_text()[-3000:]}")
            started = time.monotonic()
            end = started + minutes * 60
            disk_at = started + minutes * 60 * rng.uniform(0.35, 0.55)
            disk_for = min(120.0, minutes * 60 * 0.1)
            filler: Path | None = None
            disk_episode: dict[str, float] = {}
            next_kill = started + rng.uniform(*every)
            while time.monotonic() < end:
                now = time.monotonic()
                watch.look(box)
                aggregator.poll_stats()
                if filler is None and not disk_episode and now >= disk_at:
                    filler = fill(disk)
                    disk_episode["at_s"] = round(now - started, 1)
                elif filler is not None and now >= disk_at + disk_for:
                    filler.unlink()
                    filler = None
                    disk_episode["seconds"] = round(disk_for, 1)
                if now >= next_kill:
                    kills.append(_kill_one(rng, box, aggregator, started))
                    next_kill = time.monotonic() + rng.uniform(*every)
                time.sleep(2.0)
            if filler is not None:
                filler.unlink()
            drained = box.wait_until(lambda c: c.get("publisher", {}).get("spool_events", 1) == 0, DRAIN_TIMEOUT_S)
            final = watch.look(box)
            box.stop()
            produced = _spool_ids(disk, "SELECT DISTINCT event_id FROM written")
            pending = _spool_ids(disk, "SELECT DISTINCT event_id FROM events")
        finally:
            box.stop()
    aggregator.poll_stats()
    try:
        stored = aggregator.event_ids()
        statuses = Counter((row["status"], row["reason"]) for row in aggregator.stored_rows
                           if row["type"] == "camera_status")  # fmt: skip
    finally:
        aggregator.stop()
    lost = produced - set(stored) - pending
    return {
        "minutes": minutes, "seed": seed, "disk_mib": disk_mib, "every_s": list(every), "kills": kills,
        "kills_by_target": dict(Counter(k["target"] for k in kills)),
        "restarts": {s["name"]: s["restarts"] for s in final["stages"]},
        "disk_episode": disk_episode, "disk_full_seen_by": sorted(watch.disk_full_seen),
        "frames_dropped_by_event_stages": sum(watch.dropped_disk.values()),
        "events_lost_counted": sum(watch.lost.values()),
        "produced": len(produced), "stored_rows": len(stored), "stored_distinct": len(set(stored)),
        "pending_in_spool": len(pending), "lost": len(lost), "lost_examples": sorted(lost)[:10],
        "doubled_after_dedupe": len(stored) - len(set(stored)), "duplicates_received": aggregator.duplicates,
        "drained": drained, "stored_not_produced": len(set(stored) - produced),
        "status_reasons": {f"{status}: {reason}": n for (status, reason), n in statuses.most_common()},
    }  # fmt: skip


def _kill_one(rng: random.Random, box: Box, aggregator: Aggregator, started: float) -> dict[str, Any]:
    target = rng.choice((*STAGE_TARGETS, "aggregator"))
    at = round(time.monotonic() - started, 1)
    if target == "aggregator":
        aggregator.kill()
        down_s = rng.uniform(3.0, 20.0)
        time.sleep(down_s)  # the outage itself, not a synchronisation
        aggregator.start()
        return {"at_s": at, "target": target, "down_s": round(down_s, 1)}
    pid = box.pids().get(target)
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return {"at_s": at, "target": target, "pid": pid}


def _spool_ids(folder: Path, query: str) -> set[str]:
    with contextlib.closing(sqlite3.connect(folder / "events.sqlite")) as db:
        return {row[0] for row in db.execute(query)}


def render(result: dict[str, Any]) -> str:
    kills = ", ".join(f"{target} {n}" for target, n in sorted(result["kills_by_target"].items()))
    episode = result["disk_episode"]
    lines = [
        f"**Chaos: {result['minutes']:.0f} minutes of the demo box live** (`edge_config/demo.yaml`, 2 synthetic "
        f"cameras at 5 detect fps, `shelfsight serve` on SQLite), seed {result['seed']}. SIGKILL every "
        f"{result['every_s'][0]:.0f}-{result['every_s'][1]:.0f} s: "
        f"{len(result['kills'])} kills ({kills}). Spool on a {result['disk_mib']} MiB tmpfs, filled to the last "
        f"byte for {episode.get('seconds', 0):.0f} s from minute {episode.get('at_s', 0) / 60:.1f}: seen by "
        f"{', '.join(result['disk_full_seen_by']) or 'no stage'}; frames dropped by the event stages "
        f"{result['frames_dropped_by_event_stages']:.0f}. Restarts by the supervisor: "
        + ", ".join(f"{k} {v}" for k, v in result["restarts"].items()) + ".",
        "",
        "| produced (spool audit) | stored at the aggregator | still in the spool | lost | doubled after dedupe "
        "| duplicates received (deduped) | events lost, counted by the box |",
        "|---|---|---|---|---|---|---|",
        f"| {result['produced']} | {result['stored_distinct']} | {result['pending_in_spool']} | **{result['lost']}** "
        f"| **{result['doubled_after_dedupe']}** | {result['duplicates_received']} | "
        f"{result['events_lost_counted']:.0f} |",
        "",
        "Camera statuses stored (status: reason, count): "
        + "; ".join(f"{k} {v}" for k, v in result["status_reasons"].items()) + ".",
    ]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--disk-mib", type=int, default=64, help="Size of the spool's filesystem.")
    parser.add_argument("--every", type=float, nargs=2, default=(30.0, 90.0), metavar=("LOW_S", "HIGH_S"),
                        help="Seconds between kills, drawn uniformly.")  # fmt: skip
    parser.add_argument("--folder", type=Path, help="Keep the logs, databases and spool here [default: temporary].")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edge-chaos-") as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        result = run(args.minutes, args.seed, args.disk_mib, tuple(args.every), folder)
    result["machine"] = machine_facts()
    table = render(result)
    print(table)
    if not args.no_write:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        write_section("edge_chaos", table)
    if result["lost"] or result["doubled_after_dedupe"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
