"""What no well-behaved client sends, over raw pipes to `acc mcp serve`: malformed frames get
JSON-RPC errors and the session goes on; a client that disappears mid-call (or a signal)
ends the server with nothing left running."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.mcp_server.mcp_kit import (
    PROMPTLY,
    audit_records,
    gone,
    probe_home,
    processes_with,
    raw_server,
    serve_args,
    sleep_marker,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def home(probe_archive: Path, tmp_path: Path) -> Path:
    return probe_home(tmp_path / "home", probe_archive).home


def test_malformed_frames_get_json_rpc_errors_and_the_session_goes_on(home: Path, project: Path) -> None:
    with raw_server(home, serve_args(project)) as server:
        server.initialize()

        server.send(b"this is not json")
        error = server.receive()
        assert error["id"] is None and error["error"]["code"] == -32700

        server.send(b'{"jsonrpc": "2.0", "id": 7, "method": 5}')
        error = server.receive()
        assert error["id"] == 7 and error["error"]["code"] == -32600
        assert '"method" must be a string' in error["error"]["message"]

        server.send(b"[1, 2, 3]")
        assert server.receive()["error"]["code"] == -32600

        deep = '{"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {"name": "mcp-probe__echo", '
        deep += '"arguments": {"x": ' + "[" * 300 + "]" * 300 + "}}}"
        server.send(deep.encode())
        error = server.receive()
        assert error["id"] == 8 and error["error"]["code"] == -32600 and "nests" in error["error"]["message"]

        server.send(b'{"jsonrpc": "2.0", "id": 9, "method": "tools/list", "params": {"cursor": ' + b'"x' * 3_000_000)
        error = server.receive()
        assert error["id"] is None and error["error"]["code"] == -32600
        assert "larger than" in error["error"]["message"]

        server.send(b'{"jsonrpc": "2.0", "method": 17}')  # a broken notification: nothing may answer it
        server.send_json({"jsonrpc": "2.0", "id": 10, "method": "tools/list"})
        answer = server.receive()
        assert answer["id"] == 10 and len(answer["result"]["tools"]) == 8

        server.send_json({"jsonrpc": "2.0", "id": 11, "method": "no/such/method"})
        assert server.response(11)["error"]["code"] == -32601


def _start_sleep(server: object, marker: str) -> None:
    from tests.mcp_server.mcp_kit import RawServer

    assert isinstance(server, RawServer)
    server.initialize()
    server.send_json(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "mcp-probe__sleep-program", "arguments": {"seconds": marker}},
        }
    )
    deadline = time.monotonic() + PROMPTLY
    while not processes_with(f"sleep {marker}"):
        assert time.monotonic() < deadline, "the plugin never launched sleep"
        time.sleep(0.05)


def test_a_pipelined_handshake_is_answered_early_and_the_sdk_takes_over_the_same_session(
    home: Path, project: Path
) -> None:
    handshake = {
        "protocolVersion": "2025-06-18",
        "capabilities": {"roots": {"listChanged": True}},
        "clientInfo": {"name": "pipelined", "version": "1"},
    }
    burst = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": handshake},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "ping"},
        {"jsonrpc": "2.0", "id": 4, "method": "resources/list"},  # answered by the SDK
        {"jsonrpc": "2.0", "id": 5, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": {"name": "mcp-probe__echo", "arguments": {}}},
    ]
    with raw_server(home, serve_args(project)) as server:
        server.send(b"\n".join(json.dumps(message).encode() for message in burst))
        answers = {n: server.response(n) for n in range(1, 7)}
        assert answers[1]["result"]["protocolVersion"] == "2025-06-18"
        assert answers[1]["result"]["serverInfo"]["name"] == "acc"
        assert answers[2]["result"] == answers[5]["result"] and answers[2]["result"]["tools"]
        assert answers[3]["result"] == {}
        assert [r["name"] for r in answers[4]["result"]["resources"]] == ["mcp-probe-readme"]
        assert "result" in answers[6]
        assert server.proc.poll() is None
        records = audit_records(home)
        assert records[-1]["client"] == {"name": "pipelined", "version": "1"}, "the SDK saw the early handshake"
    assert "stopped" not in (home / "raw-server.log").read_text()


def test_a_client_that_goes_away_mid_call_leaves_nothing_running(home: Path, project: Path) -> None:
    marker = sleep_marker(43)
    with raw_server(home, serve_args(project)) as server:
        _start_sleep(server, marker)
        assert server.proc.stdin is not None
        server.proc.stdin.close()  # the client is gone
        server.proc.wait(timeout=PROMPTLY)
        assert server.proc.returncode == 0
    assert gone(f"sleep {marker}", timeout=1)
    [record] = [r for r in audit_records(home) if r.get("command") == "sleep-program"]
    assert record["outcome"] == "stopped"


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_signal_mid_call_stops_the_call_before_the_server_exits(home: Path, project: Path, signal_name: str) -> None:
    import signal

    marker = sleep_marker(44)
    with raw_server(home, serve_args(project)) as server:
        _start_sleep(server, marker)
        server.proc.send_signal(getattr(signal, signal_name))
        server.proc.wait(timeout=PROMPTLY)
    assert gone(f"sleep {marker}", timeout=1)
    [record] = [r for r in audit_records(home) if r.get("command") == "sleep-program"]
    assert record["outcome"] == "stopped"
    assert json.dumps(record).count(marker) == 0  # inputs are never audited
