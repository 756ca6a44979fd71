"""`acc registry user`: publisher accounts."""

from __future__ import annotations

import click

from acc_cli.lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy={
        "create": ("acc_cli.registry.user.create:create", "Create the account NAME."),
        "list": ("acc_cli.registry.user.list:list_users", "List the accounts, with their keys, tokens and plugins."),
        "disable": (
            "acc_cli.registry.user.disable:disable",
            "Disable NAME: no login, sessions end, tokens act on nothing.",
        ),
        "enable": ("acc_cli.registry.user.enable:enable", "Enable NAME again, with its tokens."),
        "reset-password": (
            "acc_cli.registry.user.reset_password:reset_password",
            "Mail NAME a password reset link (or print it).",
        ),
    },
)
def user() -> None:
    """Manage publisher accounts."""
