"""`acc trust remove`: stop trusting a publisher's key."""

from __future__ import annotations

import click

from acc_cli.terminal import echo


@click.command()
@click.argument("key_id_or_label")
def remove(key_id_or_label: str) -> None:
    """Stop trusting a key, named by its key id or its label."""
    from host.paths import host_paths
    from host.trust import TrustStore

    public_key = TrustStore(host_paths()).remove(key_id_or_label)
    echo(f"removed {public_key.key_id}")
