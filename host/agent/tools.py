"""Plugin commands as Messages API tools, and running a tool call in the plugin's sandbox.

A tool is named `PLUGIN__COMMAND` and carries the command's description and input
schema from the manifest. A call's outcome always goes back to the model as a tool
result, so the loop continues: the command's JSON result, or the error (an input that
breaks the schema, `denied` for a capability the user did not grant, a limit hit) with
`is_error`. Results longer than the cap are cut, with a note that says so.

A command that is a check (plugin.toml names its `verdict` field, see `host.verdict`)
and whose result says it failed comes back as a normal result (the command ran) whose
first line is `check failed: PLUGIN COMMAND: FIELD: false`, so the model cannot take a
failing test run for a passing one by skimming the JSON.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from host.errors import InputError, PluginFailed, PluginTrap
from host.store import LocalStore
from sdk.errors import AccError

if TYPE_CHECKING:
    from host.runner import PluginHost

SEPARATOR = "__"
MAX_RESULT_CHARS = 20_000
#: The first line of a check's result when its verdict says it failed (see the module docstring).
CHECK_FAILED = "check failed: "
_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


@dataclass(frozen=True)
class AgentTool:
    name: str
    plugin: str
    command: str
    description: str
    input_schema: dict[str, Any]

    def definition(self) -> dict[str, Any]:
        """The tool as the Messages API takes it."""
        return {"name": self.name, "description": self.description, "input_schema": self.input_schema}


@dataclass(frozen=True)
class ToolOutcome:
    """What one tool call did: the text the model gets, and the record for the transcript."""

    tool: str
    plugin: str
    command: str
    input: Any
    content: str
    is_error: bool
    seconds: float
    error_kind: str = ""  # "denied", "invalid", "failed", "limit", "input", "unknown-tool"
    limit: str = ""  # for a PluginTrap: time, memory, fuel, stack, crash
    truncated_from: int = 0
    #: A check's verdict (True passed, False failed); None for other commands and errors.
    verdict: bool | None = None

    def record(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "plugin": self.plugin,
            "command": self.command,
            "input": self.input,
            "result": self.content,
            "is_error": self.is_error,
            "seconds": round(self.seconds, 4),
            "error_kind": self.error_kind or None,
            "limit": self.limit or None,
            "truncated_from": self.truncated_from or None,
            "verdict": self.verdict,
        }

    @property
    def status(self) -> str:
        """One word for progress lines: ok, check failed, or the error's kind."""
        if self.error_kind:
            return self.error_kind
        return "check failed" if self.verdict is False else "ok"


def plugin_tools(store: LocalStore, plugins: Sequence[str]) -> list[AgentTool]:
    """The tools of the named installed plugins, in the order given (then by command)."""
    tools = []
    for name in plugins:
        installed = store.get(name)
        manifest = installed.manifest()
        granted = ", ".join(sorted(installed.granted)) or "none"
        for command in manifest.commands:
            tool_name = f"{name}{SEPARATOR}{command.name}"
            if not _TOOL_NAME.fullmatch(tool_name):
                raise InputError(
                    f"{name}'s command {command.name} makes the tool name {tool_name!r}, longer than "
                    "the Messages API allows (64 characters)",
                    hint="leave this plugin out of --plugins",
                )
            description = (
                f"{command.description} (plugin {name} {installed.version}, sandboxed; granted capabilities: {granted})"
            )
            tools.append(AgentTool(tool_name, name, command.name, description, dict(command.input_schema)))
    return tools


def run_tool(
    host: PluginHost, tools: dict[str, AgentTool], name: str, tool_input: Any, max_chars: int = MAX_RESULT_CHARS
) -> ToolOutcome:
    """Run one tool call; never raises for what the plugin or the model did wrong."""
    started = time.monotonic()
    tool = tools.get(name)
    if tool is None:
        known = ", ".join(sorted(tools)) or "none"
        return _outcome(
            name,
            "",
            "",
            tool_input,
            f"unknown tool {name!r}; the tools are: {known}",
            True,
            started,
            error_kind="unknown-tool",
        )
    try:
        result = host.run(tool.plugin, tool.command, tool_input)
    except InputError as e:
        return _outcome(
            name,
            tool.plugin,
            tool.command,
            tool_input,
            f"invalid input: {e.diagnostics()}",
            True,
            started,
            error_kind="input",
            max_chars=max_chars,
        )
    except PluginFailed as e:
        why = " (the user did not grant this; do not try to work around it)" if e.kind == "denied" else ""
        return _outcome(
            name,
            tool.plugin,
            tool.command,
            tool_input,
            f"{e.kind}: {e.detail}{why}",
            True,
            started,
            error_kind=e.kind,
            max_chars=max_chars,
        )
    except PluginTrap as e:
        return _outcome(
            name,
            tool.plugin,
            tool.command,
            tool_input,
            f"stopped by the host: {e.message}",
            True,
            started,
            error_kind="limit",
            limit=e.limit,
            max_chars=max_chars,
        )
    except AccError as e:
        return _outcome(
            name,
            tool.plugin,
            tool.command,
            tool_input,
            f"failed: {e.diagnostics()}",
            True,
            started,
            error_kind="failed",
            max_chars=max_chars,
        )
    text = json.dumps(result, indent=1, ensure_ascii=False)
    verdict = host.verdict(tool.plugin, tool.command, result)
    if verdict.failed:
        # First, so that cutting a long result never cuts the verdict off.
        text = f"{CHECK_FAILED}{verdict.describe(tool.plugin, tool.command)}\n{text}"
    return _outcome(
        name, tool.plugin, tool.command, tool_input, text, False, started, max_chars=max_chars, verdict=verdict.passed
    )


def _outcome(
    tool: str,
    plugin: str,
    command: str,
    tool_input: Any,
    text: str,
    is_error: bool,
    started: float,
    *,
    error_kind: str = "",
    limit: str = "",
    max_chars: int = MAX_RESULT_CHARS,
    verdict: bool | None = None,
) -> ToolOutcome:
    truncated_from = 0
    if len(text) > max_chars:
        truncated_from = len(text)
        text = text[:max_chars] + f"\n[truncated by the host: {max_chars} of {truncated_from} characters shown]"
    return ToolOutcome(
        tool,
        plugin,
        command,
        tool_input,
        text,
        is_error,
        time.monotonic() - started,
        error_kind=error_kind,
        limit=limit,
        truncated_from=truncated_from,
        verdict=verdict,
    )
