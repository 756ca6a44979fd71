"""Plugin commands as tools, and running a tool call in the plugin's sandbox.

One home for what the agent (`host.agent`, tools of the Messages API) and the MCP server
(`host.mcp`, tools of the Model Context Protocol) share: a tool is named
`PLUGIN__COMMAND` and carries the command's description and input schema from the
manifest; a call's outcome always goes back to the model as a tool result: the
command's JSON result, or the error (an input that breaks the schema, `denied` for a
capability the user did not grant, a limit hit, a call stopped) with `is_error`. Results
longer than the cap are cut, with a note that says so.

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
from host.store import InstalledPlugin, LocalStore
from sdk.errors import AccError

if TYPE_CHECKING:
    from host.runner import PluginHost
    from sdk.manifest import Manifest

SEPARATOR = "__"
MAX_RESULT_CHARS = 20_000
#: The first line of a check's result when its verdict says it failed (see the module docstring).
CHECK_FAILED = "check failed: "
_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


@dataclass(frozen=True)
class PluginTool:
    """One command of an installed plugin, as a tool."""

    name: str
    plugin: str
    command: str
    description: str
    input_schema: dict[str, Any]
    #: The command's declared result schema (`[commands.output]`), if any.
    output_schema: dict[str, Any] | None = None

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
    limit: str = ""  # for a PluginTrap: time, memory, fuel, stack, crash, stopped
    truncated_from: int = 0
    #: The command's decoded JSON result (when it succeeded), before it became text.
    result: Any = None
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


def plugin_tools(store: LocalStore, plugins: Sequence[str]) -> list[PluginTool]:
    """The tools of the named installed plugins, in the order given (then by command)."""
    tools = []
    for name in plugins:
        installed = store.runnable(name)  # a disabled plugin is offered as no tool
        tools.extend(command_tools(installed, installed.manifest()))
    return tools


def command_tools(installed: InstalledPlugin, manifest: Manifest) -> list[PluginTool]:
    """The tools of one installed plugin, one per command; InputError for a name too long."""
    granted = ", ".join(
        f"{kind} (reading only)" if kind in installed.read_only else kind for kind in sorted(installed.granted)
    )
    granted = granted or "none"
    tools = []
    for command in manifest.commands:
        tool_name = tool_name_of(installed.name, command.name)
        if not _TOOL_NAME.fullmatch(tool_name):
            raise InputError(
                f"{installed.name}'s command {command.name} makes the tool name {tool_name!r}, longer than "
                "clients allow (64 characters)",
                hint="leave this plugin out of --plugins",
            )
        description = (
            f"{command.description} (plugin {installed.name} {installed.version}, sandboxed; "
            f"granted capabilities: {granted})"
        )
        output = dict(command.output_schema) if command.output_schema is not None else None
        tools.append(
            PluginTool(tool_name, installed.name, command.name, description, dict(command.input_schema), output)
        )
    return tools


def tool_name_of(plugin: str, command: str) -> str:
    """`PLUGIN__COMMAND`: the name of a command as a tool."""
    return f"{plugin}{SEPARATOR}{command}"


def run_tool(
    host: PluginHost, tools: dict[str, PluginTool], name: str, tool_input: Any, max_chars: int = MAX_RESULT_CHARS
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
        name,
        tool.plugin,
        tool.command,
        tool_input,
        text,
        False,
        started,
        max_chars=max_chars,
        result=result,
        verdict=verdict.passed,
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
    result: Any = None,
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
        result=result,
        verdict=verdict,
    )
