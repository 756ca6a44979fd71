"""`acc registry admin revoke NAME`: take the admin role away (audited)."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command("revoke")
@click.argument("name")
@data_option
def revoke(name: str, data_dir: Path | None) -> None:
    """Take the admin role from the account NAME."""
    from registry.moderation_commands import set_admin

    if set_admin(registry_config(data_dir), name, False):
        echo(f"{name} is no longer an admin")
    else:
        echo(f"{name} is not an admin")
