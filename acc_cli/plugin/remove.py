"""`acc plugin remove`: an installed plugin and all its kept versions."""

from __future__ import annotations

import click

from acc_cli.terminal import echo
from host.paths import host_paths


@click.command()
@click.argument("name")
@click.option("--force", is_flag=True, help="Remove it even if installed plugins depend on it.")
def remove(name: str, force: bool) -> None:
    """Remove an installed plugin (all its kept versions)."""
    from host.store import LocalStore

    removed = LocalStore(host_paths()).remove(name, force=force)
    echo(f"removed {removed.name} {removed.version}")
