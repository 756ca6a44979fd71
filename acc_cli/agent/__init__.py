"""`acc agent`: let Claude work on a project through installed plugins (run, plan, tools).

Defaults come from the `[agent]` table of `ACC_HOME/config.toml` (host/agent/config.py),
then the options. Nothing is enabled by default: without --plugins and without `plugins`
in the config, the agent has no tools and the command refuses to start.
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
