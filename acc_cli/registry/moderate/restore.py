"""`acc registry moderate restore PLUGIN`: undo a take-down."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command("restore")
@click.argument("plugin")
@data_option
def restore(plugin: str, data_dir: Path | None) -> None:
    """Undo PLUGIN's take-down: un-yank the versions it yanked (not those its publisher had
    yanked) and list it again."""
    from registry.moderation_commands import restore as undo

    restored = undo(registry_config(data_dir), plugin)
    versions = ", ".join(restored) if restored else "none"
    echo(f"restored {plugin} (versions un-yanked: {versions})")
