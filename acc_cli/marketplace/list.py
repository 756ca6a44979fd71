"""`acc marketplace list`: the added marketplaces and their pinned roots."""

from __future__ import annotations

import click

from acc_cli.terminal import echo
from host.paths import host_paths


@click.command("list")
def list_marketplaces() -> None:
    """List the added marketplaces."""
    from host.marketplace.config import MarketplaceConfig

    markets = MarketplaceConfig(host_paths()).list()
    if not markets:
        echo("no marketplaces added (add one with `acc marketplace add URL --root-sha256 HEX`)")
        return
    width = max(len(m.name) for m in markets)
    for m in markets:
        echo(f"{m.name:<{width}}  {m.url}  root sha256 {m.root_sha256[:16]}…  added {m.added_at}")
