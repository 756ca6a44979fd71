"""`acc plugin search`: the added marketplaces' plugins whose name or description matches."""

from __future__ import annotations

import click

from acc_cli.terminal import echo, err, table
from host.paths import host_paths


@click.command()
@click.argument("query", default="")
@click.option("--marketplace", "market_name", metavar="NAME", help="Search only this marketplace.")
def search(query: str, market_name: str | None) -> None:
    """Search the added marketplaces for plugins."""
    from host.marketplace.config import MarketplaceConfig
    from host.marketplace.search import search_marketplaces

    config = MarketplaceConfig(host_paths())
    found = search_marketplaces([config.get(market_name)] if market_name else config.list(), query)
    for failure in found.failures:
        err(f"warning: {failure.message}")
    if not found.hits:
        echo(f"no plugins match {query!r}" if query else "no plugins published yet")
        return
    show_market = found.searched > 1
    header: tuple[str, ...] = ("NAME", "LATEST", "RATING", "DOWNLOADS", "CAPABILITIES")
    rows = [header + (("MARKETPLACE",) if show_market else ())]
    for hit in found.hits:
        rating = f"{hit.rating:.1f} ({hit.rating_count})" if hit.rating is not None else "-"
        row: tuple[str, ...] = (
            hit.name + (" (deprecated)" if hit.deprecated else ""),
            hit.latest_version,
            rating,
            str(hit.downloads),
            ", ".join(hit.capabilities) or "none",
        )
        rows.append(row + ((hit.marketplace,) if show_market else ()))
    table(rows)
