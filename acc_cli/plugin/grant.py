"""`acc plugin grant`: grant an installed plugin one capability its manifest declares."""

from __future__ import annotations

import click

from acc_cli._complete import installed_plugins, plugin_capabilities
from acc_cli.terminal import echo
from host.paths import host_paths


@click.command()
@click.argument("name", shell_complete=installed_plugins)
@click.argument("capability", shell_complete=plugin_capabilities)
@click.option(
    "--read-only",
    is_flag=True,
    help="Grant fs for reading only, though the plugin asks to write: its commands that write fail with denied.",
)
def grant(name: str, capability: str, read_only: bool) -> None:
    """Grant an installed plugin one capability its manifest declares."""
    from host.store import LocalStore

    installed = LocalStore(host_paths()).set_grant(name, capability, True, read_only=read_only)
    echo(f"granted {capability} to {installed.name}" + (" for reading only" if read_only else ""))
