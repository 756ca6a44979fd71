"""`acc plugin lock`: the installed marketplace plugins, pinned, for `acc plugin install --locked`."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.terminal import echo, err
from host.paths import host_paths


@click.command()
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default="acc.lock",
    show_default=True,
    help="Where to write the lock file.",
)
def lock(output: Path) -> None:
    """Write the installed marketplace plugins (versions, hashes, grants) to a lock file."""
    from host.marketplace.lock import write_lock
    from host.store import LocalStore

    paths = host_paths()
    written = write_lock(paths, output)
    for plugin in LocalStore(paths).list():
        if not plugin.marketplace:
            err(f"warning: {plugin.name} was installed from an archive file: not in the lock")
    count = len(written.plugins)
    echo(
        f"wrote {output}: {count} plugin{'s' if count != 1 else ''} from "
        f"{', '.join(m.name for m in written.marketplaces) or 'no marketplace'}"
    )
