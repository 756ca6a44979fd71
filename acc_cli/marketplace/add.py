"""`acc marketplace add`: a marketplace to install from, trusted through its pinned first TUF root."""

from __future__ import annotations

import sys

import click

from acc_cli.terminal import confirm, echo, interactive
from host.paths import host_paths


@click.command("add")
@click.argument("url")
@click.option("--name", help="A short name for it (default: the URL's host and port).")
@click.option(
    "--root-sha256",
    "root_sha256",
    metavar="HEX",
    help="The sha256 of the marketplace's 1.root.json, from its operator. Without it, "
    "the fingerprint is shown and you are asked to confirm it (on a terminal only).",
)
def add(url: str, name: str | None, root_sha256: str | None) -> None:
    """Add the marketplace at URL, pinning its first TUF root."""
    from host.errors import MarketplaceError
    from host.marketplace.config import (
        MarketplaceConfig,
        check_name,
        check_sha256,
        default_name,
        fetch_root_to_pin,
        normalize_url,
    )

    base = normalize_url(url)
    market_name = check_name(name.lower() if name is not None else default_name(base))
    config = MarketplaceConfig(host_paths())
    config.refuse_second_name(market_name, base)  # before anything is fetched: works offline too
    pin = check_sha256(root_sha256) if root_sha256 is not None else None
    root, fingerprint = fetch_root_to_pin(base, pin)
    if pin is None:
        if not interactive():
            raise MarketplaceError(
                f"not adding {base} without a pinned root: its 1.root.json has sha256 {fingerprint}",
                hint="compare it with the one the marketplace operator publishes, then pass "
                f"--root-sha256 {fingerprint}",
            )
        echo(f"The marketplace at {base} serves a root with sha256\n  {fingerprint}")
        echo("Compare it with the one its operator publishes: every install from it is trusted through this root.")
        if not confirm("Trust this root?"):
            echo("not added")
            sys.exit(1)
    added, new = config.add(market_name, base, root)
    if new:
        echo(f"added marketplace {added.name} ({added.url}), root sha256 {added.root_sha256}")
    else:
        echo(f"marketplace {added.name} ({added.url}) is already added")
