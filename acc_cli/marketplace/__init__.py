"""`acc marketplace`: add, list, update and remove the marketplaces plugins are installed from."""

from __future__ import annotations

import click

from acc_cli.lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy={
        "add": ("acc_cli.marketplace.add:add", "Add the marketplace at URL, pinning its first TUF root."),
        "list": ("acc_cli.marketplace.list:list_marketplaces", "List the added marketplaces."),
        "remove": ("acc_cli.marketplace.remove:remove", "Remove marketplace NAME (installed plugins stay installed)."),
        "update": (
            "acc_cli.marketplace.update:update",
            "Refresh the signed metadata of all (or the named) marketplaces; say what changed.",
        ),
    },
)
def marketplace() -> None:
    """Add, list, update and remove the marketplaces plugins are installed from."""
