"""`acc mcp log`: the audit log of MCP tool calls, and following it."""

from __future__ import annotations

import json
from collections import deque

import click

from acc_cli.terminal import echo
from host.paths import host_paths


@click.command()
@click.option("--follow", "-f", is_flag=True, help="Keep printing calls as they are made (Ctrl-C to stop).")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON lines.")
@click.option("-n", "--lines", type=click.IntRange(min=0), default=20, show_default=True, help="Show the last N calls.")
def log(follow: bool, as_json: bool, lines: int) -> None:
    """Show the last calls: time, client, plugin@version, command, outcome, duration, input
    size, refused capability calls. Inputs and results are never logged."""
    from host.mcp.audit import audit_path, format_record, read_records
    from host.mcp.audit import follow as follow_records

    path = audit_path(host_paths().home)

    def show(record: dict[str, object]) -> None:
        echo(json.dumps(record) if as_json else format_record(record))

    for record in deque(read_records(path), maxlen=lines):
        show(record)
    if follow:
        try:
            for record in follow_records(path):
                show(record)
        except KeyboardInterrupt:
            return
