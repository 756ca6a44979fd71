"""The server follows the store while it runs: installs, revocations and removals made by
`acc` in another process reach clients as list changes, the next call runs under the new
state, and a call whose plugin is removed under it is stopped. Budgets end a session's calls.
Each test runs its own `acc mcp serve` (they change the store or spend a budget)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import anyio
import mcp_types as types
import pytest
from anyio.from_thread import BlockingPortal

from tests.mcp_server.mcp_kit import acc, audit_records, mcp_session, probe_home, serve_args

pytestmark = pytest.mark.slow

LIST_CHANGED = "notifications/tools/list_changed"


def _text(result: types.CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, types.TextContent)
    return block.text


def test_installs_and_revocations_in_another_process_announce_new_lists_and_apply_to_the_next_call(
    portal: BlockingPortal,
    probe_archive: Path,
    built_archives: Callable[[str], Path],
    project: Path,
    tmp_path: Path,
) -> None:
    home = probe_home(tmp_path / "home", probe_archive).home
    stats = built_archives("project-stats")
    with mcp_session(portal, home, serve_args(project)) as served:
        assert set(served.tools()) >= {"mcp-probe__echo"}
        before = served.heard.count(LIST_CHANGED)

        acc(home, "plugin", "install", str(stats), "--yes", "--allow-unsigned-DANGEROUS")
        served.wait_for(lambda: served.heard.count(LIST_CHANGED) > before, "tools/list_changed after the install")
        served.wait_for(  # sent right after the tools' one
            lambda: "notifications/resources/list_changed" in served.heard.notifications,
            "resources/list_changed after the install",
        )
        tools = served.tools()
        assert {"project-stats__summary", "project-stats__git-info"} <= set(tools)
        summary = served.call("project-stats__summary", {})
        assert summary.is_error is False and isinstance(summary.structured_content, dict)

        sleeper = tools["mcp-probe__sleep-program"]
        assert sleeper.annotations is not None and sleeper.annotations.read_only_hint is False
        before = served.heard.count(LIST_CHANGED)
        acc(home, "plugin", "revoke", "mcp-probe", "process")
        served.wait_for(lambda: served.heard.count(LIST_CHANGED) > before, "tools/list_changed after the revoke")
        sleeper = served.tools()["mcp-probe__sleep-program"]
        assert sleeper.annotations is not None and sleeper.annotations.read_only_hint is True  # fs (read) is left
        assert sleeper.description is not None and "granted capabilities: fs)" in sleeper.description
        denied = served.call("mcp-probe__sleep-program", {"seconds": "0"})
        assert denied.is_error is True
        assert _text(denied).startswith("denied: mcp-probe was not granted the process capability")


def test_a_plugin_removed_while_its_call_runs_is_stopped_and_its_tools_are_gone(
    portal: BlockingPortal, probe_archive: Path, project: Path, tmp_path: Path
) -> None:
    home = probe_home(tmp_path / "home", probe_archive).home
    with mcp_session(portal, home, serve_args(project)) as served:
        served.tools()
        # The tool list may be answered before the SDK has loaded: a first call waits for it
        # and opens the sandbox, so that the spin below is running within the second it gets.
        assert served.call("mcp-probe__echo", {}).is_error is False
        outcome: list[types.CallToolResult] = []

        async def spin_and_remove() -> None:
            async def spin() -> None:
                outcome.append(await served.client.call_tool("mcp-probe__spin", {}))

            async with anyio.create_task_group() as group:
                group.start_soon(spin)
                await anyio.sleep(1.0)
                await anyio.to_thread.run_sync(lambda: acc(home, "plugin", "remove", "mcp-probe"))

        served.run(spin_and_remove)
        [stopped] = outcome
        assert stopped.is_error is True
        assert "mcp-probe spin was stopped: mcp-probe was removed or disabled while the call ran" in _text(stopped)
        served.wait_for(lambda: LIST_CHANGED in served.heard.notifications, "tools/list_changed after the removal")
        assert served.tools() == {}
        after = served.call("mcp-probe__echo", {})
        assert after.is_error is True and "no plugin is served" in _text(after)
    record = [r for r in audit_records(home) if r.get("command") == "spin"][-1]
    assert record["outcome"] == "stopped" and record["limit"] == "stopped"


def test_a_session_past_its_budgets_gets_tool_errors_and_a_call_running_out_of_time_is_stopped(
    portal: BlockingPortal, probe_archive: Path, project: Path, tmp_path: Path
) -> None:
    home = probe_home(tmp_path / "home", probe_archive).home
    args = serve_args(project, "--max-tool-calls", "2", "--max-seconds", "6")
    with mcp_session(portal, home, args) as served:
        assert served.call("mcp-probe__echo", {"text": "one"}).is_error is False
        spun = served.call("mcp-probe__spin", {})  # runs until the session's 6 s are spent
        assert spun.is_error is True
        assert "was stopped: the session's wall time of 6 s ran out" in _text(spun)
        refused = served.call("mcp-probe__echo", {"text": "three"})
        assert refused.is_error is True
        assert _text(refused).startswith("refused: this session has made its 2 tool calls")
    outcomes = [r["outcome"] for r in audit_records(home)]
    assert outcomes == ["ok", "stopped", "budget"]


def test_a_client_of_the_2026_protocol_lists_calls_and_hears_list_changes_through_its_subscription(
    portal: BlockingPortal, probe_archive: Path, project: Path, tmp_path: Path
) -> None:
    home = probe_home(tmp_path / "home", probe_archive).home
    with mcp_session(portal, home, serve_args(project), mode="auto", log_level="info") as served:
        assert served.client.protocol_version == "2026-07-28"
        result = served.call("mcp-probe__steps", {"count": 2})
        assert result.is_error is False and result.structured_content == {"steps": 2}
        served.wait_for(lambda: len(served.heard.logs) >= 2, "the steps' log lines (opted in with log_level)")
        events: list[object] = []

        async def listen_while_granting() -> None:
            async with served.client.listen(tools_list_changed=True) as subscription:
                await anyio.to_thread.run_sync(lambda: acc(home, "plugin", "revoke", "mcp-probe", "process"))
                with anyio.fail_after(15):
                    async for event in subscription:
                        events.append(event)
                        break

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            served.run(listen_while_granting)
        assert type(events[0]).__name__ == "ToolsListChanged"
        sleeper = served.tools()["mcp-probe__sleep-program"]
        assert sleeper.annotations is not None and sleeper.annotations.read_only_hint is True
