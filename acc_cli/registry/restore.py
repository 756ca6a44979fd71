"""`acc registry restore SRC`: a registry from a backup, verified before anything changes (registry/restore.py)."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo, err


@click.command()
@click.argument("src", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Replace a registry that is there already (its data directory is kept beside the new one).",
)
@data_option
def restore(src: Path, force: bool, data_dir: Path | None) -> None:
    """Restore the backup SRC (from `acc registry backup`) into an empty data directory and database.

    Every file is checked against the backup's manifest before anything is changed; a backup
    of a newer schema than this acc knows is refused. Stop the registry before --force."""
    from registry.restore import restore_registry

    report = restore_registry(registry_config(data_dir), src, force=force)
    echo(report.summary())
    if report.kept is not None:
        err(f"note: the data directory as it was is kept in {report.kept}: remove it once the restored registry serves")
    if report.signing_problem:
        err(f"note: the restored registry cannot sign yet: {report.signing_problem}")
    err(
        f"note: installed clients that saw metadata newer than this backup (generation {report.generation}) "
        "refuse it as a rollback until `acc registry refresh --advance-versions N` re-signs past it "
        "(N: the metadata changes made since the backup: the lost registry's DATA/generation minus "
        f"{report.generation}, or more)"
    )
