"""`acc registry seed`: build, sign and publish the official plugins into a registry."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo, err


@click.command()
@data_option
def seed(data_dir: Path | None) -> None:
    """Build, sign and publish the official plugins (idempotent)."""
    from host.paths import host_paths
    from registry.seed import seed as run_seed

    config = registry_config(data_dir)
    if not (config.keys_dir / "root.pem").exists() and not config.database_url:
        raise click.ClickException(f"{config.data_dir} holds no registry; create one with `acc registry init`")
    results = run_seed(config, host_paths().builds, progress=err)
    new = sum(r.created for r in results)
    echo(f"{len(results)} official plugins in {config.data_dir}: {new} newly published")
