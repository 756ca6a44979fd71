"""`acc trust`: the publisher keys whose signatures this user accepts for archive installs."""

from __future__ import annotations

import click

from acc_cli.lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy={
        "add": ("acc_cli.trust.add:add", "Trust the public key in PUBKEY_FILE (PEM or `ed25519:BASE64`)."),
        "list": ("acc_cli.trust.list:list_keys", "List the keys you trust."),
        "remove": ("acc_cli.trust.remove:remove", "Stop trusting a key, named by its key id or its label."),
    },
)
def trust() -> None:
    """Manage the publisher keys you trust."""
