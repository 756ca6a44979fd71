"""`acc agent`: let Claude work on a project through installed plugins.

Defaults come from the `[agent]` table of `ACC_HOME/config.toml`, then the options:

    [agent]
    model = "claude-sonnet-4-5"
    plugins = ["git", "testing"]      # used when --plugins is not given
    max_turns = 30
    max_input_tokens = 2000000
    max_output_tokens = 64000
    max_seconds = 1800
    max_tool_calls = 100
    max_tokens_per_turn = 8192
    retries = 4

Nothing is enabled by default: without --plugins and without `plugins` in the config,
the agent has no tools and the command refuses to start.
"""

from __future__ import annotations

import click

from acc_cli.lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy={
        "run": ("acc_cli.agent.run:run", "Carry out TASK on the project with Claude, through the plugins."),
        "tools": ("acc_cli.agent.tools:tools", "List the tools the agent would get."),
        "plan": ("acc_cli.agent.plan:plan", "Run a plan of tasks in dependency and priority order."),
    },
)
def agent() -> None:
    """Let Claude work on a project through installed plugins (each call sandboxed under its grants)."""
