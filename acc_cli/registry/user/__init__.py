"""`acc registry user`: publisher accounts."""

from __future__ import annotations

import click

from acc_cli.lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy={
        "create": ("acc_cli.registry.user.create:create", "Create the account NAME."),
        "verify": ("acc_cli.registry.user.verify:verify", "Mark the account NAME a verified publisher."),
        "unverify": ("acc_cli.registry.user.unverify:unverify", "Remove the verified-publisher mark from NAME."),
    },
)
def user() -> None:
    """Manage publisher accounts."""
