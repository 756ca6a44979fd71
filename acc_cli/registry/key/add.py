"""`acc registry key add`: register a publisher's Ed25519 public key."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command("add")
@click.argument("user_name", metavar="USER")
@click.argument("pubkey_file", type=click.Path(dir_okay=False, path_type=Path))
@data_option
def add(user_name: str, pubkey_file: Path, data_dir: Path | None) -> None:
    """Register an Ed25519 public key (from `acc plugin keygen`) for USER."""
    from registry.operator import add_key_command

    key_id = add_key_command(registry_config(data_dir), user_name, pubkey_file)
    echo(f"registered key {key_id} for {user_name}")
