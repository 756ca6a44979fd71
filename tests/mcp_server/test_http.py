"""`acc mcp serve --transport http` on a loopback port: the official client with the token
lists, calls and cancels; requests without the token, from a foreign origin, or for another
Host are refused before the SDK sees them; other addresses need an explicit flag."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from anyio.from_thread import BlockingPortal
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from host.mcp.audit import input_digest
from tests.helpers import REPO
from tests.mcp_server.mcp_kit import (
    ACC,
    PROMPTLY,
    acc,
    acc_env,
    audit_records,
    connected,
    gone,
    launched,
    probe_home,
    sleep_marker,
)

pytestmark = pytest.mark.slow


@dataclass
class HttpServer:
    url: str
    token: str
    home: Path
    proc: subprocess.Popen[bytes]

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/")[0])


@contextmanager
def running_http_server(home: Path, project: Path, *extra: str) -> Iterator[HttpServer]:
    """`acc mcp serve --transport http` on a free loopback port, until the block ends."""
    proc = subprocess.Popen(
        [ACC, "mcp", "serve", "--transport", "http", "--port", "0", "--project", str(project), *extra],
        env=acc_env(home),
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = _ready_url(proc)
        token = acc(home, "mcp", "token").stdout.strip()
        yield HttpServer(url, token, home, proc)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        assert proc.stderr is not None
        proc.stderr.close()


@pytest.fixture(scope="module")
def http_server(
    probe_archive: Path, module_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HttpServer]:
    home = probe_home(tmp_path_factory.mktemp("home"), probe_archive).home
    with running_http_server(home, module_project) as server:
        yield server


def _ready_url(proc: subprocess.Popen[bytes]) -> str:
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    seen = b""
    while b"\n" not in seen or b" at http://" not in seen:
        assert time.monotonic() < deadline, f"the server did not start: {seen!r}"
        assert proc.poll() is None, f"the server exited: {seen!r}"
        if select.select([proc.stderr], [], [], 0.5)[0]:
            seen += os.read(proc.stderr.fileno(), 4096)
    line = next(line for line in seen.decode().splitlines() if " at http://" in line)
    return line.split(" at ", 1)[1].split(" ", 1)[0]


def _transport(server: HttpServer) -> Any:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {server.token}"})
    return streamable_http_client(server.url, http_client=http)


def _client(server: HttpServer, mode: str = "legacy") -> Client:
    return Client(_transport(server), mode=mode)


def _text(result: types.CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, types.TextContent)
    return block.text


def _post(server: HttpServer, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
    }
    request = urllib.request.Request(
        server.url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def test_the_token_is_made_on_first_use_and_kept_readable_by_the_user_only(http_server: HttpServer) -> None:
    path = http_server.home / "mcp" / "token"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert len(http_server.token) >= 40 and path.read_text().strip() == http_server.token


def test_the_official_client_lists_and_calls_over_http_with_the_token(
    http_server: HttpServer, portal: BlockingPortal
) -> None:
    async def go(mode: str) -> tuple[list[str], types.CallToolResult]:
        async with _client(http_server, mode) as client:
            tools = await client.list_tools()
            return [t.name for t in tools.tools], await client.call_tool("mcp-probe__echo", {"text": mode})

    for mode in ("legacy", "auto"):  # a 2025 session, and the 2026 per-request protocol
        names, result = portal.call(go, mode)
        assert "mcp-probe__steps" in names
        assert result.is_error is False and result.structured_content == {"input": {"text": mode}}
    records = [r for r in audit_records(http_server.home) if r.get("command") == "echo"]
    assert {r["transport"] for r in records} == {"http"}
    assert records[0]["session"].startswith("http:") and records[0]["session"] != "http:stateless"


def test_cancelling_a_call_over_http_kills_the_program_it_launched(
    http_server: HttpServer, portal: BlockingPortal
) -> None:
    marker = sleep_marker(45)

    async def go() -> types.CallToolResult:
        async with _client(http_server) as client:
            async with anyio.create_task_group() as group:
                group.start_soon(client.call_tool, "mcp-probe__sleep-program", {"seconds": marker})
                await launched(marker)
                group.cancel_scope.cancel()
            return await client.call_tool("mcp-probe__echo", {"text": "after"})

    after = portal.call(go)
    assert gone(f"sleep {marker}"), "the launched sleep outlived the cancelled call"
    assert after.is_error is False


def test_over_http_progress_and_log_lines_reach_the_client_and_denials_and_bad_arguments_are_tool_errors(
    http_server: HttpServer, portal: BlockingPortal
) -> None:
    with connected(portal, _transport(http_server), http_server.home) as served:
        steps, seen = served.call_with_progress("mcp-probe__steps", {"count": 3})
        assert steps.is_error is False and steps.structured_content == {"steps": 3}
        assert seen[0] == (1.0, 3.0, "step 1") and seen[-1] == (3.0, 3.0, "step 3")

        warned = served.probe_log_lines("warning", 2)
        assert [(log.level, log.data) for log in warned] == [("warning", "a warning line"), ("error", "an error line")]

        denied = served.call("mcp-probe__fetch", {})
        assert denied.is_error is True
        assert _text(denied).startswith("denied: mcp-probe was not granted the http capability")
        wrong = served.call("mcp-probe__steps", {"count": "three"})
        assert wrong.is_error is True and "invalid input: input for mcp-probe steps is invalid at count" in _text(wrong)
    outcomes = [r["outcome"] for r in audit_records(http_server.home) if r.get("command") in ("fetch", "steps")]
    assert outcomes[-3:] == ["ok", "denied", "input"]


def test_over_http_a_revocation_in_another_process_is_announced_and_a_spent_budget_refuses_calls(
    portal: BlockingPortal, probe_archive: Path, project: Path, tmp_path: Path
) -> None:
    home = probe_home(tmp_path / "home", probe_archive).home
    with running_http_server(home, project, "--max-tool-calls", "2") as server:
        with connected(portal, _transport(server), home) as served:
            assert served.tools()["mcp-probe__sleep-program"].annotations.read_only_hint is False  # type: ignore[union-attr]
            before = served.heard.count("notifications/tools/list_changed")
            acc(home, "plugin", "revoke", "mcp-probe", "process")
            served.wait_for(
                lambda: served.heard.count("notifications/tools/list_changed") > before,
                "tools/list_changed over the session's stream after the revoke",
            )
            denied = served.call("mcp-probe__sleep-program", {"seconds": "0"})
            assert _text(denied).startswith("denied: mcp-probe was not granted the process capability")
            assert served.call("mcp-probe__echo", {"text": "two"}).is_error is False
            refused = served.call("mcp-probe__echo", {"text": "three"})
            assert refused.is_error is True
            assert _text(refused).startswith("refused: this session has made its 2 tool calls")
        with connected(portal, _transport(server), home) as fresh:  # a new session, a new budget
            assert fresh.call("mcp-probe__echo", {"text": "again"}).is_error is False
    outcomes = [(r["outcome"], r["session"]) for r in audit_records(home)]
    assert [outcome for outcome, _ in outcomes] == ["denied", "ok", "budget", "ok"]
    assert len({session for _, session in outcomes}) == 2


def test_a_client_that_dies_mid_call_over_http_has_its_call_stopped_and_nothing_left_running(
    http_server: HttpServer,
) -> None:
    """No cancel arrives from a killed client, only its closed connection; the server keeps
    no events to replay, so the result could reach nobody: the call is stopped at once."""
    marker = sleep_marker(45)
    client = f"""
