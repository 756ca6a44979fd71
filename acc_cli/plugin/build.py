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
@click.option(
    "--skip-precheck",
    is_flag=True,
    help="Do not check syntax and commands in this Python first (for syntax newer than it).",
)
def build(source: Path, out_dir: Path | None, skip_precheck: bool) -> None:
    """Build the plugin in SOURCE into a component and pack NAME-VERSION.plugin.

    The source is checked first, in a second: syntax errors (file:line) and the commands
    the module registers against plugin.toml. A README still as `acc plugin new` wrote it,
    or one whose capabilities contradict plugin.toml, is warned about."""
    from host.paths import host_paths
    from sdk.build import build_plugin

    err(f"building {source} ...")
    result = build_plugin(source, out_dir, cache_dir=host_paths().builds, precheck=not skip_precheck)
    for warning in result.warnings:
        err(f"warning: {warning.message}\n  hint: {warning.hint}")
    note = " (cached component)" if result.cached else ""
    echo(f"built {result.archive}{note}")
