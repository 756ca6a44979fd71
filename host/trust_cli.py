"""`acc trust add|list|remove`: the publisher keys whose signatures this user accepts.

Errors are `AccError`s and propagate: the root group prints them with their hint.
"""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group()
def trust() -> None:
    """Manage the publisher keys you trust."""


@trust.command()
@click.argument("pubkey_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--label", default="", help="A name for the key, e.g. the publisher's.")
def add(pubkey_file: Path, label: str) -> None:
    """Trust the public key in PUBKEY_FILE (PEM or `ed25519:BASE64`)."""
    from host.paths import host_paths
    from host.trust import TrustStore
    from sdk.signing import load_public_key

    public_key = load_public_key(pubkey_file)
    if TrustStore(host_paths()).add(public_key, label=label):
        named = f" ({label.strip()})" if label.strip() else ""
        click.echo(f"trusted {public_key.key_id}{named}")
    else:
        click.echo(f"already trusted: {public_key.key_id}")


@trust.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_keys(as_json: bool) -> None:
    """List the keys you trust."""
    from host.paths import host_paths
    from host.trust import TrustStore

    keys = TrustStore(host_paths()).entries()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "key_id": entry.public_key.key_id,
                        "key": entry.public_key.to_text(),
                        "label": entry.label,
                        "added_at": entry.added_at,
                    }
                    for entry in keys
                ],
                indent=2,
            )
        )
        return
    if not keys:
        click.echo("no trusted keys (add one with `acc trust add PUBKEY_FILE`)")
        return
    width = max(len(entry.label) for entry in keys)
    for entry in keys:
        click.echo(f"{entry.public_key.key_id}  {entry.label:{width}}  {entry.added_at}".rstrip())


@trust.command()
@click.argument("key_id_or_label")
def remove(key_id_or_label: str) -> None:
    """Stop trusting a key, named by its key id or its label."""
    from host.paths import host_paths
    from host.trust import TrustStore

    public_key = TrustStore(host_paths()).remove(key_id_or_label)
    click.echo(f"removed {public_key.key_id}")
