"""`acc plugin grant`: grant an installed plugin one capability its manifest declares."""

from __future__ import annotations

import click

from acc_cli.terminal import echo
from host.paths import host_paths


@click.command()
@click.argument("name")
@click.argument("capability")
def grant(name: str, capability: str) -> None:
    """Grant an installed plugin one capability its manifest declares."""
    from host.store import LocalStore

    LocalStore(host_paths()).set_grant(name, capability, True)
    echo(f"granted {capability} to {name}")
