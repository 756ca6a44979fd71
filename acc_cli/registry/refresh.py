"""`acc registry refresh`: re-sign expiring metadata and prune old versions (registry/refresh.py)."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command()
@data_option
@click.option(
    "--advance-versions",
    "advance_by",
    type=click.IntRange(1, 1_000_000),
    default=None,
    help="After restoring a backup older than what clients saw: re-sign every online role past N more "
    "versions (N: the metadata changes made since the backup, or more).",
)
def refresh(data_dir: Path | None, advance_by: int | None) -> None:
    """Re-sign online metadata past half its lifetime and prune versions no client needs.
    Run it from cron or a systemd timer on one host or all (one does the work at a time)."""
    from registry.operator import refresh_command

    echo(refresh_command(registry_config(data_dir), advance_by or 0).summary())
