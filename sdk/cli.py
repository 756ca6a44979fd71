"""`acc plugin` commands for plugin authors: new, build (keygen, sign, verify: signing_cli)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("name")
@click.option(
    "--dir", "directory", type=click.Path(file_okay=False, path_type=Path), help="Where to create it (default: ./NAME)."
)
def new(name: str, directory: Path | None) -> None:
    """Scaffold a new Python plugin with a `hello` command and a test."""
    from sdk.scaffold import new_plugin

    target = new_plugin(name, directory)
    click.echo(f"created {name} in {target}")
    click.echo(f"next: acc plugin build {target}")


@click.command()
@click.argument("source", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option(
    "-o",
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write NAME-VERSION.plugin (default: SOURCE).",
)
def build(source: Path, out_dir: Path | None) -> None:
    """Build the plugin in SOURCE into a component and pack NAME-VERSION.plugin."""
    from host.paths import host_paths
    from sdk.build import build_plugin

    click.echo(f"building {source} ...", err=True)
    result = build_plugin(source, out_dir, cache_dir=host_paths().builds)
    note = " (cached component)" if result.cached else ""
    click.echo(f"built {result.archive}{note}")
