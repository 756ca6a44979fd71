"""`acc plugin disable`: keep a plugin installed, but stop it running and being offered as a tool."""

from __future__ import annotations

import click

from acc_cli._complete import installed_plugins
from acc_cli.terminal import echo, err
from host.paths import host_paths


@click.command()
@click.argument("name", shell_complete=installed_plugins)
def disable(name: str) -> None:
    """Keep NAME installed (versions, grants, data) but stop it running: `acc plugin run`, other
    plugins' calls, the agent and the MCP server refuse it until `acc plugin enable NAME`."""
    from host.store import LocalStore

    store = LocalStore(host_paths())
    installed, changed = store.set_enabled(name, False)
    if not changed:
        echo(f"{installed.name} is already disabled")
        return
    echo(f"disabled {installed.name} {installed.version} (enable it again with `acc plugin enable {installed.name}`)")
    dependents = store.dependents(installed.name)
    if dependents:
        names, verb = ", ".join(p.name for p in dependents), "depend" if len(dependents) > 1 else "depends"
        err(f"note: {names} {verb} on {installed.name}: calls to it fail while it is disabled")
