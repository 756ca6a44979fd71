"""`acc registry plugin transfer`: move a plugin to another account."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command("transfer")
@click.argument("plugin_name", metavar="PLUGIN")
@click.argument("new_owner")
@click.option(
    "--drop-old-owner",
    is_flag=True,
    help="Do not keep the old owner as a collaborator: their tokens stop acting on PLUGIN.",
)
@data_option
def transfer(plugin_name: str, new_owner: str, drop_old_owner: bool, data_dir: Path | None) -> None:
    """Give PLUGIN to the account NEW_OWNER: it owns it, may publish and yank it and manage
    its collaborators, with any of its tokens not limited to other plugins. The old owner
    stays a collaborator (publish and yank, not manage collaborators) unless
    --drop-old-owner. The plugin's signed index is re-signed with its new owner; published
    versions keep their signatures. Both accounts are notified."""
    from registry.operator_transfer import transfer_plugin

    result = transfer_plugin(registry_config(data_dir), plugin_name, new_owner, keep_old_owner=not drop_old_owner)
    if not result.changed:
        echo(f"{plugin_name} is already owned by {new_owner}: nothing to do")
        return
    kept = "stays a collaborator" if result.old_owner_kept else "no longer has any rights on it"
    echo(f"transferred {plugin_name} from {result.old_owner} to {new_owner}; {result.old_owner} {kept}")
