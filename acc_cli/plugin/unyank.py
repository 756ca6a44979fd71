"""`acc plugin unyank`: make a yanked version installable again."""

from __future__ import annotations

import click

from acc_cli.plugin._registry_options import registry, registry_option, token_option
from acc_cli.terminal import echo


@click.command()
@click.argument("name")
@click.argument("version")
@registry_option
@token_option
def unyank(name: str, version: str, registry_url: str | None, token: str | None) -> None:
    """Undo a yank of NAME VERSION."""
    registry(registry_url, token).unyank(name, version)
    echo(f"{name} {version} is installable again")
