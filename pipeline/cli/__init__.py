"""The `shelfsight` command line. Each sub-command group lives in its own module and registers here."""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli import config_cmd, detect_cmd, events_cmd, models_cmd
from pipeline.logs import configure_logging

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
app.command("detect")(detect_cmd.detect)


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
