"""`acc trust list`: the publisher keys this user trusts."""

from __future__ import annotations

import click

from acc_cli.terminal import echo, emit_json


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see docs/cli.md).")
def list_keys(as_json: bool) -> None:
    """List the keys you trust."""
    from host.paths import host_paths
    from host.trust import TrustStore

    keys = TrustStore(host_paths()).entries()
    if as_json:
        emit_json(
            [
                {
                    "key_id": entry.public_key.key_id,
                    "key": entry.public_key.to_text(),
                    "label": entry.label,
                    "added_at": entry.added_at,
                }
                for entry in keys
            ]
        )
        return
    if not keys:
        echo("no trusted keys (add one with `acc trust add PUBKEY_FILE`)")
        return
    width = max(len(entry.label) for entry in keys)
    for entry in keys:
        echo(f"{entry.public_key.key_id}  {entry.label:{width}}  {entry.added_at}".rstrip())
