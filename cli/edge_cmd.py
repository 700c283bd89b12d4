"""`shelfsight edge run CONFIG` (the production runtime) and `shelfsight edge status`."""

from __future__ import annotations

import json
import os
import signal
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from shelfsight.cli.options import ModelsDirOption, fail
from shelfsight.models.registry import ModelNotFoundError

if TYPE_CHECKING:
    from shelfsight.pipeline.edge.status import EdgeStatus

app = typer.Typer(help="The edge runtime: cameras -> detect -> track -> events -> aggregator.", no_args_is_help=True)

DEFAULT_HEALTH_PORT = 9108


@app.command()
def run(
    config: Annotated[Path, typer.Argument(help="The edge config (see docs/config.md).", exists=True, dir_okay=False)],
    replay: Annotated[
        bool,
        typer.Option(help="Process files and synthetic scenes once, every frame, then drain and exit (backfills)."),
    ] = False,
    health_port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port of /metrics, /status, /healthz on 127.0.0.1 (0: any free).")
    ] = DEFAULT_HEALTH_PORT,
    models_dir: ModelsDirOption = None,
    spool_dir: Annotated[Path | None, typer.Option(help="Spool folder [default: the config's spool folder].")] = None,
    detector_threads: Annotated[int, typer.Option(min=1, help="ONNX Runtime threads of the detector.")] = 1,
    max_batch: Annotated[int, typer.Option(min=1, help="Most frames per detector call (across cameras).")] = 4,
    reid: Annotated[bool, typer.Option(help="Re-link occluded shoppers by appearance (ReID model).")] = True,
    drain_timeout: Annotated[float, typer.Option(min=0.0, help="Replay: seconds to let the spool drain.")] = 60.0,
    run_dir: Annotated[Path | None, typer.Option(help="Folder of the stages' ipc sockets [default: temp].")] = None,
    spool_audit: Annotated[
        bool, typer.Option(hidden=True, help="Keep every spooled event id in the spool (benchmarks: what was made).")
    ] = False,
) -> None:
    """Run every stage as its own process, restart those that die, stop cleanly on SIGTERM or Ctrl-C."""
    import logging

    from shelfsight.edge_config.loader import check_config
    from shelfsight.pipeline.edge.health import HealthServer
    from shelfsight.pipeline.edge.supervisor import EdgeOptions, Supervisor
    from shelfsight.pipeline.edge.zones_page import TOKEN_ENV, TOKEN_FILE, USER, ZonesPage, edge_token

    warnings: list[str] = []
    problems = check_config(config, models_dir=models_dir, warnings=warnings, reid=reid)
    if problems:
        fail("\n".join(str(p) for p in problems), code=2)
    for warning in warnings:
        logging.getLogger(__name__).warning("config %s: %s", config, warning)
    level = logging.getLevelName(logging.getLogger().level)
    options = EdgeOptions(
        replay=replay,
        models_dir=models_dir,
        spool_dir=spool_dir,
        detector_threads=detector_threads,
        max_batch=max_batch,
        reid=reid,
        log_level=str(level),
        drain_timeout_s=drain_timeout,
        run_dir=run_dir,
        spool_audit=spool_audit,
    )
    try:
        supervisor = Supervisor(config, options)
    except (ModelNotFoundError, OSError) as exc:
        fail(exc, code=2)
    try:
        token = edge_token(supervisor.spool_folder)
    except OSError as exc:
        fail(f"cannot keep the zones page's token in {supervisor.spool_folder}: {exc}", code=2)
    zones = ZonesPage(supervisor.config_path, supervisor.spool_folder, token, models_dir=models_dir)
    health = HealthServer(supervisor.snapshot, port=health_port, zones=zones)
    health.start()
    password = f"${TOKEN_ENV}" if os.environ.get(TOKEN_ENV) else str(supervisor.spool_folder / TOKEN_FILE)
    typer.echo(
        f"edge: store {supervisor.config.store_id}, {len(supervisor.config.cameras)} camera(s); "
        f"health {health.url}/metrics, status {health.url}/status; "
        f"zones {health.url}/zones (user {USER}, password in {password})",
        err=True,
    )

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        supervisor.request_stop()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        code = supervisor.run()
    finally:
        health.close()
    raise typer.Exit(code)


@app.command()
def status(
    url: Annotated[str, typer.Option(help="The box's health endpoint.")] = f"http://127.0.0.1:{DEFAULT_HEALTH_PORT}",
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw status JSON.")] = False,
) -> None:
    """Show every stage of a running edge box: process, restarts, frames, drops, latency, spool; exit 1 on a
    problem (a stage down, the spool's disk full)."""
    from pydantic import ValidationError

    from shelfsight.pipeline.edge.status import EdgeStatus, problems

    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/status", timeout=5) as response:
            raw: Any = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        fail(f"no edge runtime answers at {url} ({exc}); is `shelfsight edge run` running?", code=1)
    try:
        state = EdgeStatus.model_validate(raw)
    except ValidationError as exc:
        fail(f"{url}/status is not an edge runtime's status ({exc.error_count()} problems: {exc.errors()[0]['msg']})")
    found = problems(state)
    if as_json:
        typer.echo(json.dumps(raw, indent=2))
    else:
        Console(width=160).print(status_table(state))
        for line in found:
            typer.secho(f"problem: {line}", fg=typer.colors.RED)
    if found:
        raise typer.Exit(1)


SHOWN = (
    ("fps_in", "fps in"),
    ("frames_total", "frames"),
    ("frames_dropped_total", "dropped"),
    ("reconnects_total", "reopened"),
    ("p99_ms", "p99 ms"),
    ("pose_p50_ms", "pose ms/frame"),
    ("pose_people_total", "poses"),
    ("spool_events", "spool"),
    ("bad_messages_total", "bad msgs"),
)
LATENCIES = ("detector_p99_ms", "frame_to_spool_p99_ms", "frame_to_published_p99_ms")
"""The latency each stage reports: detector call, frame read -> events spooled, frame read -> acknowledged."""


def status_table(state: EdgeStatus) -> Table:
    """The status as a table: one row per stage, the counters that matter to whoever looks after the box."""
    table = Table(title=f"store {state.store_id} - up {state.uptime_s:.0f} s")
    table.add_column("stage", no_wrap=True)
    for header in ("pid", "state", "restarts", "beat age s", *(label for _, label in SHOWN)):
        table.add_column(header, justify="right")
    for stage in state.stages:
        counters: dict[str, float | None] = dict(stage.counters)
        counters.setdefault("frames_total", counters.get("frames_sent_total"))
        counters["p99_ms"] = next((counters[k] for k in LATENCIES if k in counters), None)
        age = stage.heartbeat_age_s
        table.add_row(
            stage.name,
            str(stage.pid),
            stage.state(),
            str(stage.restarts),
            "-" if age is None else f"{age:.1f}",
            *(_cell(counters.get(key)) for key, _ in SHOWN),
        )
    return table


def _cell(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
