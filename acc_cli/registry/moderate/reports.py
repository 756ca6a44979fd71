"""`acc registry moderate reports [--all] [--json]`: abuse reports, oldest first."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.registry.moderate._cells import short, when
from acc_cli.terminal import echo, emit_json, table


@click.command("reports")
@click.option("--all", "include_closed", is_flag=True, help="Closed reports too, with their resolutions.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see docs/cli.md).")
@data_option
def reports(include_closed: bool, as_json: bool, data_dir: Path | None) -> None:
    """List the open abuse reports (with --all, the closed ones too), oldest first."""
    from registry.moderation_commands import list_reports

    found = list_reports(registry_config(data_dir), include_closed)
    if as_json:
        emit_json([r.as_json() for r in found])
        return
    if not found:
        echo("no abuse reports" if include_closed else "no open abuse reports")
        return
    header = ["ID", "PLUGIN", "REPORTER", "REPORTED", "REASON"] + (["STATUS"] if include_closed else [])
    rows = []
    for r in found:
        row = [str(r.id), r.plugin, r.reporter, when(r.created_at), short(r.reason)]
        if include_closed:
            row.append(f"closed by {r.resolved_by}: {short(r.resolution or '')}" if r.resolved_at else "open")
        rows.append(row)
    table([header, *rows])
