"""`acc registry user enable`: undo `acc registry user disable`."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command("enable")
@click.argument("name")
@data_option
def enable(name: str, data_dir: Path | None) -> None:
    """Enable the account NAME again: it can log in, and its API tokens that have not
    expired or been revoked work again. The user is notified."""
    from registry.operator_accounts import enable_account

    if enable_account(registry_config(data_dir), name):
        echo(f"enabled {name}; it can log in again and its unexpired API tokens work")
    else:
        echo(f"{name} is not disabled: nothing to do")
