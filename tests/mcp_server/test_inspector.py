"""A second, independent MCP client: the MCP Inspector's CLI mode (TypeScript SDK) starts
`acc mcp serve` over stdio, lists the tools and calls one.

.ci/run installs the Inspector from the npm registry (scripts/ci_services.sh) and sets
ACC_TEST_MCP_INSPECTOR; once installed it runs offline. Without it the test is skipped,
saying how to install it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import REPO, TEST_CACHE
from tests.mcp_server.mcp_kit import ACC, probe_home

pytestmark = pytest.mark.slow

#: The last release that runs on Node 20 (later ones require Node 22).
INSPECTOR_VERSION = "0.15.0"


def _inspector() -> str:
    configured = os.environ.get("ACC_TEST_MCP_INSPECTOR")
    if configured and Path(configured).exists():
        return configured
    pytest.skip(
        "the MCP Inspector is not installed: run scripts/ci_services.sh, or "
        f"npm install --prefix DIR @modelcontextprotocol/inspector@{INSPECTOR_VERSION} and set "
        "ACC_TEST_MCP_INSPECTOR=DIR/node_modules/.bin/mcp-inspector"
    )


def _inspect(home: Path, project: Path, *method: str) -> dict[str, object]:
    command = [
        _inspector(),
        "--cli",
        "-e",
        f"ACC_HOME={home}",
        "-e",
        f"ACC_CACHE_DIR={TEST_CACHE}",
        ACC,
        "mcp",
        "serve",
        "--project",
        str(project),
        *method,
    ]
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_the_mcp_inspector_cli_lists_the_tools_and_calls_one(
    probe_archive: Path, project: Path, tmp_path: Path
) -> None:
    home = probe_home(tmp_path / "home", probe_archive).home
    listed = _inspect(home, project, "--method", "tools/list")
    tools = {tool["name"]: tool for tool in listed["tools"]}  # type: ignore[attr-defined]
    assert tools["mcp-probe__echo"]["annotations"] == {
        "title": "mcp-probe echo",
        "readOnlyHint": False,
        "openWorldHint": False,
    }
    called = _inspect(
        home, project, "--method", "tools/call", "--tool-name", "mcp-probe__echo", "--tool-arg", "text=hi"
    )
    assert called["isError"] is False and called["structuredContent"] == {"input": {"text": "hi"}}
    # Two starts of node and of the server are enough for a second client; denials and the
    # other errors are the official Python client's tests (tests/mcp_server/test_stdio_session.py).
