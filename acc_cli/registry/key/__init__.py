"""`acc registry key`: the Ed25519 keys publishers sign with."""

from __future__ import annotations

import click

from acc_cli.lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy={
        "add": ("acc_cli.registry.key.add:add", "Register an Ed25519 public key (from `acc plugin keygen`) for USER."),
        "list": ("acc_cli.registry.key.list:list_keys", "List publishers' signing keys."),
        "remove": (
            "acc_cli.registry.key.remove:remove",
            "Remove USER's signing key KEY_ID (published versions stay valid).",
        ),
    },
)
def key() -> None:
    """Manage publishers' signing keys."""
