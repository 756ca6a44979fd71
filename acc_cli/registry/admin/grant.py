"""`acc registry admin grant NAME`: make an account an admin (audited)."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command("grant")
@click.argument("name")
@data_option
def grant(name: str, data_dir: Path | None) -> None:
    """Make the account NAME an admin: it may moderate on the web at /admin/moderation."""
    from registry.moderation_commands import set_admin

    if set_admin(registry_config(data_dir), name, True):
        echo(f"{name} is now an admin (moderation page: /admin/moderation)")
    else:
        echo(f"{name} is already an admin")
