"""`acc registry migrate`: bring the registry's database schema up to this version of acc."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo


@click.command()
@data_option
def migrate(data_dir: Path | None) -> None:
    """Upgrade the registry's database schema to this version of acc."""
    from registry import schema

    config = registry_config(data_dir)
    schema.upgrade(config.resolved_database_url)
    echo(f"database at revision {schema.head_revision()}")
