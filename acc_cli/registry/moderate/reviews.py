"""`acc registry moderate reviews [--plugin NAME] [--json]`: recent reviews."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.registry.moderate._cells import short, when
from acc_cli.terminal import echo, emit_json, table


@click.command("reviews")
@click.option("--plugin", default=None, help="Only the reviews of this plugin.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see docs/cli.md).")
@data_option
def reviews(plugin: str | None, as_json: bool, data_dir: Path | None) -> None:
    """List reviews, the most recently written first."""
    from registry.moderation_commands import list_reviews

    found = list_reviews(registry_config(data_dir), plugin)
    if as_json:
        emit_json([r.as_json() for r in found])
        return
    if not found:
        echo(f"no reviews of {plugin}" if plugin else "no reviews")
        return
    rows = [[r.plugin, r.user, str(r.stars), when(r.updated_at), short(r.text)] for r in found]
    table([["PLUGIN", "USER", "STARS", "WRITTEN", "TEXT"], *rows])
