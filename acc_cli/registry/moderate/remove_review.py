"""`acc registry moderate remove-review PLUGIN USER --reason TEXT` (audited with the review's text)."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command("remove-review")
@click.argument("plugin")
@click.argument("user")
@click.option("--reason", required=True, help="Why it is removed (kept in the audit log with the review).")
@data_option
def remove_review(plugin: str, user: str, reason: str, data_dir: Path | None) -> None:
    """Remove USER's review of PLUGIN; the plugin's rating is counted again without it."""
    from registry.moderation_commands import remove_review as remove

    removed = remove(registry_config(data_dir), plugin, user, reason)
    stars = f"{removed.stars} star" + ("" if removed.stars == 1 else "s")
    echo(f"removed {removed.user}'s review of {removed.plugin} ({stars})")
