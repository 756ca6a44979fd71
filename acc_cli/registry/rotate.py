"""`acc registry rotate`: replace a role's TUF keys, the standard TUF way (registry/tuf_rotation.py)."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo, err

_KEY_FILE = click.Path(dir_okay=False, path_type=Path)


@click.command()
@click.argument("role", type=click.Choice(["root", "targets", "snapshot", "timestamp", "bins"]))
@click.option(
    "--root-key", "root_keys", multiple=True, type=_KEY_FILE, help="A current root key (repeat to its threshold)."
)
@click.option(
    "--targets-key",
    "targets_keys",
    multiple=True,
    type=_KEY_FILE,
    help="A current targets key (rotating bins: the targets metadata names the bins keys).",
)
@click.option(
    "--new-key",
    "new_key_files",
    multiple=True,
    type=_KEY_FILE,
    help="A new private key (root or targets: they sign too; repeat for several, e.g. 3 for 2-of-3).",
)
@click.option(
    "--new-key-uri",
    "new_key_uris",
    multiple=True,
    help="An online key by securesystemslib signer URI (file2:PATH, awskms:..., hsm:..., hv:...), "
    "with --new-public-key in the same order. Default: a new key file in DATA/keys/.",
)
@click.option(
    "--new-public-key",
    "new_public_keys",
    multiple=True,
    type=_KEY_FILE,
    help="The PEM public key of each --new-key-uri.",
)
@click.option("--threshold", type=click.IntRange(1, 16), default=None, help="How many of the new keys must sign.")
@data_option
def rotate(
    role: str,
    root_keys: tuple[Path, ...],
    targets_keys: tuple[Path, ...],
    new_key_files: tuple[Path, ...],
    new_key_uris: tuple[str, ...],
    new_public_keys: tuple[Path, ...],
    threshold: int | None,
    data_dir: Path | None,
) -> None:
    """Give ROLE new keys: a new root (or, for bins, targets) version names them, signed so that
    clients trusting the current one follow; the role is re-signed with them at once."""
    from registry.errors import RepositoryError
    from registry.repository_admin import NewKey, rotate_command

    if len(new_key_uris) != len(new_public_keys):
        raise RepositoryError("give one --new-public-key for each --new-key-uri, in the same order")
    offline = role in ("root", "targets")
    if offline and not new_key_files:
        raise RepositoryError(f"rotating {role} needs the new private keys: --new-key PATH (from `acc plugin keygen`)")
    if not offline and new_key_files:
        raise RepositoryError(f"{role} keys are online: give them with --new-key-uri (default: made in DATA/keys/)")
    new = [NewKey(uri, path.read_bytes()) for uri, path in zip(new_key_uris, new_public_keys, strict=True)]
    version, ids = rotate_command(
        registry_config(data_dir),
        role,
        root_keys=root_keys,
        targets_keys=targets_keys,
        new_keys=new,
        new_key_files=new_key_files,
        threshold=threshold,
    )
    named_by = "targets" if role == "bins" else "root"
    echo(f"rotated the {role} keys: {named_by} version {version} names {', '.join(k[:16] for k in ids)}")
    if not offline:
        err("copy the new key files to every registry host before restarting them (or name KMS/HSM keys by URI)")
