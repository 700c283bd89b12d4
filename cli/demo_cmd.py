"""`shelfsight demo`: the synthetic store through the edge runtime into the dashboard, on this machine."""

from __future__ import annotations

import logging
import shutil
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import DownloadColumn, Progress

from shelfsight.cli.options import fail
from shelfsight.edge_config.loader import load_config
from shelfsight.edge_config.problems import ConfigError
from shelfsight.models.fetch import Progress as FetchProgress
from shelfsight.models.registry import ModelNotFoundError, ModelSpec, models_folder, shelfsight_command
from shelfsight.pipeline.demo import (
    DemoRun,
    StageWatch,
    edge_config_for,
    free_port,
    ingest_endpoint,
    start_dashboard,
    start_edge,
    stop,
)
from shelfsight.pipeline.model_preflight import fetch_missing, missing_message, missing_models, needed_models

DEMO_CONFIG = Path(__file__).resolve().parents[1] / "edge_config" / "demo.yaml"
STAGE_LOOK_S = 2.0
"""How often the demo asks the edge runtime whether a stage was restarted (seconds)."""


class _Stop(Exception):
    """SIGTERM or Ctrl-C: leave the wait and shut both processes down in order."""


def _raise_stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


def ensure_models(config: Path, *, fetch: bool) -> None:
    """The pre-flight: every model file ``config`` needs is present, or is fetched now (a progress bar per
    file), or the command stops with one message naming each missing file and the exact command to get it."""
    try:
        loaded = load_config(config)
        missing = missing_models(needed_models(loaded, config_dir=config.resolve().parent))
    except (ConfigError, ModelNotFoundError) as exc:
        fail(f"{exc}\n(check the file with `{shelfsight_command()} config check {config}`)", code=2)
    folder = models_folder()
    # Each failed download is in the message below; the fetcher's own log lines would only repeat it.
    logging.getLogger("shelfsight.models.fetch").setLevel(logging.WARNING)
    if missing and fetch:
        typer.echo(f"fetching {len(missing)} missing model file(s) into {folder}", err=True)
        with Progress(*Progress.get_default_columns(), DownloadColumn(), console=Console(stderr=True)) as bar:

            def row(spec: ModelSpec) -> FetchProgress:
                task = bar.add_task(spec.name, total=spec.size_bytes)
                return lambda done, total: bar.update(task, completed=done, total=total)

            missing = fetch_missing(missing, folder, progress=row)
    if missing:
        fail(missing_message(missing, folder), code=2)


def demo(
    config: Annotated[Path, typer.Option(help="Edge config of the demo store.", exists=True)] = DEMO_CONFIG,
    out: Annotated[Path, typer.Option(help="Folder for the database, spool and logs.")] = Path("runs/demo"),
    port: Annotated[int, typer.Option(min=0, help="Dashboard port (0 picks a free one).")] = 8000,
    serve_for: Annotated[
        float | None, typer.Option(min=0.0, help="Stop after this many seconds [default: Ctrl-C].")
    ] = None,
    fetch: Annotated[
        bool, typer.Option(help="Download missing models that have a download source before starting.")
    ] = True,
) -> None:
    """Check that every model the config needs is in the models folder (fetching what can be downloaded), then
    start the aggregator and dashboard, then the edge runtime on the demo's synthetic cameras."""
    ensure_models(config, fetch=fetch)
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
        status = f"{shelfsight_command()} edge status --url http://127.0.0.1:{health_port}"
        typer.echo(f"edge box:    {status}  (log: {out / 'edge.log'})")
        typer.echo(f"new token:   {shelfsight_command()} tokens create --db {out / 'shelfsight.db'}")
        typer.echo(
            "The synthetic cameras run live and loop; events reach the dashboard within a minute. "
            "Ctrl-C stops everything.",
            err=True,
        )
        deadline = None if serve_for is None else time.monotonic() + serve_for
        watch, next_look = StageWatch(f"http://127.0.0.1:{health_port}", out / "edge.log"), 0.0
        while deadline is None or time.monotonic() < deadline:
            if edge.poll() is not None:
                fail(f"the edge runtime stopped (status {edge.returncode}); see {out / 'edge.log'}")
            if dashboard.process.poll() is not None:
                fail(f"the aggregator stopped (status {dashboard.process.returncode})")
            if time.monotonic() >= next_look:
                for line in watch.news():
                    typer.secho(line, fg=typer.colors.RED, err=True)
                next_look = time.monotonic() + STAGE_LOOK_S
            time.sleep(0.5)
    except _Stop:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop(edge)  # the edge first: its last events are spooled and sent while the aggregator still listens
        stop(dashboard.process)
