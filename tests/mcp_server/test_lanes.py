"""A request its client abandoned (`Lanes.abandon`, from an HTTP connection that closed before
the answer) is never started if it was still waiting for its plugin's lane; abandoning a
request that already ended changes nothing (its id may come again)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

from host.mcp.lanes import CallReport, LaneOptions, Lanes
from host.mcp.listing import read_listing
from host.tools import ToolOutcome
from tests.mcp_server.mcp_kit import probe_home

pytestmark = pytest.mark.slow


def test_an_abandoned_request_waiting_for_its_lane_is_never_run(
    probe_archive: Path, project: Path, tmp_path: Path
) -> None:
    paths = probe_home(tmp_path / "home", probe_archive)
    listing = read_listing(paths, None)
    sleeper, echo = listing.tools["mcp-probe__sleep-program"], listing.tools["mcp-probe__echo"]
    lanes = Lanes(paths, LaneOptions(project))
    outcomes: dict[str, ToolOutcome] = {}

    async def call(name: str, served: Any, arguments: dict[str, Any], request: str) -> None:
        report = CallReport(session="http:s1", request=request)
        outcomes[name] = await lanes.call(served, arguments, listing.signature, report)

    async def go() -> None:
        lane = lanes.lane("mcp-probe")
        async with anyio.create_task_group() as group:
            group.start_soon(call, "running", sleeper, {"seconds": "1"}, "1")
            while not lane.running:
                await anyio.sleep(0.01)
            group.start_soon(call, "waiting", echo, {"text": "never"}, "2")
            while lane.waiting == 0:
                await anyio.sleep(0.01)
            lanes.abandon("http:s1", "2", "the client went away")
        lanes.abandon("http:s1", "3", "an ended request")  # already answered: nothing to do
        await call("after", echo, {"text": "again"}, "3")
        await lanes.aclose()

    anyio.run(go)
    assert outcomes["running"].is_error is False, "the call that was running finishes"
    assert (outcomes["waiting"].content, outcomes["waiting"].limit) == ("stopped: the client went away", "stopped")
    assert outcomes["after"].is_error is False and '"again"' in outcomes["after"].content


def test_an_abandoned_wait_that_is_cancelled_leaves_no_mark_on_a_reused_id(
    probe_archive: Path, project: Path, tmp_path: Path
) -> None:
    """The waiting call's task is cancelled (its session ended) before its lane frees; a later
    request of the session with the same id runs."""
    paths = probe_home(tmp_path / "home", probe_archive)
    listing = read_listing(paths, None)
    sleeper, echo = listing.tools["mcp-probe__sleep-program"], listing.tools["mcp-probe__echo"]
    lanes = Lanes(paths, LaneOptions(project))
    outcomes: dict[str, ToolOutcome] = {}

    async def call(name: str, served: Any, arguments: dict[str, Any], request: str) -> None:
        report = CallReport(session="http:s1", request=request)
        outcomes[name] = await lanes.call(served, arguments, listing.signature, report)

    async def go() -> None:
        lane = lanes.lane("mcp-probe")
        async with anyio.create_task_group() as group:
            group.start_soon(call, "running", sleeper, {"seconds": "1"}, "1")
            while not lane.running:
                await anyio.sleep(0.01)
            async with anyio.create_task_group() as waiting:
                waiting.start_soon(call, "waiting", echo, {"text": "never"}, "2")
                while lane.waiting == 0:
                    await anyio.sleep(0.01)
                lanes.abandon("http:s1", "2", "the client went away")
                waiting.cancel_scope.cancel()
        await call("reused", echo, {"text": "again"}, "2")
        await lanes.aclose()

    anyio.run(go)
    assert "waiting" not in outcomes, "the cancelled wait returned nothing"
    assert outcomes["reused"].is_error is False and '"again"' in outcomes["reused"].content
