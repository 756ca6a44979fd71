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
    from host.errors import MarketplaceError
    from host.marketplace.config import MarketplaceConfig
    from host.marketplace.search import SearchHit
    from host.marketplace.search import search as search_marketplace

    config = MarketplaceConfig(host_paths())
    markets = [config.get(market_name)] if market_name else config.list()
    if not markets:
        raise MarketplaceError(
            "no marketplace has been added", hint="add one with `acc marketplace add URL --root-sha256 HEX`"
        )
    hits: list[SearchHit] = []
    failures: list[MarketplaceError] = []
    for market in markets:
        try:
            hits.extend(search_marketplace(market, query))
        except MarketplaceError as e:
            failures.append(e)
    if failures and len(failures) == len(markets):
        raise failures[0]
    for failure in failures:
        err(f"warning: {failure.message}")
    if not hits:
        echo(f"no plugins match {query!r}" if query else "no plugins published yet")
        return
    show_market = len(markets) > 1
    header: tuple[str, ...] = ("NAME", "LATEST", "RATING", "DOWNLOADS", "CAPABILITIES")
    rows = [header + (("MARKETPLACE",) if show_market else ())]
    for hit in hits:
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
