"""The `[mcp]` table of `ACC_HOME/config.toml`: defaults for `acc mcp serve`, checked.

    [mcp]
    plugins = ["git", "testing"]   # the plugins served (default: every installed plugin)
    max_tool_calls = 1000          # per session; a call past it is refused as a tool error
    max_seconds = 28800            # a session's wall time; a call still running then is stopped
    max_result_chars = 100000      # the text of a result is cut beyond this (with a note)
    audit_max_bytes = 67108864     # the audit log is rotated (one old file kept) beyond this
    host = "127.0.0.1"             # HTTP: where to listen (loopback; see --allow-remote)
    port = 8765                    # HTTP: the port

Flags of `acc mcp serve` override each key. A session is one stdio connection, or one
HTTP session (its `mcp-session-id`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from host.config_file import CONFIG_FILE, config_table
from host.errors import InputError
from host.paths import HostPaths
from host.policy import HostPolicy


@dataclass(frozen=True)
class McpSettings:
    """What one `acc mcp serve` serves, and what each session may spend."""

    #: The plugins whose commands are tools; None: every installed plugin (new ones included).
    plugins: tuple[str, ...] | None = None
    max_tool_calls: int = 1000
    max_seconds: float = 8 * 3600.0
    max_result_chars: int = 100_000
    audit_max_bytes: int = 64 * 1024 * 1024
    host: str = "127.0.0.1"
    port: int = 8765
    #: How often the store is checked for changes (installs, grants, removals), in seconds.
    watch_seconds: float = 0.25

    def with_overrides(self, **values: Any) -> McpSettings:
        """These settings with each non-None value in `values` replacing its key."""
        given = {k: v for k, v in values.items() if v is not None}
        if "plugins" in given:
            given["plugins"] = tuple(given["plugins"])
        return replace(self, **given)


_NUMBERS = {"max_tool_calls": int, "max_seconds": float, "max_result_chars": int, "audit_max_bytes": int, "port": int}
_KEYS = {f.name for f in fields(McpSettings)} - {"watch_seconds"}


def load_mcp_settings(home: Path) -> McpSettings:
    """The settings from the [mcp] table of HOME/config.toml (defaults for what it leaves out)."""
    return settings_from_table(config_table(home, "mcp"), home / CONFIG_FILE)


def settings_from_table(table: Mapping[str, Any], path: Path) -> McpSettings:
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise InputError(
            f"{path}: unknown key {unknown[0]!r} in [mcp]", hint=f"the keys are {', '.join(sorted(_KEYS))}"
        )
    values: dict[str, Any] = {}
    if "plugins" in table:
        plugins = table["plugins"]
        if not isinstance(plugins, list) or not all(isinstance(p, str) and p for p in plugins):
            raise InputError(f"{path}: [mcp] plugins must be a list of plugin names")
        values["plugins"] = tuple(plugins)
    for key, kind in _NUMBERS.items():
        if key not in table:
            continue
        value = table[key]
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise InputError(f"{path}: [mcp] {key} must be a positive number")
        if kind is int and not isinstance(value, int):
            raise InputError(f"{path}: [mcp] {key} must be a whole number")
        values[key] = kind(value)
    if "port" in values and values["port"] > 65535:
        raise InputError(f"{path}: [mcp] port must be at most 65535")
    if "host" in table:
        if not isinstance(table["host"], str) or not table["host"]:
            raise InputError(f"{path}: [mcp] host must be an address such as 127.0.0.1")
        values["host"] = table["host"]
    return McpSettings(**values)


@dataclass(frozen=True)
class ServeOptions:
    """One `acc mcp serve`: where the store is, what it serves, on which transport."""

    paths: HostPaths
    settings: McpSettings
    project_dir: Path
    transport: str  # "stdio" or "http"
    policy: HostPolicy = field(default_factory=HostPolicy)
    #: acc's version, as `initialize` names the server (the CLI passes its own).
    server_version: str = "0"
