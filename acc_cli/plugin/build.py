"""`acc plugin build`: a plugin's source into a component, packed as NAME-VERSION.plugin."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.terminal import echo, err


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

    err(f"building {source} ...")
    result = build_plugin(source, out_dir, cache_dir=host_paths().builds)
    note = " (cached component)" if result.cached else ""
    echo(f"built {result.archive}{note}")
