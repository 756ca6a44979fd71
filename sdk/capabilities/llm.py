"""Capability `llm`: ask Claude through the host, which holds the key, the model and the budget.

[capabilities.llm]
max_tokens = 4096                # the most a single call may ask for
server_tools = ["web_search"]    # optional: tools Anthropic runs (web search, code execution)
reason = "Summarises the changes in plain words."

The host chooses the model; a plugin's request may not. Tools the plugin defines itself
(custom tools) need no grant: the plugin runs them, inside its sandbox. A tool that is
not a custom tool (`"type": "web_search_20250305"`, `"code_execution_..."`, ...) makes
Anthropic's servers act for the plugin: fetch pages, run code. Each is refused unless
`server_tools` names it (the type without its date: `web_search`, `web_fetch`,
`code_execution`, ...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sdk.capabilities.kind import Capability, CapabilityKind, Change, amount_change, positive_int, set_changes, str_list
from sdk.errors import ManifestError

DEFAULT_MAX_TOKENS = 4096
_TOOL_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_DATED = re.compile(r"(?P<name>[a-z][a-z0-9_]*?)_(?P<date>[0-9]{8})")


def server_tool_name(tool_type: str) -> str:
    """The grant's name for a tool type: `web_search_20250305` -> `web_search`."""
    dated = _DATED.fullmatch(tool_type)
    return dated.group("name") if dated else tool_type


@dataclass(frozen=True)
class LlmCapability(Capability):
    max_tokens: int = DEFAULT_MAX_TOKENS
    #: Tools run by Anthropic (not the plugin) that requests may use, by name (`web_search`).
    server_tools: tuple[str, ...] = ()

    kind: ClassVar[str] = "llm"
    meaning: ClassVar[str] = "Sends prompts to Claude over the network"
    risky: ClassVar[bool] = True

    def may_modify(self) -> bool:
        return False  # a completion changes nothing; the token budget is the host's

    def scope_summary(self) -> str:
        tools = f"; server tools: {', '.join(self.server_tools)}" if self.server_tools else ""
        return f"ask Claude (up to {self.max_tokens} tokens per call{tools})"

    def warning(self) -> str:
        return "Anthropic's servers act for it: " + ", ".join(self.server_tools) if self.server_tools else ""

    def changes_since(self, old: Capability) -> list[Change]:
        assert isinstance(old, LlmCapability)
        return amount_change(
            self.kind, old.max_tokens, self.max_tokens, "may ask Claude for up to {new} tokens per call (was {old})"
        ) + set_changes(
            self.kind, old.server_tools, self.server_tools, "may now use server tools", "no longer uses server tools"
        )

    def scope(self) -> dict[str, Any]:
        scope: dict[str, Any] = {"max_tokens": self.max_tokens}
        if self.server_tools:
            scope["server_tools"] = list(self.server_tools)
        return scope


def _parse(table: Mapping[str, Any], reason: str, where: str) -> LlmCapability:
    tools = str_list(table, "server_tools", where)
    for tool in tools:
        if not _TOOL_NAME.fullmatch(tool) or _DATED.fullmatch(tool):
            raise ManifestError(
                f"{where}: server_tools entry {tool!r} is not a tool name",
                hint='name the tool without its date, e.g. server_tools = ["web_search"]',
            )
    return LlmCapability(
        reason,
        max_tokens=positive_int(table, "max_tokens", DEFAULT_MAX_TOKENS, where),
        server_tools=tuple(dict.fromkeys(tools)),
    )


KIND = CapabilityKind(
    scope_type=LlmCapability,
    interface="llm",
    functions=("complete",),
    fields=frozenset({"max_tokens", "server_tools"}),
    parse=_parse,
)
