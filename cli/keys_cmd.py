"""`shelfsight keys gen`: CURVE key pairs for encrypting and authenticating edge -> aggregator traffic."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import zmq.auth

app = typer.Typer(help="CURVE keys for ZeroMQ between edge boxes and the aggregator.", no_args_is_help=True)


@app.command()
def gen(
    name: Annotated[str, typer.Argument(help="Key name, e.g. the store id or 'aggregator'.")],
    out: Annotated[Path, typer.Option(help="Folder for NAME.key (public) and NAME.key_secret.")] = Path("keys"),
) -> None:
    """Create a CURVE key pair in ZeroMQ's certificate format.

    Give the aggregator's NAME.key to every edge box (aggregator.server_public_key), keep NAME.key_secret
    on its own machine only (readable by its owner alone), and list each edge box's public key in the
    aggregator's allowed keys.
    """
    out.mkdir(parents=True, exist_ok=True)
    public, secret = (Path(p) for p in zmq.auth.create_certificates(out, name))
    secret.chmod(0o600)
    typer.echo(f"public: {public}\nsecret: {secret}")
