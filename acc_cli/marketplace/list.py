"""`acc marketplace list`: the added marketplaces and their pinned roots."""

from __future__ import annotations

import click

from acc_cli.terminal import echo, emit_json
from host.paths import host_paths


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see docs/cli.md).")
def list_marketplaces(as_json: bool) -> None:
    """List the added marketplaces."""
    from host.marketplace.config import MarketplaceConfig

    markets = MarketplaceConfig(host_paths()).list()
    if as_json:
        emit_json(
            [{"name": m.name, "url": m.url, "root_sha256": m.root_sha256, "added_at": m.added_at} for m in markets]
        )
        return
    if not markets:
        echo("no marketplaces added (add one with `acc marketplace add URL --root-sha256 HEX`)")
        return
    width = max(len(m.name) for m in markets)
    for m in markets:
        echo(f"{m.name:<{width}}  {m.url}  root sha256 {m.root_sha256[:16]}…  added {m.added_at}")
