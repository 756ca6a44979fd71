"""`acc registry key remove`: take a signing key away from a publisher."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command("remove")
@click.argument("user_name", metavar="USER")
@click.argument("key_id")
@data_option
def remove(user_name: str, key_id: str, data_dir: Path | None) -> None:
    """Remove USER's signing key KEY_ID: uploads signed with it are refused from now on.

    Versions already published with it stay valid and installable: each version's entry in
    the plugin's TUF-signed index names the public key that signed it, and clients verify
    against that entry. To withdraw those versions, yank them. The user is notified."""
    from registry.operator_credentials import remove_key

    remove_key(registry_config(data_dir), user_name, key_id)
    echo(f"removed signing key {key_id} of {user_name}; versions it signed stay valid")
