"""`acc plugin run`: run one command of an installed plugin and print its JSON result."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from acc_cli._complete import installed_plugins, plugin_commands
from acc_cli.plugin._common import ask_on_terminal, offline
from acc_cli.plugin._input import input_option, read_input
from acc_cli.terminal import confirm, echo, err, interactive, progress
from host.paths import host_paths
from sdk.errors import AccError


@click.command()
@click.argument("name", shell_complete=installed_plugins)
@click.argument("command", shell_complete=plugin_commands)
@input_option
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    help="The project directory that fs and process grants refer to.",
)
@click.option("--quiet", "-q", is_flag=True, help="Do not print the plugin's log on stderr.")
def run(name: str, command: str, input_text: str, project: Path, quiet: bool) -> None:
    """Run COMMAND of plugin NAME; print its JSON result on stdout.

    The input is JSON (`--input '{"path": "src"}'`), a file (`--input @input.json`) or
    stdin (`--input -`). Exit status 1 when the plugin fails, or when the command is a
    check (its plugin.toml names a `verdict` field) and its result says it failed."""
    from host.errors import InputError, PluginFailed, PluginTrap
    from host.policy import load_policy
    from host.runner import PluginHost, RunOptions
    from host.store import LocalStore

    paths = host_paths()
    name = LocalStore(paths).runnable(name).name  # as installed, in whatever case it was typed
    project_dir = project.resolve()
    if not project_dir.is_dir():
        raise InputError(f"--project {project} is not a directory")
    policy = load_policy(paths.home)
    value = read_input(input_text, policy.max_input_bytes)

    def emit(plugin: str, level: str, message: str) -> None:
        if not quiet:
            err(f"[{plugin}] {level}: {message}")

    try:
        options = RunOptions(project_dir=project_dir, emit_log=emit, policy=policy)
        with PluginHost(paths, options) as plugin_host:
            result = plugin_host.run(name, command, value)
            verdict = plugin_host.verdict(name, command, result)
    except (PluginTrap, PluginFailed) as e:
        if e.loading == name:
            _offer_rollback(name, e)
        raise
    echo(json.dumps(result, indent=2))
    if verdict.failed:
        # A check that failed (plugin.toml's `verdict` field said false): exit 1, for CI.
        err(f"failed: {verdict.describe(name, command)}")
        sys.exit(1)


def _offer_rollback(name: str, error: AccError) -> None:
    """`name` failed while starting. If an earlier version is kept (it was updated), offer to
    roll back to it: on a terminal, ask; otherwise say how in the error's hint. Returns only
    when there is nothing to offer (the caller re-raises the error)."""
    from host.consent import Answers
    from host.marketplace.update import rollback as rollback_plugin
    from host.marketplace.update import session
    from host.store import LocalStore

    installed = LocalStore(host_paths()).find(name)
    if installed is None or not installed.marketplace or len(installed.versions) < 2:
        return
    how = f"`acc plugin rollback {name}` switches back to the version kept from before"
    if not interactive():
        error.hint = f"{name} {installed.version} fails to start; {how}"
        return
    err(f"error: {error.diagnostics()}")
    err(
        f"{name} {installed.version} fails to start; earlier versions are kept: "
        f"{', '.join(v for v in installed.versions if v != installed.version)}"
    )
    if not confirm(f"Roll {name} back to the newest earlier version the marketplace still vouches for?", err=True):
        sys.exit(1)
    consent = Answers(ask=ask_on_terminal, announce=echo)
    with session(host_paths(), progress()) as current:
        try:
            result = rollback_plugin(current, name, None, consent, None)
        except AccError as e:
            raise offline(e) from e
    echo(f"rolled back {name} {result.previous.version} -> {result.current.version}; run the command again")
    sys.exit(1)
