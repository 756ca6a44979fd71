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
    from host.errors import StoreError
    from host.store import LocalStore

    store = LocalStore(host_paths())
    dependents = [f"{p.name} {p.version}" for p in store.list() if p.name != name and name in p.manifest().dependencies]
    if dependents and not force:
        raise StoreError(
            f"{', '.join(dependents)} {'depend' if len(dependents) > 1 else 'depends'} on {name}: not removed",
            hint=f"remove {'them' if len(dependents) > 1 else 'it'} first, or pass --force to remove it anyway",
        )
    removed = store.remove(name)
    echo(f"removed {removed.name} {removed.version}")
