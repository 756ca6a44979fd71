"""`acc registry moderate taken-down [--json]`: the plugins taken down."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.registry.moderate._cells import short, when
from acc_cli.terminal import echo, emit_json, table


@click.command("taken-down")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see docs/cli.md).")
@data_option
def taken_down(as_json: bool, data_dir: Path | None) -> None:
    """List the plugins taken down, most recent first."""
    from registry.moderation_commands import list_taken_down

    found = list_taken_down(registry_config(data_dir))
    if as_json:
        emit_json([t.as_json() for t in found])
        return
    if not found:
        echo("no plugins are taken down")
        return
    rows = [[t.plugin, t.owner, when(t.at), short(t.reason)] for t in found]
    table([["PLUGIN", "OWNER", "SINCE", "REASON"], *rows])
