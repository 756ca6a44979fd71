"""`acc plugin list`: the installed plugins, from the local store (works offline).

Usually answered by the fast path (`acc_cli/fast.py`), which prints the same `format_plugin_list`."""

from __future__ import annotations

import click

from acc_cli.fast import format_plugin_list
from acc_cli.terminal import echo
from host.paths import host_paths


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see docs/cli.md).")
def list_plugins(as_json: bool) -> None:
    """List installed plugins."""
    from host.store import LocalStore

    # --json is ASCII with every control character escaped (as acc_cli.terminal.emit_json
    # writes it), which echo's printable() leaves as it is.
    echo(format_plugin_list(LocalStore(host_paths()).list(), as_json=as_json))
