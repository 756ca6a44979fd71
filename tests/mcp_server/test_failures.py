"""A plugin that fails, hits a limit or crashes gives the client a tool error carrying the
host's or the plugin's message, never a JSON-RPC error, and the session goes on: the
hostile test plugin over `acc mcp serve`, with the user's host policy ([limits] in
config.toml) lowering its time limit so the deadline is reached in about a second."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import mcp_types as types
import pytest
from anyio.from_thread import BlockingPortal

from host.paths import HostPaths
from tests.helpers import TEST_CACHE, install_unsigned
from tests.mcp_server.mcp_kit import audit_records, mcp_session, serve_args

pytestmark = pytest.mark.slow


def _text(result: types.CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, types.TextContent)
    return block.text


def test_a_time_limit_a_memory_limit_and_a_crash_are_tool_errors_and_the_session_goes_on(
    portal: BlockingPortal, built_archives: Callable[[str], Path], project: Path, tmp_path: Path
) -> None:
    paths = HostPaths(home=tmp_path / "home", cache=TEST_CACHE)
    install_unsigned(paths, built_archives("hostile"), deny=("fs", "process", "plugins", "kv", "secrets", "http"))
    (paths.home / "config.toml").write_text("[limits]\nmax_timeout_seconds = 1\n")
    with mcp_session(portal, paths.home, serve_args(project, "--plugins", "hostile")) as served:
        looped = served.call("hostile__loop", {})
        assert looped.is_error is True
        assert "time limit" in _text(looped) and "1 s" in _text(looped)

        bombed = served.call("hostile__membomb", {})
        assert bombed.is_error is True and "memory" in _text(bombed)

        crashed = served.call("hostile__recurse", {})
        assert crashed.is_error is True and "recurs" in _text(crashed)

        after = served.call("hostile__echo", {"still": "here"})
        assert after.is_error is False, _text(after)
    outcomes = [(r["command"], r["outcome"]) for r in audit_records(paths.home)]
    assert [command for command, _ in outcomes] == ["loop", "membomb", "recurse", "echo"]
    assert outcomes[-1][1] == "ok" and all(outcome != "ok" for _, outcome in outcomes[:-1])
