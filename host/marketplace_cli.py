"""`acc marketplace add/list/remove` and `acc plugin search`; marketplace installs for `acc plugin install`.

Each command imports the marketplace modules (and through them tuf and urllib3) only when
it runs, so registering them costs `acc --help` nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from host.paths import host_paths


@click.group()
def marketplace() -> None:
    """Add, list and remove the marketplaces plugins are installed from."""


@marketplace.command("add")
@click.argument("url")
@click.option("--name", help="A short name for it (default: the URL's host and port).")
@click.option("--root-sha256", "root_sha256", metavar="HEX",
              help="The sha256 of the marketplace's 1.root.json, from its operator. Without it, "
              "the fingerprint is shown and you are asked to confirm it (on a terminal only).")
def add(url: str, name: str | None, root_sha256: str | None) -> None:
    """Add the marketplace at URL, pinning its first TUF root."""
    from host.errors import MarketplaceError, MarketplaceUntrusted
    from host.marketplace.config import (
        MarketplaceConfig,
        check_name,
        check_root,
        check_sha256,
        default_name,
        fetch_first_root,
        normalize_url,
        root_fingerprint,
    )

    base = normalize_url(url)
    market_name = check_name(name if name is not None else default_name(base))
    pin = check_sha256(root_sha256) if root_sha256 is not None else None
    root = fetch_first_root(base)
    fingerprint = root_fingerprint(root)
    if pin is not None and fingerprint != pin:
        raise MarketplaceUntrusted(
            f"the root served by {base} has sha256 {fingerprint}, not the pinned {pin}: refused",
            hint="check the hash with the marketplace operator; a different root means a different "
            "(or an impostor) marketplace")
    check_root(root, f"{base}/tuf/metadata/1.root.json")
    if pin is None:
        if not sys.stdin.isatty():
            raise MarketplaceError(
                f"not adding {base} without a pinned root: its 1.root.json has sha256 {fingerprint}",
                hint="compare it with the one the marketplace operator publishes, then pass "
                f"--root-sha256 {fingerprint}")
        click.echo(f"The marketplace at {base} serves a root with sha256\n  {fingerprint}")
        click.echo("Compare it with the one its operator publishes: every install from it is trusted "
                   "through this root.")
        if not click.confirm("Trust this root?", default=False):
            click.echo("not added")
            sys.exit(1)
    added, new = MarketplaceConfig(host_paths()).add(market_name, base, root)
    if new:
        click.echo(f"added marketplace {added.name} ({added.url}), root sha256 {added.root_sha256}")
    else:
        click.echo(f"marketplace {added.name} ({added.url}) is already added")


@marketplace.command("list")
def list_marketplaces() -> None:
    """List the added marketplaces."""
    from host.marketplace.config import MarketplaceConfig

    markets = MarketplaceConfig(host_paths()).list()
    if not markets:
        click.echo("no marketplaces added (add one with `acc marketplace add URL --root-sha256 HEX`)")
        return
    width = max(len(m.name) for m in markets)
    for m in markets:
        click.echo(f"{m.name:<{width}}  {m.url}  root sha256 {m.root_sha256[:16]}…  added {m.added_at}")


@marketplace.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Remove marketplace NAME (installed plugins stay installed)."""
    from host.marketplace.config import MarketplaceConfig

    removed = MarketplaceConfig(host_paths()).remove(name)
    click.echo(f"removed marketplace {removed.name} ({removed.url})")


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
        raise MarketplaceError("no marketplace has been added",
                               hint="add one with `acc marketplace add URL --root-sha256 HEX`")
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
        click.echo(f"warning: {failure.message}", err=True)
    if not hits:
        click.echo(f"no plugins match {query!r}" if query else "no plugins published yet")
        return
    show_market = len(markets) > 1
    header: tuple[str, ...] = ("NAME", "LATEST", "RATING", "DOWNLOADS", "CAPABILITIES")
    rows = [header + (("MARKETPLACE",) if show_market else ())]
    for hit in hits:
        rating = f"{hit.rating:.1f} ({hit.rating_count})" if hit.rating is not None else "-"
        row: tuple[str, ...] = (hit.name + (" (deprecated)" if hit.deprecated else ""), hit.latest_version, rating,
               str(hit.downloads), ", ".join(hit.capabilities) or "none")
        rows.append(row + ((hit.marketplace,) if show_market else ()))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def install_from_marketplace(requirement: str, *, marketplace: str | None, grants: tuple[str, ...],
                             denies: tuple[str, ...], yes: bool, reinstall: bool,
                             ask: Callable[..., bool] | None) -> None:
    """`acc plugin install NAME[@MARKETPLACE][SPEC]` (host.cli.install dispatches here)."""
    from pathlib import Path

    from host.install import InstallRequest
    from host.marketplace.install import install_requirement

    request = InstallRequest(archive=Path(), grant=grants, deny=denies, yes=yes, reinstall=reinstall)
    result = install_requirement(host_paths(), requirement, request, marketplace=marketplace, ask=ask,
                                 announce=lambda line: click.echo(line, err=line.startswith("WARNING")))
    installed = result.installed
    if result.already_installed:
        if result.warning:
            click.echo(f"WARNING: {result.warning}", err=True)
        click.echo(f"{installed.name} {installed.version} is already installed (from {result.marketplace})")
        return
    click.echo(f"installed {installed.name} {installed.version} from {result.marketplace}")
    click.echo(f"  the signing key is trusted through {result.marketplace}'s signed metadata "
               "(no `acc trust add` needed)")
    manifest = installed.manifest()
    for kind, capability in sorted(manifest.capabilities.items()):
        mark = "granted" if kind in installed.granted else "denied"
        click.echo(f"  {mark:8} {kind}: {capability.scope_summary()}")
