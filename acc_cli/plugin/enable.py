"""`acc plugin enable`: let a disabled plugin run, and be offered as a tool, again."""

from __future__ import annotations

import click

from acc_cli._complete import installed_plugins
from acc_cli.terminal import echo
from host.paths import host_paths


@click.command()
@click.argument("name", shell_complete=installed_plugins)
def enable(name: str) -> None:
    """Let a disabled plugin run and be offered as a tool again (its grants are as they were)."""
    from host.store import LocalStore

    installed, changed = LocalStore(host_paths()).set_enabled(name, True)
    echo(f"enabled {installed.name} {installed.version}" if changed else f"{installed.name} is already enabled")
