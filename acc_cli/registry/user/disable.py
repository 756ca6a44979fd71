"""`acc registry user disable`: stop an account without deleting anything."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._format import minute
from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command("disable")
@click.argument("name")
@click.option("--reason", required=True, help="Why, for the records (user list, audit log); not shown to the user.")
@data_option
def disable(name: str, reason: str, data_dir: Path | None) -> None:
    """Disable the account NAME: it cannot log in on the web, its web sessions end, and its
    API tokens act on nothing (403 account_disabled). Nothing is deleted or revoked: `acc
    registry user enable NAME` gives everything back. The user is notified."""
    from registry.operator_accounts import disable_account

    result = disable_account(registry_config(data_dir), name, reason)
    if not result.changed:
        echo(f"{name} was already disabled (since {minute(result.disabled_at)} UTC: {result.reason})")
        return
    ended = result.sessions_ended
    echo(f"disabled {name}; {ended} web session{'' if ended == 1 else 's'} ended, its API tokens act on nothing")
