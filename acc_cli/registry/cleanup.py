"""`acc registry cleanup`: remove what interrupted work and time leave behind (registry/upkeep.py)."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command()
@data_option
def cleanup(data_dir: Path | None) -> None:
    """Remove leftovers: temporary and unreferenced blobs of interrupted publishes, expired
    sessions and links, old download records, week-old unconfirmed registrations."""
    from registry.operator import cleanup_command

    report = cleanup_command(registry_config(data_dir))
    echo(f"removed {report.summary()}")
