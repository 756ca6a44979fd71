"""`acc registry token`: API tokens publishers upload with."""

from __future__ import annotations

import click

from acc_cli.lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy={
        "create": ("acc_cli.registry.token.create:create", "Create an API token for USER and print it once."),
        "list": ("acc_cli.registry.token.list:list_tokens", "List API tokens (usable ones; --all for every one)."),
        "revoke": ("acc_cli.registry.token.revoke:revoke", "Revoke the API token with this prefix or id."),
    },
)
def token() -> None:
    """Manage API tokens."""
