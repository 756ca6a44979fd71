"""`acc plugin keygen`: an Ed25519 key pair for signing plugin archives.

Errors are `AccError`s and propagate: the root group prints them with their hint.
"""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.terminal import echo

_FILE = click.Path(dir_okay=False, path_type=Path)


@click.command()
@click.option(
    "--out",
    required=True,
    type=_FILE,
    metavar="FILE",
    help="Where to write the private key; the public key goes to FILE.pub.",
)
def keygen(out: Path) -> None:
    """Create an Ed25519 signing key pair (the private key is written with mode 0600)."""
    from sdk.signing import generate_keypair

    public_key = generate_keypair(out)
    pub_path = out.with_name(out.name + ".pub")
    echo(f"private key: {out}  (keep it secret, never commit it)")
    echo(f"public key:  {pub_path}")
    echo(f"key id:      {public_key.key_id}")
    echo(f"public key text: {public_key.to_text()}")
    echo(f"next: acc plugin sign ARCHIVE --key {out}; users trust you with `acc trust add {pub_path.name}`")
