"""`acc plugin sign`: an Ed25519 signature for a plugin archive, written beside it."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.terminal import echo

_FILE = click.Path(dir_okay=False, path_type=Path)


@click.command()
@click.argument("archive", type=_FILE)
@click.option(
    "--key", "key_path", required=True, type=_FILE, metavar="FILE", help="Your private key (from `acc plugin keygen`)."
)
def sign(archive: Path, key_path: Path) -> None:
    """Sign ARCHIVE with an Ed25519 key; writes ARCHIVE.sig beside it."""
    from sdk.signing import sign_archive

    echo(str(sign_archive(archive, key_path)))
