"""`acc registry token list`: API tokens, never their secret text (only its prefix is kept)."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._format import day
from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo, emit_json, table


@click.command("list")
@click.option("--user", "user_name", default=None, help="Only this account's tokens.")
@click.option("--all", "everything", is_flag=True, help="Revoked and expired tokens too.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see docs/cli.md).")
@data_option
def list_tokens(user_name: str | None, everything: bool, as_json: bool, data_dir: Path | None) -> None:
    """List the API tokens that still work (with --all, revoked and expired ones too), of
    every account or of --user."""
    from registry.models import utcnow
    from registry.operator_credentials import list_tokens as tokens_of

    tokens = tokens_of(registry_config(data_dir), user_name, everything=everything)
    now = utcnow()
    if as_json:
        emit_json([t.to_json(now) for t in tokens])
        return
    if not tokens:
        whose = f"{user_name} has" if user_name else "there are"
        echo(f"{whose} no {'' if everything else 'usable '}API tokens")
        return
    header = [
        "ID",
        "PREFIX",
        "USER",
        "DESCRIPTION",
        "PLUGINS",
        "PERMISSIONS",
        "CREATED",
        "EXPIRES",
        "LAST USED",
        "STATE",
    ]
    rows = [
        [
            str(t.id),
            t.prefix,
            t.user,
            t.description or "-",
            ",".join(t.plugins) if t.plugins is not None else "all",
            ",".join(t.permissions),
            day(t.created_at),
            day(t.expires_at) if t.expires_at else "never",
            day(t.last_used_at) if t.last_used_at else "never",
            t.state(now) + (f" {day(t.revoked_at)}" if t.revoked_at else ""),
        ]
        for t in tokens
    ]
    table([header, *rows])
