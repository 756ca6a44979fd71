"""`acc registry backup DEST`: a consistent snapshot of the registry in one file (registry/backup.py)."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo, err

KEYS_WARNING = (
    "warning: this backup holds the registry's private keys ({keys}): whoever reads it can sign "
    "metadata every client of this registry trusts{offline}. Encrypt it, and keep it apart from "
    "ordinary backups."
)
NO_KEYS_NOTE = (
    "note: the backup holds no keys: keep a copy of {keys_dir} (the online keys at least) elsewhere; "
    "a restored registry cannot sign without them (--include-keys puts them in the backup)"
)


@click.command()
@click.argument("dest", type=click.Path(path_type=Path))
@click.option(
    "--include-keys",
    is_flag=True,
    help="Put the data directory's keys/ (TUF signing keys, session and publisher keys) in the backup too.",
)
@data_option
def backup(dest: Path, include_keys: bool, data_dir: Path | None) -> None:
    """Back up the registry (database rows, TUF metadata, every blob they name) into DEST.

    DEST is a new file (.tar, or .tar.gz / .tgz to compress) or an existing directory, which
    gets registry-backup-TIME-gGENERATION.tar. The snapshot is one committed generation, taken
    without stopping the registry. Keys are left out unless --include-keys."""
    from acc_cli import __version__
    from registry.backup import backup_registry

    config = registry_config(data_dir)
    report = backup_registry(config, dest, acc_version=__version__, include_keys=include_keys)
    echo(report.summary())
    if report.keys:
        offline = [k for k in report.keys if k.startswith(("root", "targets"))]
        extra = f", and the offline {' and '.join(offline)} can re-sign root and targets" if offline else ""
        err(KEYS_WARNING.format(keys=", ".join(report.keys), offline=extra))
    else:
        err(NO_KEYS_NOTE.format(keys_dir=config.keys_dir))
