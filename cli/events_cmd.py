"""`shelfsight events ...`: the v1 event contract from the command line (schema, validating a feed file)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from shelfsight.vision.events.codec import EventDecodeError, from_json
from shelfsight.vision.events.contract import render_events_schema

app = typer.Typer(help="The v1 event contract: JSON Schema, and checking event files.", no_args_is_help=True)

# The committed schema lives in the source tree's docs/ (this command is for a checkout, not an installed wheel).
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "docs" / "events.schema.json"


@app.command()
def schema(
    check_only: Annotated[bool, typer.Option("--check", help="Exit 1 if the committed schema is stale.")] = False,
    output: Annotated[Path, typer.Option(help="Where the schema lives.")] = SCHEMA_PATH,
) -> None:
    """Regenerate docs/events.schema.json from the event models."""
    rendered = render_events_schema()
    current = output.is_file() and output.read_text(encoding="utf-8") == rendered
    if check_only:
        if not current:
            typer.echo(f"{output} is stale; run `shelfsight events schema`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{output} is current")
        return
    if not current:
        output.write_text(rendered, encoding="utf-8")
    typer.echo(f"wrote {output}" if not current else f"{output} is already current")


@app.command()
def validate(file: Annotated[Path, typer.Argument(help="Events as JSON lines.", exists=True, dir_okay=False)]) -> None:
    """Check every line of an events JSONL file against the contract; print a count per type.

    Exits 1 and prints `FILE:LINE: error` for every line that is not a valid v1 event.
    """
    counts: Counter[str] = Counter()
    bad = 0
    with file.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                counts[from_json(line).type] += 1
            except EventDecodeError as exc:
                bad += 1
                typer.echo(f"{file}:{number}: {exc}")
    summary = ", ".join(f"{kind}={count}" for kind, count in sorted(counts.items())) or "no events"
    typer.echo(f"{file}: {sum(counts.values())} valid ({summary}), {bad} invalid", err=True)
    if bad:
        raise typer.Exit(1)
