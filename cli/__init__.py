"""The `shelfsight` command line. Each sub-command group lives in its own module and registers here."""

from __future__ import annotations

from typing import Annotated

import typer

from shelfsight.cli import (
    config_cmd,
    demo_cmd,
    detect_cmd,
    edge_cmd,
    eval_cmd,
    events_cmd,
    keys_cmd,
    models_cmd,
    offline_cmd,
    serve_cmd,
    synth_cmd,
    track_cmd,
    zones_cmd,
)
from shelfsight.pipeline.logs import configure_logging

app = typer.Typer(
    name="shelfsight",
    help="In-store shopper analytics: cameras -> detection -> tracking -> shelf events -> dashboard.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(models_cmd.app, name="models")
app.add_typer(events_cmd.app, name="events")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(edge_cmd.app, name="edge")
app.command("detect")(detect_cmd.detect)
app.command("track")(track_cmd.track)
app.command("run-offline")(offline_cmd.run_offline_cmd)
app.command("demo")(demo_cmd.demo)
app.add_typer(eval_cmd.app, name="eval")
app.add_typer(synth_cmd.app, name="synth")
app.add_typer(zones_cmd.app, name="zones")
app.add_typer(serve_cmd.app)  # `serve` and the `tokens` group, merged at the top level


@app.callback()
def _root(
    log_level: Annotated[
        str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.", envvar="SHELFSIGHT_LOG_LEVEL")
    ] = "INFO",
) -> None:
    """Options for every command."""
    configure_logging(log_level)


def main() -> None:
    """Console-script entry point."""
    app()
