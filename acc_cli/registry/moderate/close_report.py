"""`acc registry moderate close-report ID --resolution TEXT` (audited)."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo
from sdk.terminal_text import printable


@click.command("close-report")
@click.argument("report_id", metavar="ID", type=click.IntRange(1))
@click.option("--resolution", required=True, help="What was done about it (kept with the report).")
@data_option
def close_report(report_id: int, resolution: str, data_dir: Path | None) -> None:
    """Close abuse report ID, saying what was done about it."""
    from registry.moderation_commands import close_report as close

    closed = close(registry_config(data_dir), report_id, resolution)
    echo(f"closed report {closed.id} on {closed.plugin}: {printable(closed.resolution or '')}")
