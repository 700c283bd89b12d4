"""`shelfsight demo`: a synthetic store through the event pipeline into the dashboard, on this machine."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.options import fail
from pipeline.demo import DemoRun, ingest_endpoint, process_scenario, publish, start_dashboard


def demo(
    scenario: Annotated[str, typer.Option(help="Synthetic scenario: a library name or random-SEED.")] = "busy_hour",
    out: Annotated[Path, typer.Option(help="Folder for the rendered store, events, spool and database.")] = Path(
        "runs/demo"
    ),
    port: Annotated[int, typer.Option(min=0, help="Dashboard port (0 picks a free one).")] = 8000,
    serve_for: Annotated[
        float | None, typer.Option(min=0.0, help="Stop the dashboard after this many seconds [default: Ctrl-C].")
    ] = None,
) -> None:
    """Render a synthetic store, detect/track/find events, publish them over ZeroMQ to the dashboard."""
    run = DemoRun(scenario=scenario, out_dir=out, port=port)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("shelfsight.db", "spool.db"):  # a fresh store each run, with its WAL side files
        for suffix in ("", "-wal", "-shm"):
            (out / f"{name}{suffix}").unlink(missing_ok=True)
    endpoint = ingest_endpoint()
    try:
        dashboard = start_dashboard(run, endpoint)
    except RuntimeError as exc:
        fail(f"{exc} (is port {port} free? try --port 0)", code=2)
    try:
        result = process_scenario(run)
        store_id = "synth-store"
        sent = publish(result.events_path, out / "spool.db", endpoint=endpoint, store_id=store_id)
        counts = ", ".join(f"{kind}={n}" for kind, n in sorted(result.events.items()))
        typer.echo(f"\nscenario {scenario}: {result.frames} frames -> {sent} events ({counts}), all acknowledged")
        typer.echo(f"dashboard:   {dashboard.url}/")
        typer.echo(f"sign in:     {dashboard.sign_in}")
        typer.echo(f"admin token: {dashboard.token}")
        typer.echo(f"shelves:     {dashboard.url}/api/v1/stores/{store_id}/shelves  (Authorization: Bearer <token>)")
        if serve_for is None:
            typer.echo("Ctrl-C stops the dashboard.")
            dashboard.process.wait()
        else:
            time.sleep(serve_for)
    except KeyboardInterrupt:
        pass
    finally:
        dashboard.process.terminate()
        try:
            dashboard.process.wait(timeout=10)
        except Exception:  # a dashboard that does not stop is killed: the demo must end
            dashboard.process.kill()
