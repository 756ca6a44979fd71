"""`acc plugin new`: scaffold a Python plugin to start from."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.terminal import echo


@click.command()
@click.argument("name")
@click.option(
    "--dir", "directory", type=click.Path(file_okay=False, path_type=Path), help="Where to create it (default: ./NAME)."
)
def new(name: str, directory: Path | None) -> None:
    """Scaffold a new Python plugin with a `hello` command and a test."""
    from sdk.scaffold import new_plugin

    target = new_plugin(name, directory)
    echo(f"created {name} in {target}")
    echo(f"next: acc plugin build {target}")
