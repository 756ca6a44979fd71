"""`acc registry admin list [--json]`: the admins."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo, emit_json


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see docs/cli.md).")
@data_option
def list_admins(as_json: bool, data_dir: Path | None) -> None:
    """List the admins (a disabled account keeps the role but cannot use it)."""
    from registry.moderation_commands import list_admins as admins

    found = admins(registry_config(data_dir))
    if as_json:
        emit_json([{"name": a.name, "disabled": a.disabled} for a in found])
        return
    if not found:
        echo("no admins (make one with `acc registry admin grant NAME`)")
    for a in found:
        echo(a.name + ("  (disabled: cannot moderate)" if a.disabled else ""))
