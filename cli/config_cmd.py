"""``shelfsight config``: check an edge box's config file, and regenerate the config's JSON Schema."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from shelfsight.edge_config.loader import check_config, load_config
from shelfsight.edge_config.schema import REGENERATE_COMMAND, SCHEMA_PATH, schema_is_current, write_schema
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.models.registry import MODELS_DIR_ENV

logger = logging.getLogger(__name__)

app = typer.Typer(
    help="Check an edge box's config file and keep its JSON Schema current.",
    no_args_is_help=True,
    add_completion=False,
)


def _summary(config: EdgeConfig) -> str:
    """One line a human can eyeball: the store and how much it covers."""
    zones = sum(len(camera.zones) for camera in config.cameras)
    return (
        f"store {config.store_id!r}: {len(config.cameras)} camera(s) "
        f"({', '.join(camera.id for camera in config.cameras)}), {zones} zone(s)"
    )


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="The edge box's YAML config file.", show_default=False)],
    models_dir: Annotated[
        Path | None,
        typer.Option(
            "--models-dir",
            envvar=MODELS_DIR_ENV,
            help="Folder holding the model files named in the config.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Validate FILE and report every problem as FILE:LINE: key.path: message (fix: ...).

    Besides the file itself it checks what this machine must have: the model files (present, and detection
    models), synthetic scenarios, video files that decode, the CURVE certificate. Warnings (a truncated video)
    go to stderr and do not fail the check. Exits 0 when the file is good, 1 when it has problems.
    """
    warnings: list[str] = []
    problems = check_config(file, models_dir=models_dir, warnings=warnings)
    for warning in warnings:
        typer.secho(f"{file}: warning: {warning}", fg=typer.colors.YELLOW, err=True)
    if problems:
        for problem in problems:
            typer.echo(str(problem))
        noun = "problem" if len(problems) == 1 else "problems"
        typer.secho(f"{file}: {len(problems)} {noun}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1)
    # check_config found nothing, so loading cannot fail; it is read again only for the summary.
    typer.secho(f"{file}: OK, {_summary(load_config(file))}", fg=typer.colors.GREEN)


@app.command()
def schema(
    check_only: Annotated[
        bool, typer.Option("--check", help="Only check that the committed schema is current; write nothing.")
    ] = False,
    output: Annotated[Path, typer.Option("--output", help="Where the schema lives.")] = SCHEMA_PATH,
) -> None:
    """Regenerate edge_config/schema.json, the JSON Schema of the config file.

    With --check, exits 1 when the file is stale instead of writing it (for CI).
    """
    if check_only:
        if not schema_is_current(output):
            typer.secho(f"{output} is stale; run `{REGENERATE_COMMAND}`", fg=typer.colors.RED, err=True)
            raise typer.Exit(code=1)
        typer.echo(f"{output} is current")
        return
    typer.echo(f"wrote {output}" if write_schema(output) else f"{output} is already current")
