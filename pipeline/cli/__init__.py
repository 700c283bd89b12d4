"""The `shelfsight` command line. Each sub-command group lives in its own module and registers here."""

from __future__ import annotations

import typer

from pipeline.cli import config_cmd, detect_cmd, models_cmd

app = typer.Typer(
    name="shelfsight",
    help="In-store shopper analytics: cameras -> detection -> tracking -> shelf events -> dashboard.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(models_cmd.app, name="models")
app.command("detect")(detect_cmd.detect)


def main() -> None:
    """Console-script entry point."""
    app()
