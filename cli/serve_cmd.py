"""`shelfsight serve` (ingest + API + pages in one uvicorn process) and `shelfsight tokens ...`.

Heavy imports (FastAPI, storage drivers) happen inside the commands, so other `shelfsight` commands stay fast.
"""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from shelfsight.cli.options import fail
from shelfsight.pipeline.running import announce, running_aggregators, withdraw

if TYPE_CHECKING:
    from shelfsight.dashboard.settings import DashboardSettings
    from shelfsight.dashboard.storage.base import Store

app = typer.Typer(no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens of the aggregator (stored as sha256; the secret is shown once).")
app.add_typer(tokens_app, name="tokens", no_args_is_help=True)

DbOption = Annotated[
    str,
    typer.Option(
        "--db", envvar="SHELFSIGHT_DB", help="SQLite file (default backend), duckdb:///path, or postgresql:// URL."
    ),
]
TokensDbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="SHELFSIGHT_DB",
        help="SQLite file, duckdb:///path or postgresql:// URL [default: the running aggregator's database].",
        show_default=False,
    ),
]
STARTUP_TOKEN_NAME = "serve-startup"
DEFAULT_DB = "shelfsight.db"


ServeDbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLite file (default backend), duckdb:///path, or postgresql:// URL. (default: SHELFSIGHT_DB, "
        "else shelfsight.db)",
        show_default=False,
    ),
]


@app.command()
def serve(
    db: ServeDbOption = None,
    ingest: Annotated[
        str | None,
        typer.Option(
            help="ZeroMQ endpoint edge boxes send batches to. (default: SHELFSIGHT_INGEST_ENDPOINT, else "
            "tcp://127.0.0.1:5560)",
            show_default=False,
        ),
    ] = None,
    no_ingest: Annotated[bool, typer.Option("--no-ingest", help="Serve API and pages only.")] = False,
    host: Annotated[str, typer.Option(help="HTTP address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port (0 picks a free one).", min=0, max=65535)] = 8000,
    retention_days: Annotated[
        float | None,
        typer.Option(
            help="Keep raw events this many days. (default: SHELFSIGHT_RETENTION_DAYS, else 90)",
            min=0.001,
            show_default=False,
        ),
    ] = None,
    curve_secret_key_file: Annotated[
        Path | None,
        typer.Option(
            help="Server certificate with secret key: makes ingest a CURVE server. "
            "(default: SHELFSIGHT_CURVE_SECRET_KEY_FILE)"
        ),
    ] = None,
    curve_public_keys_dir: Annotated[
        Path | None,
        typer.Option(help="Folder of allowed edge public keys (*.key). (default: SHELFSIGHT_CURVE_PUBLIC_KEYS_DIR)"),
    ] = None,
    integrations: Annotated[
        Path | None,
        typer.Option(
            envvar="SHELFSIGHT_INTEGRATIONS_FILE",
            help="YAML file of webhook and MQTT subscriptions on the event stream (docs/dashboard.md).",
        ),
    ] = None,
) -> None:
    """Run ingest, the API and the dashboard pages; print the URL and a fresh admin token.

    Settings come from SHELFSIGHT_* environment variables (docs/dashboard.md); an option given overrides one.
    """
    import uvicorn
    from pydantic import ValidationError

    from shelfsight.dashboard.app import create_app
    from shelfsight.dashboard.ingest.curve import CurveServerKeys
    from shelfsight.dashboard.ingest.receiver import IngestOptions, IngestReceiver
    from shelfsight.dashboard.integrations.config import load_integrations
    from shelfsight.dashboard.integrations.delivery import connect
    from shelfsight.dashboard.services.bus import EventBus
    from shelfsight.dashboard.services.tokens import rotate_startup_token, sign_in_link_session
    from shelfsight.dashboard.storage import open_store

    try:
        settings = serve_settings(
            db=db,
            ingest_endpoint=ingest,
            no_ingest=no_ingest,
            retention_days=retention_days,
            curve_secret_key_file=curve_secret_key_file,
            curve_public_keys_dir=curve_public_keys_dir,
            integrations_file=integrations,
        )
        curve = (
            CurveServerKeys.load(
                settings.curve_secret_key_file,
                clients_dir=settings.curve_public_keys_dir,
                client_keys=settings.curve_public_keys,
            )
            if settings.curve_secret_key_file is not None
            else None
        )
        subscriptions = (
            load_integrations(settings.integrations_file).subscriptions if settings.integrations_file else ()
        )
        store = open_store(settings.db)
        store.migrate()
        delivery = connect(store, subscriptions) if subscriptions else None
    except (ValidationError, ValueError, OSError) as exc:
        fail(exc, code=2)
    try:
        listener = _tcp_listener(host, port)
    except OSError as exc:
        store.close()
        fail(f"cannot listen on {host}:{port}: {exc}", code=2)
    url = f"http://{host}:{listener.getsockname()[1]}"
    issued = rotate_startup_token(store, name=STARTUP_TOKEN_NAME, now=time.time())
    # The sign-in link carries a read-scope session of its own (a day long), never the admin token: a link that
    # ends up in a browser history or a chat then grants no admin rights.
    sign_in = sign_in_link_session(store, now=time.time())
    bus = EventBus(queue_size=settings.live_queue_size)
    receiver = None
    if settings.ingest_endpoint is not None:
        options = IngestOptions(
            poll_ms=settings.ingest_poll_ms,
            max_events_per_commit=settings.ingest_max_events_per_commit,
            max_message_bytes=settings.ingest_max_message_bytes,
        )
        receiver = IngestReceiver(store=store, endpoint=settings.ingest_endpoint, bus=bus, options=options, curve=curve)
    web = create_app(settings, store, bus=bus, ingest=receiver, integrations=delivery)
    typer.echo(f"shelfsight aggregator ({store.backend}: {settings.db})")
    typer.echo(f"  dashboard:   {url}/")
    typer.echo(f"  sign in:     {url}/login#token={sign_in.secret}  (read only, valid for a day)")
    typer.echo(f"  admin token: {issued.secret}  (shown once; stored hashed)")
    if settings.api_docs:
        typer.echo(f"  API docs:    {url}/docs")
    if settings.ingest_endpoint is None:
        typer.echo("  ingest:      off")
    else:
        note = "CURVE: listed edge keys only" if curve is not None else "no CURVE: any box that reaches it may send"
        typer.echo(f"  ingest:      {settings.ingest_endpoint} ({note})")
    if subscriptions:
        names = ", ".join(f"{s.name} ({s.kind})" for s in subscriptions)
        typer.echo(f"  integrations: {names}")
    server = uvicorn.Server(uvicorn.Config(web, log_level="info", access_log=False, timeout_graceful_shutdown=5))
    record = announce(settings.db, url)  # lets `shelfsight tokens ...` without --db find this database
    _withdraw_on_sigterm(record)
    try:
        server.run(sockets=[listener])
    finally:
        withdraw(record)
        store.close()


