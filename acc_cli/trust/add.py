"""`acc trust add`: trust a publisher's public key."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.terminal import echo


@click.command()
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
        echo(f"trusted {public_key.key_id}{named}")
    else:
        echo(f"already trusted: {public_key.key_id}")
