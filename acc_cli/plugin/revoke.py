"""`acc plugin revoke`: take a capability back from an installed plugin."""

from __future__ import annotations

import click

from acc_cli._complete import installed_plugins, plugin_capabilities
from acc_cli.terminal import echo
from host.paths import host_paths


@click.command()
@click.argument("name", shell_complete=installed_plugins)
@click.argument("capability", shell_complete=plugin_capabilities)
def revoke(name: str, capability: str) -> None:
    """Revoke a capability: the plugin gets `denied` when it uses it."""
    from host.store import LocalStore

    installed = LocalStore(host_paths()).set_grant(name, capability, False)
    echo(f"revoked {capability} from {installed.name}")
