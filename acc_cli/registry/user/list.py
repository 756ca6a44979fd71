"""`acc registry user list`: every account, with its state and what it holds."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._format import day, yes_no
from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo, emit_json, table


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see docs/cli.md).")
@data_option
def list_users(as_json: bool, data_dir: Path | None) -> None:
    """List the accounts: address, dates, state, and how many signing keys, usable API
    tokens and owned plugins each has."""
    from registry.operator_accounts import list_accounts

    accounts = list_accounts(registry_config(data_dir))
    if as_json:
        emit_json([a.to_json() for a in accounts])
        return
    if not accounts:
        echo("no accounts yet: create one with `acc registry user create NAME --email ADDRESS`")
        return
    rows = [["NAME", "EMAIL", "CREATED", "CONFIRMED", "STATE", "ADMIN", "VERIFIED", "KEYS", "TOKENS", "PLUGINS"]]
    for a in accounts:
        state = f"disabled {day(a.disabled_at)}: {a.disabled_reason}" if a.disabled_at else "active"
        rows.append(
            [
                a.name,
                a.email,
                day(a.created_at),
                yes_no(a.email_confirmed_at is not None),
                state,
                yes_no(a.is_admin),
                (a.verified_by or "yes") if a.verified_at else "-",
                str(a.keys),
                str(a.active_tokens),
                str(a.plugins_owned),
            ]
        )
    table(rows)
