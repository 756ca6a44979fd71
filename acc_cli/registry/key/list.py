"""`acc registry key list`: publishers' registered Ed25519 keys."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._format import day
from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo, emit_json, table


@click.command("list")
@click.option("--user", "user_name", default=None, help="Only this account's keys.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see docs/cli.md).")
@data_option
def list_keys(user_name: str | None, as_json: bool, data_dir: Path | None) -> None:
    """List publishers' signing keys (every account's, or --user's)."""
    from registry.operator_credentials import list_keys as keys_of

    keys = keys_of(registry_config(data_dir), user_name)
    if as_json:
        emit_json([k.to_json() for k in keys])
        return
    if not keys:
        echo(f"{user_name} has no signing keys" if user_name else "no signing keys registered")
        return
    table(
        [
            ["USER", "KEY ID", "ADDED", "PUBLIC KEY"],
            *([k.user, k.key_id, day(k.created_at), k.public_key] for k in keys),
        ]
    )
