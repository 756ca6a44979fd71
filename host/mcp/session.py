"""One MCP session's state: who the client is, what it may still spend, what logs it wants.

A session is one stdio connection (the server process), or one streamable-HTTP session
(its `mcp-session-id`; requests without one, of the stateless 2026 protocol, share one
session per server). Its budget counts tool calls and wall time from its first request:
past either, calls are refused as tool errors, and a call still running when the wall
time runs out is stopped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

#: MCP's logging levels, least severe first (RFC 5424, as the spec lists them).
LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")

#: A plugin's log levels (the ABI's, plus its stdout/stderr and progress lines) as MCP's.
PLUGIN_LEVELS = {
    "trace": "debug",
    "debug": "debug",
    "progress": "debug",
    "info": "info",
    "stdout": "info",
    "warn": "warning",
    "stderr": "warning",
    "error": "error",
}


def mcp_level(plugin_level: str) -> Any:
    """The MCP level (a `LoggingLevel`) of a plugin's log level."""
    return PLUGIN_LEVELS.get(plugin_level, "info")


def at_least(level: str, minimum: str) -> bool:
    """Whether `level` is as severe as `minimum` or more."""
    return LEVELS.index(level) >= LEVELS.index(minimum) if level in LEVELS and minimum in LEVELS else True


@dataclass
class SessionBudget:
    """Tool calls and wall time one session may spend."""

    max_tool_calls: int
    max_seconds: float
    started: float = field(default_factory=time.monotonic)
    calls: int = 0

    @property
    def deadline(self) -> float:
        return self.started + self.max_seconds

    def refusal(self) -> str:
        """Why the next call is refused ("" when it is not)."""
        if self.calls >= self.max_tool_calls:
            return f"this session has made its {self.max_tool_calls} tool calls (the session's max_tool_calls)"
        if time.monotonic() >= self.deadline:
            return f"this session's wall time of {self.max_seconds:g} s is spent (the session's max_seconds)"
        return ""

    def out_of_time_reason(self) -> str:
        return f"the session's wall time of {self.max_seconds:g} s ran out"


@dataclass
class Session:
    key: str
    budget: SessionBudget
    #: The least severe level the client wants (`logging/setLevel`); "info" until it says.
    log_level: str = "info"
    client_name: str = ""
    client_version: str = ""
    #: The connection's `ServerSession`, to tell it of list changes (handshake-era clients).
    peer: Any = None

    def client(self) -> dict[str, str]:
        return {"name": self.client_name, "version": self.client_version}
