"""`acc plugin dev`: build and run a plugin from its source directory, installing nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from acc_cli.terminal import echo, err
from host.paths import host_paths

if TYPE_CHECKING:
    from host.dev import DevPlugin


@click.command()
@click.argument("source", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("command")
@click.option("--input", "input_text", default="{}", show_default=True, help="The command's input as JSON.")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    help="The project directory that fs and process grants refer to.",
)
@click.option(
    "--deny", "denies", multiple=True, metavar="CAP", help="Run without this declared capability (repeatable)."
)
@click.option("--quiet", "-q", is_flag=True, help="Do not print the plugin's log on stderr.")
def dev(source: Path, command: str, input_text: str, project: Path, denies: tuple[str, ...], quiet: bool) -> None:
    """Build the plugin in SOURCE and run its COMMAND, installing nothing.

    For the author's edit-run loop: the build is checked and cached as `acc plugin build`
    does, runs unsigned in a throwaway home (no grant, kv entry or file outlives the run),
    with every capability plugin.toml declares granted except those given with --deny.
    The grants it runs with are shown on stderr; the result is printed on stdout."""
    from host.dev import dev_run
    from host.errors import InputError
    from host.runner import parse_input

    project_dir = project.resolve()
    if not project_dir.is_dir():
        raise InputError(f"--project {project} is not a directory")
    value = parse_input(input_text)

    def emit(plugin: str, level: str, message: str) -> None:
        if not quiet:
            err(f"[{plugin}] {level}: {message}")

    _, result = dev_run(
        host_paths(),
        source,
        command,
        value,
        project_dir=project_dir,
        deny=denies,
        emit_log=emit,
        before_run=_show,
    )
    echo(json.dumps(result, indent=2))


def _show(plugin: DevPlugin) -> None:
    manifest, installed = plugin.manifest, plugin.installed
    build = "cached build" if plugin.cached_build else "built"
    err(f"{manifest.name} {manifest.version} from {plugin.source} ({build}): UNSIGNED development run")
    err("  nothing is installed; the run's grants, kv and files end with it")
    if not manifest.capabilities:
        err("  capabilities: none")
    for kind, capability in sorted(manifest.capabilities.items()):
        mark = "granted" if kind in installed.granted else "denied"
        err(f"  {mark:8} {kind}: {capability.scope_summary()}")
