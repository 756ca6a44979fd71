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
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The role's private key, if it is kept offline (default: DATA/keys/ROLE.pem).",
)
@data_option
def renew(role: str, key_file: Path | None, data_dir: Path | None) -> None:
    """Re-sign ROLE (root or targets) metadata for another expiry period."""
    from registry.operator import renew_command

    version = renew_command(registry_config(data_dir), role, key_file)
    echo(f"signed {role} version {version}")
