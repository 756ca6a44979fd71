"""`acc mcp token`: the bearer token HTTP clients of `acc mcp serve` must send."""

from __future__ import annotations

import click

from acc_cli.terminal import echo, err
from host.paths import host_paths


@click.command()
@click.option("--rotate", is_flag=True, help="Replace the token (restart running servers; reconfigure clients).")
def token(rotate: bool) -> None:
    """Print the token (made on first use, stored 0600 in ACC_HOME/mcp/token)."""
    from host.mcp.token import ensure_token, rotate_token

    home = host_paths().home
    echo(rotate_token(home) if rotate else ensure_token(home))
    if rotate:
        err("the old token no longer works once servers restart; update your clients' Authorization header")
