"""`acc marketplace remove`: stop installing from a marketplace (installed plugins stay)."""

from __future__ import annotations

import click

from acc_cli._complete import marketplaces
from acc_cli.terminal import echo
from host.paths import host_paths


@click.command("remove")
@click.argument("name", shell_complete=marketplaces)
def remove(name: str) -> None:
    """Remove marketplace NAME (installed plugins stay installed)."""
    from host.marketplace.config import MarketplaceConfig

    removed = MarketplaceConfig(host_paths()).remove(name)
    echo(f"removed marketplace {removed.name} ({removed.url})")
