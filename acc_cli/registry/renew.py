"""`acc registry renew`: re-sign root or targets metadata before it expires."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command()
@click.argument("role", type=click.Choice(["root", "targets"]))
@click.option(
    "--key",
    "key_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A private key of the role, if kept offline (repeat up to its threshold; default: DATA/keys/ROLE.pem).",
)
@data_option
def renew(role: str, key_files: tuple[Path, ...], data_dir: Path | None) -> None:
    """Re-sign ROLE (root or targets) metadata for another expiry period."""
    from registry.repository_admin import renew_command

    version = renew_command(registry_config(data_dir), role, list(key_files))
    echo(f"signed {role} version {version}")
