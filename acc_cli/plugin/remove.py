"""`acc plugin remove` (also `uninstall`, `rm`): an installed plugin and all its kept versions."""

from __future__ import annotations

import click

from acc_cli._complete import installed_plugins
from acc_cli.terminal import echo
from host.paths import host_paths


@click.command()
@click.argument("name", shell_complete=installed_plugins)
@click.option("--force", is_flag=True, help="Remove it even if installed plugins depend on it.")
def remove(name: str, force: bool) -> None:
    """Remove an installed plugin (all its kept versions). Also `acc plugin uninstall` and `rm`."""
    from host.store import LocalStore

    removed = LocalStore(host_paths()).remove(name, force=force)
    echo(f"removed {removed.name} {removed.version}")