import anyio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

async def main() -> None:
    http = create_mcp_http_client(headers={{"Authorization": "Bearer {http_server.token}"}})
    async with Client(streamable_http_client("{http_server.url}", http_client=http), mode="legacy") as client:
        await client.call_tool("mcp-probe__sleep-program", {{"seconds": "{marker}"}})

anyio.run(main)
"""
    proc = subprocess.Popen([sys.executable, "-c", client], cwd=REPO, stderr=subprocess.DEVNULL)
    try:
        anyio.run(launched, marker)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert gone(f"sleep {marker}"), "the launched sleep outlived its client"
    _, digest = input_digest({"seconds": marker})

    def its_record() -> list[dict[str, Any]]:
        return [r for r in audit_records(http_server.home) if r.get("input_sha256") == digest]

    deadline = time.monotonic() + PROMPTLY
    while not its_record():  # written as the call returns, just after its program is gone
        assert time.monotonic() < deadline, "the abandoned call was not audited"
        time.sleep(0.05)
    [record] = its_record()
    assert (record["outcome"], record.get("limit")) == ("stopped", "stopped"), record


@pytest.mark.parametrize(
    ("headers", "status", "says"),
    [
        ({}, 401, "a bearer token is required"),
        ({"Authorization": "Bearer not-the-token"}, 401, "a bearer token is required"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401, "a bearer token is required"),
        ({"Origin": "http://evil.example"}, 403, "origin 'http://evil.example' are refused"),
        ({"Origin": "http://127.0.0.1:1"}, 403, "are refused"),  # another local port is another site
        ({"Host": "evil.example"}, 421, "not the server for Host 'evil.example"),  # DNS rebinding
        ({"Host": "127.0.0.1:1"}, 421, "not the server for Host"),
    ],
    ids=["no-token", "wrong-token", "basic-auth", "foreign-origin", "other-local-origin", "rebound-host", "other-port"],
)
def test_requests_without_the_token_from_a_foreign_origin_or_for_another_host_are_refused(
    http_server: HttpServer, headers: dict[str, str], status: int, says: str
) -> None:
    token = {"Authorization": f"Bearer {http_server.token}"}
    if "Host" in headers and "evil" in headers["Host"]:
        headers = {**token, "Host": f"evil.example:{http_server.port}"}
    elif "Authorization" not in headers and headers:
        headers = {**token, **headers}
    code, response_headers, body = _post(http_server, headers)
    assert code == status, body
    assert says in json.loads(body)["error"]
    if status == 401:
        assert response_headers.get("www-authenticate", response_headers.get("WWW-Authenticate")) == (
            'Bearer realm="acc mcp"'
        )


def test_the_servers_own_names_and_origin_are_accepted(http_server: HttpServer) -> None:
    for host in (f"127.0.0.1:{http_server.port}", f"localhost:{http_server.port}"):
        code, _, body = _post(
            http_server,
            {"Authorization": f"Bearer {http_server.token}", "Host": host, "Origin": f"http://{host}"},
        )
        assert code == 200, body


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--host", "10.1.2.3"], "is not a loopback address"),
        (["--host", "0.0.0.0", "--allow-remote"], "would listen on every address"),
        (["--host", "example.com"], "is not an IP address"),
    ],
)
def test_other_addresses_than_loopback_are_refused_unless_asked_for_explicitly(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    proc = acc(tmp_path / "home", "mcp", "serve", "--transport", "http", *extra, ok=False)
    assert message in proc.stderr


def test_a_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    token = acc(home, "mcp", "token").stdout.strip()
    assert acc(home, "mcp", "token").stdout.strip() == token  # made once, then the same
    path = home / "mcp" / "token"
    path.chmod(0o644)
    refused = acc(home, "mcp", "token", ok=False)
    assert "may be read by others (mode 644); it is not used" in refused.stderr
    rotated = acc(home, "mcp", "token", "--rotate").stdout.strip()
    assert rotated != token and oct(path.stat().st_mode & 0o777) == "0o600"
