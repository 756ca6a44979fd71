"""A request its client abandoned (`Lanes.abandon`, from an HTTP connection that closed before
the answer) is never started if it was still waiting for its plugin's lane."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from host.mcp.lanes import CallReport, LaneOptions, Lanes
from host.mcp.listing import read_listing
from tests.mcp_server.mcp_kit import probe_home

pytestmark = pytest.mark.slow


def test_a_request_abandoned_before_its_call_started_is_never_run(
    probe_archive: Path, project: Path, tmp_path: Path
) -> None:
    paths = probe_home(tmp_path / "home", probe_archive)
    listing = read_listing(paths, None)
    served = listing.tools["mcp-probe__echo"]
    lanes = Lanes(paths, LaneOptions(project))

    async def go() -> tuple[str, str, bool, str]:
        lanes.abandon("http:s1", "7", "the client went away")
        report = CallReport(session="http:s1", request="7")
        abandoned = await lanes.call(served, {"text": "x"}, listing.signature, report)
        opened = lanes.lane("mcp-probe").host is not None
        again = await lanes.call(served, {"text": "y"}, listing.signature, CallReport(session="http:s1", request="7"))
        await lanes.aclose()
        return abandoned.content, abandoned.limit, opened, again.content

    text, limit, opened, again = anyio.run(go)
    assert (text, limit) == ("stopped: the client went away", "stopped")
    assert not opened, "no sandbox was opened for it"
    assert '"text": "y"' in again, "the id may be used again once the abandoned request is done"
