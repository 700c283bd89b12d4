"""`shelfsight demo`: the synthetic store through the edge runtime into the dashboard, on this machine."""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from pipeline.cli.options import fail
from pipeline.demo import DemoRun, edge_config_for, free_port, ingest_endpoint, start_dashboard, start_edge, stop

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "edge_config" / "demo.yaml"


class _Stop(Exception):
    """SIGTERM or Ctrl-C: leave the wait and shut both processes down in order."""


def _raise_stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


def demo(
    config: Annotated[Path, typer.Option(help="Edge config of the demo store.", exists=True)] = DEMO_CONFIG,
    out: Annotated[Path, typer.Option(help="Folder for the database, spool and logs.")] = Path("runs/demo"),
    port: Annotated[int, typer.Option(min=0, help="Dashboard port (0 picks a free one).")] = 8000,
    serve_for: Annotated[
        float | None, typer.Option(min=0.0, help="Stop after this many seconds [default: Ctrl-C].")
    ] = None,
) -> None:
    """Start the aggregator and dashboard, then the edge runtime on the demo's synthetic cameras."""
    run = DemoRun(config=config, out_dir=out, port=port)
    for name in ("shelfsight.db", "spool"):  # a fresh store each run
        shutil.rmtree(out / name, ignore_errors=True)
        for suffix in ("", "-wal", "-shm"):
            (out / f"{name}{suffix}").unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    endpoint = ingest_endpoint()
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    try:
        dashboard = start_dashboard(run, endpoint)
    except RuntimeError as exc:
        fail(f"{exc} (is port {port} free? try --port 0)", code=2)
    health_port = free_port()
    edge = start_edge(edge_config_for(run, endpoint), out, health_port)
    try:
        typer.echo(f"dashboard:   {dashboard.url}/")
        typer.echo(f"sign in:     {dashboard.sign_in}")
        typer.echo(f"admin token: {dashboard.token}")
        status = f"shelfsight edge status --url http://127.0.0.1:{health_port}"
        typer.echo(f"edge box:    {status}  (log: {out / 'edge.log'})")
        typer.echo("The synthetic cameras run live and loop; events reach the dashboard within a minute. "
                   "Ctrl-C stops everything.", err=True)  # fmt: skip
        deadline = None if serve_for is None else time.monotonic() + serve_for
        while deadline is None or time.monotonic() < deadline:
            if edge.poll() is not None:
                fail(f"the edge runtime stopped (status {edge.returncode}); see {out / 'edge.log'}")
            if dashboard.process.poll() is not None:
                fail(f"the aggregator stopped (status {dashboard.process.returncode})")
            time.sleep(0.5)
    except _Stop:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop(edge)  # the edge first: its last events are spooled and sent while the aggregator still listens
        stop(dashboard.process)
