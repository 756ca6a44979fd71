"""`acc mcp claude-plugin`: a Claude Code plugin whose MCP server is `acc mcp serve`."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli import __version__
from acc_cli.mcp._options import acc_command, acc_home_setting, plugins_option, split
from acc_cli.terminal import echo, err


@click.command("claude-plugin")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="The directory to write.")
@plugins_option
def claude_plugin(out: Path, plugins: str | None) -> None:
    """Write OUT as a one-plugin Claude Code marketplace; its plugin starts `acc mcp serve`."""
    from host.mcp.clients import (
        MARKETPLACE_NAME,
        PLUGIN_NAME,
        ServerCommand,
        server_command,
        write_claude_plugin,
    )

    executable, leading = acc_command()
    command = server_command(executable, plugins=split(plugins), project=None, home=acc_home_setting())
    server = ServerCommand(command.executable, (*leading, *command.args), command.env)
    plugin_dir = write_claude_plugin(out.absolute(), server, __version__)
    echo(str(plugin_dir))
    err(f"# in Claude Code: /plugin marketplace add {out.absolute()}")
    err(f"#            then /plugin install {PLUGIN_NAME}@{MARKETPLACE_NAME}")
    err(f"# or for one session: claude --plugin-dir {plugin_dir}")
