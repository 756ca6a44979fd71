"""`acc agent tools`: the tools (plugin commands) an agent run would get."""

from __future__ import annotations

import json

import click

from acc_cli.agent._session import plugins_option, split
from acc_cli.terminal import echo
from host.paths import host_paths


@click.command("tools")
@plugins_option
@click.option("--json", "as_json", is_flag=True, help="The tool definitions as the Messages API gets them.")
def tools(plugins: str | None, as_json: bool) -> None:
    """List the tools the agent would get."""
    from host.agent.config import load_agent_config
    from host.agent.session import enabled_tools

    paths = host_paths()
    found = enabled_tools(paths, split(plugins) if plugins else list(load_agent_config(paths.home).get("plugins", [])))
    if as_json:
        echo(json.dumps([t.definition() for t in found], indent=2))
        return
    for tool in found:
        echo(f"{tool.name}\n    {tool.description}")
