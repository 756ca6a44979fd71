"""`acc plugin search`: the added marketplaces' plugins whose name or description matches."""

from __future__ import annotations

import click

from acc_cli._complete import marketplaces
from acc_cli.terminal import echo, emit_json, err, table
from host.marketplace.search import SORTS, SearchHit
from host.paths import host_paths

#: Descriptions are cut to this many characters in the table (`--json` and `info` show them whole).
DESCRIPTION_WIDTH = 60


@click.command()
@click.argument("query", default="")
@click.option(
    "--marketplace", "market_name", metavar="NAME", shell_complete=marketplaces, help="Search only this marketplace."
)
@click.option("--category", metavar="NAME", help="Only plugins in this category.")
@click.option("--capability", metavar="KIND", help="Only plugins that ask for this capability (e.g. fs, process).")
@click.option("--no-network", is_flag=True, help="Only plugins that ask for no network access (no http, no llm).")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True, help="The order.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see docs/cli.md).")
def search(
    query: str,
    market_name: str | None,
    category: str | None,
    capability: str | None,
    no_network: bool,
    sort: str,
    as_json: bool,
) -> None:
    """Search the added marketplaces for plugins: every match, not only a first page."""
    from host.marketplace.config import MarketplaceConfig
    from host.marketplace.search import SearchQuery, search_marketplaces

    if capability is not None:
        capability = _known_capability(capability)
    config = MarketplaceConfig(host_paths())
    wanted = SearchQuery(
        words=query, category=category or "", capability=capability or "", no_network=no_network, sort=sort
    )
    found = search_marketplaces([config.get(market_name)] if market_name else config.list(), wanted)
    for failure in found.failures:
        err(f"warning: {failure.message}")
    for name, total in found.truncated:
        err(f"warning: {name} lists {total} matches; showing the first {len(found.hits)}: narrow the search")
    if as_json:
        emit_json(
            [
                {
                    "name": hit.name,
                    "marketplace": hit.marketplace,
                    "latest_version": hit.latest_version or None,
                    "description": hit.description,
                    "owner": hit.owner or None,
                    "owner_verified": hit.owner_verified.to_json() if hit.owner_verified else None,
                    "capabilities": list(hit.capabilities),
                    "categories": list(hit.categories),
                    "keywords": list(hit.keywords),
                    "downloads": hit.downloads,
                    "rating": hit.rating,
                    "rating_count": hit.rating_count,
                    "deprecated": hit.deprecated,
                    "updated_at": hit.updated_at or None,
                }
                for hit in found.hits
            ]
        )
        return
    if not found.hits:
        echo(_nothing_found(query, filtered=bool(category or capability or no_network)))
        return
    show_market = found.searched > 1
    header: tuple[str, ...] = ("NAME", "LATEST", "PUBLISHER", "RATING", "DOWNLOADS", "CAPABILITIES")
    header += ("MARKETPLACE",) if show_market else ()
    rows = [(*header, "DESCRIPTION")]
    for hit in found.hits:
        rating = f"{hit.rating:.1f} ({hit.rating_count})" if hit.rating is not None else "-"
        row: tuple[str, ...] = (
            hit.name + (" (deprecated)" if hit.deprecated else ""),
            hit.latest_version,
            _publisher(hit),
            rating,
            str(hit.downloads),
            ", ".join(hit.capabilities) or "none",
        )
        row += (hit.marketplace,) if show_market else ()
        rows.append((*row, _cut(hit.description)))
    table(rows)


def _publisher(hit: SearchHit) -> str:
    """`alice`, or `alice (verified: example.com)` when the marketplace vouches for alice."""
    mark = hit.owner_verified
    if mark is None:
        return hit.owner or "-"
    return f"{hit.owner} (verified: {mark.domain})" if mark.domain else f"{hit.owner} (verified by the operator)"


def _nothing_found(query: str, *, filtered: bool) -> str:
    if query:
        return f"no plugins match {query!r}" + (" with these filters" if filtered else "")
    return "no plugins match these filters" if filtered else "no plugins published yet"


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DESCRIPTION_WIDTH else text[: DESCRIPTION_WIDTH - 1].rstrip() + "…"


def _known_capability(kind: str) -> str:
    """`kind` if it names a capability kind (in any case); a usage error with suggestions if not."""
    from sdk.capabilities import KINDS
    from sdk.names import did_you_mean

    if kind.lower() in KINDS:
        return kind.lower()
    suggestion = did_you_mean(kind.lower(), KINDS)
    raise click.BadParameter(
        f"{kind!r} is not a capability kind{'; ' + suggestion if suggestion else ''} "
        f"(the kinds: {', '.join(sorted(KINDS))})",
        param_hint="'--capability'",
    )