@tokens_app.command("create")
def tokens_create(
    db: TokensDbOption = None,
    scope: Annotated[list[str], typer.Option(help="read or admin (repeat for both).")] = ["read"],  # noqa: B006
    name: Annotated[str, typer.Option(help="What the token is for.")] = "analyst",
) -> None:
    """Create a token and print its secret (once)."""
    from shelfsight.dashboard.services.tokens import Scope, issue_token

    store = _open(_tokens_db(db))
    try:
        scopes = [Scope(s) for s in scope]
    except ValueError:
        fail(f"scope: expected read or admin, got {', '.join(scope)}", code=2)
    try:
        issued = issue_token(store, name=name, scopes=scopes, now=time.time())
    finally:
        store.close()
    typer.echo(issued.secret)
    record = issued.record
    typer.echo(f"token {record.token_id} '{record.name}' scopes={','.join(record.scopes)}", err=True)


@tokens_app.command("list")
def tokens_list(db: TokensDbOption = None) -> None:
    """List tokens (never their secrets)."""
    store = _open(_tokens_db(db))
    try:
        for record in store.tokens():
            state = "revoked" if record.revoked_at is not None else "live"
            typer.echo(f"{record.token_id}  {state:7}  {','.join(record.scopes):10}  {record.name}")
    finally:
        store.close()


@tokens_app.command("revoke")
def tokens_revoke(token_id: str, db: TokensDbOption = None) -> None:
    """Revoke a token by id."""
    store = _open(_tokens_db(db))
    try:
        if not store.revoke_token(token_id, at=time.time()):
            fail(f"no live token {token_id!r}")
    finally:
        store.close()
    typer.echo(f"revoked {token_id}")


def serve_settings(*, no_ingest: bool = False, **given: Any) -> DashboardSettings:
    """The server's settings: the environment's (``SHELFSIGHT_*``), with each option that was given on top.

    An option left out is ``None`` and never replaces a setting, so ``SHELFSIGHT_RETENTION_DAYS=30`` holds unless
    ``--retention-days`` says otherwise; ``--no-ingest`` turns ingest off whatever the environment says.
    """
    from shelfsight.dashboard.settings import DashboardSettings

    overrides = {name: value for name, value in given.items() if value is not None}
    if no_ingest:
        overrides["ingest_endpoint"] = None
    return DashboardSettings(**overrides)


def _withdraw_on_sigterm(record: Path | None) -> None:
    """Withdraw the running-aggregator record on SIGTERM too: uvicorn shuts down gracefully, then raises the signal
    again with this handler back in place, and the default action would end the process before any ``finally``."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        withdraw(record)
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)  # the same exit status as before

    signal.signal(signal.SIGTERM, handler)


def _tokens_db(db: str | None) -> str:
    """The database the tokens commands work on: ``--db`` (or ``$SHELFSIGHT_DB``) when given; else that of the one
    aggregator running on this machine; else ``./shelfsight.db`` when it exists. Says which on stderr, and stops
    rather than create a new database that no server reads."""
    if db is not None:
        return db
    running = running_aggregators()
    if len(running) == 1:
        typer.echo(f"using the database of the running aggregator (pid {running[0].pid}): {running[0].db}", err=True)
        return running[0].db
    if len(running) > 1:
        listed = "; ".join(f"--db {r.db} (pid {r.pid}, {r.url})" for r in running)
        fail(f"{len(running)} aggregators run on this machine; say which database with one of: {listed}", code=2)
    if Path(DEFAULT_DB).is_file():
        typer.echo(f"no running aggregator found; using {Path(DEFAULT_DB).resolve()}", err=True)
        return DEFAULT_DB
    fail(
        f"no running aggregator found and no {DEFAULT_DB} here; pass --db FILE (the demo's is "
        "runs/demo/shelfsight.db), or start `shelfsight serve` / `make demo` first",
        code=2,
    )


def _open(db: str) -> Store:
    from shelfsight.dashboard.storage import open_store

    try:
        store = open_store(db)
        store.migrate()
    except (ValueError, OSError) as exc:
        fail(exc, code=2)
    return store


def _tcp_listener(host: str, port: int) -> socket.socket:
    """A listening TCP socket made with ``IPPROTO_TCP``: asyncio sets TCP_NODELAY only on sockets whose proto
    says TCP, and without it every response waited ~40 ms for the client's delayed ACK (48 ms -> 3 ms for
    /api/v1/health)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(socket.SOMAXCONN)
    except OSError:
        listener.close()
        raise
    return listener
