"""`acc registry plugin`: the operator's changes to a published plugin."""

from __future__ import annotations

import click

from acc_cli.lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy={"transfer": ("acc_cli.registry.plugin.transfer:transfer", "Give PLUGIN to the account NEW_OWNER.")},
)
def plugin() -> None:
    """Manage published plugins."""
