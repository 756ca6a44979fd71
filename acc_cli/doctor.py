"""`acc doctor`: which OS sandbox confines the programs plugins run, versions, and where state lives.

The logic is `host.doctor`; this is only the command. Exits 1 when launched programs
would not be confined (no mechanism works, whether or not the override is set), so a
set-up script can check it.
"""

from __future__ import annotations

import os
import sys

import click

from acc_cli.terminal import echo


@click.command()
def doctor() -> None:
    """Say which OS sandbox confines the programs plugins run (and its caveats), versions and paths."""
    from host.doctor import diagnose, render
    from host.paths import host_paths

    diagnosis = diagnose(host_paths(), dict(os.environ))
    for line in render(diagnosis):
        echo(line)
    if not diagnosis.confined:
        sys.exit(1)
