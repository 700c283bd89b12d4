"""`shelfsight tokens create / list / revoke` against a real database file."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from shelfsight.cli import app
from shelfsight.dashboard.services.tokens import Scope, authorize
from shelfsight.dashboard.storage import open_store


def test_tokens_create_list_and_revoke(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    created = runner.invoke(app, ["tokens", "create", "--db", db, "--scope", "read", "--name", "laptop"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[0]
    assert secret.startswith("ss_")
    store = open_store(db)
    try:
        record = authorize(store, secret, Scope.READ)
        assert record is not None and record.name == "laptop"
        assert authorize(store, secret, Scope.ADMIN) is None
        on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("cli.db*"))  # the file and its WAL
        assert secret.encode() not in on_disk  # stored hashed only
    finally:
        store.close()
    listed = runner.invoke(app, ["tokens", "list", "--db", db])
    assert f"{record.token_id}  live" in listed.stdout
    assert runner.invoke(app, ["tokens", "revoke", record.token_id, "--db", db]).exit_code == 0
    again = runner.invoke(app, ["tokens", "revoke", record.token_id, "--db", db])
    assert again.exit_code == 1 and "no live token" in again.output


def test_tokens_create_refuses_an_unknown_scope(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["tokens", "create", "--db", str(tmp_path / "cli.db"), "--scope", "write"])
    assert result.exit_code == 2
    assert "scope: expected read or admin, got write" in result.output
