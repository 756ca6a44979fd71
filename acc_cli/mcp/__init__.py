"""`acc mcp`: serve installed plugins as MCP tools (serve), set clients up (config,
claude-plugin), the HTTP token (token), and the audit log of every call (log).

Defaults come from the `[mcp]` table of `ACC_HOME/config.toml` (host/mcp/config.py),
then the options. Grants never change through MCP: `acc plugin grant` and `revoke` do.
"""

from __future__ import annotations

import click

from acc_cli.lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy={
        "serve": ("acc_cli.mcp.serve:serve", "Serve the installed plugins' commands as MCP tools (stdio or HTTP)."),
        "config": ("acc_cli.mcp.config:config", "Print the setup for an MCP client (claude-code, cursor, ...)."),
        "token": ("acc_cli.mcp.token:token", "Print the bearer token of the HTTP transport (made on first use)."),
        "log": ("acc_cli.mcp.log:log", "Show the audit log of MCP tool calls (--follow to keep watching)."),
        "claude-plugin": (
            "acc_cli.mcp.claude_plugin:claude_plugin",
            "Write a Claude Code plugin whose MCP server is `acc mcp serve`.",
        ),
    },
)
def mcp() -> None:
    """Give Claude Code (or any MCP client) the installed plugins as sandboxed tools."""
