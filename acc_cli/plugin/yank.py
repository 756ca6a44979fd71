"""`acc plugin yank`: mark a published version as not to be installed (unless pinned exactly)."""

from __future__ import annotations

import click

from acc_cli.plugin._registry_options import registry, registry_option, token_option
from acc_cli.terminal import echo


@click.command()
@click.argument("name")
@click.argument("version")
@click.option("--reason", required=True, help="Why users should not install this version.")
@registry_option
@token_option
def yank(name: str, version: str, reason: str, registry_url: str | None, token: str | None) -> None:
    """Yank NAME VERSION: installs skip it unless pinned exactly."""
    registry(registry_url, token).yank(name, version, reason)
    echo(f"yanked {name} {version}: {reason}")
