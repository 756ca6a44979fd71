"""The `[agent]` table of `ACC_HOME/config.toml`: defaults for `acc agent` runs, checked.

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
the agent has no tools and refuses to start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from host.config_file import CONFIG_FILE, config_table
from host.errors import InputError

#: The settings that are `Budgets` fields (options and config keys alike).
BUDGET_KEYS = (
    "max_turns",
    "max_input_tokens",
    "max_output_tokens",
    "max_seconds",
    "max_tool_calls",
    "max_tokens_per_turn",
)
CONFIG_KEYS = {"model", "plugins", "retries", *BUDGET_KEYS}


def load_agent_config(home: Path) -> dict[str, Any]:
    """The [agent] table of HOME/config.toml ({} when there is none), checked."""
    path = home / CONFIG_FILE
    table = config_table(home, "agent")
    unknown = sorted(set(table) - CONFIG_KEYS)
    if unknown:
        raise InputError(
            f"{path}: unknown key {unknown[0]!r} in [agent]", hint=f"the keys are {', '.join(sorted(CONFIG_KEYS))}"
        )
    plugins = table.get("plugins", [])
    if not isinstance(plugins, list) or not all(isinstance(p, str) for p in plugins):
        raise InputError(f"{path}: [agent] plugins must be a list of plugin names")
    for key in (*BUDGET_KEYS, "retries"):
        if key in table and (not isinstance(table[key], int | float) or isinstance(table[key], bool) or table[key] < 0):
            raise InputError(f"{path}: [agent] {key} must be a non-negative number")
    if "model" in table and not isinstance(table["model"], str):
        raise InputError(f"{path}: [agent] model must be a string")
    return dict(table)
