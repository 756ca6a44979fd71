"""`acc registry moderate take-down PLUGIN --reason TEXT`: yank every version, through TUF."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command("take-down")
@click.argument("plugin")
@click.option("--reason", required=True, help="Why (each version's yank reason: users see it when acc refuses).")
@data_option
def take_down(plugin: str, reason: str, data_dir: Path | None) -> None:
    """Take PLUGIN down: yank every version with REASON in the signed metadata (clients refuse
    to install or update to it), take it out of search and listings, and keep its name reserved."""
    from registry.moderation_commands import take_down as down

    yanked = down(registry_config(data_dir), plugin, reason)
    versions = ", ".join(yanked) if yanked else "none: every version was yanked already"
    echo(f"took down {plugin} (versions yanked: {versions})")
