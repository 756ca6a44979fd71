"""The handshake answered before the MCP SDK loads (`host.mcp.handshake`, `host.mcp.early`):
every early answer is the one the SDK gives, nothing the SDK might refuse is vouched for,
nothing is answered out of turn, and what was not answered reaches the SDK in order."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pydantic
import pytest
from mcp.shared.message import SessionMessage
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

from host.mcp.config import McpSettings, ServeOptions
from host.mcp.early import SdkLoader, answer_until_loaded
from host.mcp.handshake import HANDSHAKE_VERSIONS, EarlyAnswers, EarlyInitialize, initialize_result
from host.mcp.listing import read_listing
from host.mcp.server import McpService
from host.mcp.stdio import EarlyAnswerMismatch, stdio_transport
from host.mcp.stdio_wire import Wire
from host.paths import HostPaths
from tests.helpers import REPO
from tests.mcp_server.mcp_kit import probe_home

CLIENT = {"name": "test-client", "version": "1"}


def initialize(request_id: int | str, version: str = "2025-11-25", **params: Any) -> dict[str, Any]:
    body = {"protocolVersion": version, "capabilities": {}, "clientInfo": CLIENT, **params}
    return {"jsonrpc": "2.0", "id": request_id, "method": "initialize", "params": body}


def request(request_id: int | str, method: str, params: Any = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


# -- what the SDK answers, over the real transport, in this process ---------------------------------


@contextmanager
def pipes() -> Iterator[tuple[Wire, int, int]]:
    """(the server's wire, the client's write end, the client's read end)."""
    server_in, client_out = os.pipe()
    client_in, server_out = os.pipe()
    try:
        yield Wire(server_in, server_out), client_out, client_in
    finally:
        for fd in (server_in, client_out, client_in, server_out):
            with suppress(OSError):
                os.close(fd)


async def sdk_exchange(service: McpService, messages: list[dict[str, Any]], answers: int) -> list[dict[str, Any]]:
    """Send `messages` to the SDK-backed service over the stdio transport; its first `answers` lines."""
    with pipes() as (wire, client_out, client_in):
        os.write(client_out, b"".join(json.dumps(m).encode() + b"\n" for m in messages))
        received: list[dict[str, Any]] = []
        async with anyio.create_task_group() as group, stdio_transport(1 << 20, wire) as (read_stream, write_stream):
            group.start_soon(service.server.run, read_stream, write_stream, service.initialization_options())
            pending = b""
            with anyio.fail_after(30):
                while len(received) < answers:
                    await anyio.wait_readable(client_in)
                    pending += os.read(client_in, 1 << 20)
                    *lines, pending = pending.split(b"\n")
                    received += [json.loads(line) for line in lines]
            group.cancel_scope.cancel()
        return received


def service_for(home: Path, project: Path) -> McpService:
    paths = HostPaths(home=home, cache=home / "cache")
    options = ServeOptions(
        paths=paths, settings=McpSettings(), project_dir=project, transport="stdio", server_version="9.8.7"
    )
    return McpService(options)


def test_the_handshake_versions_are_the_ones_the_sdk_negotiates() -> None:
    assert HANDSHAKE_VERSIONS == HANDSHAKE_PROTOCOL_VERSIONS


@pytest.mark.parametrize("version", [*HANDSHAKE_PROTOCOL_VERSIONS, "2023-01-01", "2026-07-28", "not-a-version"])
def test_the_early_initialize_answer_is_the_sdks_answer(tmp_path: Path, project: Path, version: str) -> None:
    service = service_for(tmp_path / "home", project)
    (answer,) = anyio.run(sdk_exchange, service, [initialize(1, version)], 1)
    assert answer == {"jsonrpc": "2.0", "id": 1, "result": initialize_result(version, "9.8.7")}


@pytest.mark.slow
def test_the_early_tool_list_is_the_sdks_list(probe_archive: Path, tmp_path: Path, project: Path) -> None:
    home = probe_home(tmp_path / "home", probe_archive).home
    service = service_for(home, project)
    listing = read_listing(service.paths, None)
    early = EarlyAnswers("9.8.7", [served.definition() for served in listing.tools.values()])
    early.answer(initialize(1))
    early_list, _ = early.answer(request(2, "tools/list"))
    assert early_list is not None and early_list["result"]["tools"], "the probe's tools are listed"

    answers = anyio.run(sdk_exchange, service, [initialize(1), INITIALIZED, request(2, "tools/list")], 2)
    assert answers[1] == early_list


# -- what is vouched for -----------------------------------------------------------------------------


def test_initialize_then_tools_list_and_ping_are_answered_early_and_only_initialize_reaches_the_sdk() -> None:
    early = EarlyAnswers("1.0", [{"name": "a__b"}])
    reply, passed_on = early.answer(initialize(1, "2025-06-18"))
    assert reply == {"jsonrpc": "2.0", "id": 1, "result": initialize_result("2025-06-18", "1.0")} and passed_on
    assert early.answer(INITIALIZED) == (None, True)
    assert early.answer(request(2, "tools/list")) == (
        {"jsonrpc": "2.0", "id": 2, "result": {"tools": [{"name": "a__b"}]}},
        False,
    )
    progress = {"_meta": {"progressToken": "t"}}
    assert early.answer(request("p", "ping", progress)) == ({"jsonrpc": "2.0", "id": "p", "result": {}}, False)
    assert early.initialize == EarlyInitialize(1, reply), "the SDK's own answer is checked against it"
    assert not early.done


@pytest.mark.parametrize(
    "first",
    [
        request(1, "tools/list"),  # before initialize: the SDK refuses it
        request(1, "tools/call", {"name": "x"}),
        request(1, "server/discover"),  # the 2026 protocol opens without a handshake
        initialize(True),  # not a plain id
        initialize(1, _meta={"io.modelcontextprotocol/protocolVersion": "2026-07-28"}),
        initialize(1, extra=1),
        {"jsonrpc": "1.0", "id": 1, "method": "initialize"},
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {}},
        {"jsonrpc": "2.0", "id": 1, "result": {}},
        [initialize(1)],  # a batch
        None,  # a line that is not JSON
    ],
)
def test_the_first_message_it_cannot_vouch_for_ends_the_early_phase(first: Any) -> None:
    early = EarlyAnswers("1.0", [])
    assert early.answer(first) == (None, True)
    assert early.done
    assert early.answer(initialize(2)) == (None, True), "after that, everything goes to the SDK alone"


@pytest.mark.parametrize(
    "after_initialize",
    [
        request(2, "tools/list", {"cursor": "c"}),
        request(2, "tools/list", {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}),
        request(2, "tools/list", []),
        initialize(2),  # a second handshake
        request(2, "ping", {"x": 1}),
        request(2, "resources/list"),
    ],
)
def test_requests_the_answer_could_depend_on_go_to_the_sdk(after_initialize: dict[str, Any]) -> None:
    early = EarlyAnswers("1.0", [])
    early.answer(initialize(1))
    assert early.answer(after_initialize) == (None, True)
    assert early.done


def random_json(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, 1, -1, 2**70])
    if kind == 3:
        return rng.choice(["", "true", "yes", "1"])
    if kind == 4:
        return 1.5
    if kind == 5:
        return {}
    if kind in (6, 7):
        keys = ["listChanged", "context", "tools", "form", "url", "list", "cancel", "requests", "sampling"]
        keys += ["elicitation", "createMessage", "create", "x"]
        return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randrange(4))}
    return [random_json(rng, depth + 1) for _ in range(rng.randrange(3))]


def random_params(rng: random.Random) -> dict[str, Any]:
    capability_keys = ["experimental", "extensions", "sampling", "elicitation", "roots", "tasks", "other"]
    params: dict[str, Any] = {
        "protocolVersion": rng.choice(["2025-11-25", "2024-11-05", "x", "x", 5]),
        "capabilities": {rng.choice(capability_keys): random_json(rng, 0) for _ in range(rng.randrange(4))},
        "clientInfo": {"name": rng.choice(["c", "c", "c", 1]), "version": rng.choice(["1", "1", "1", None])},
    }
    if rng.random() < 0.2:
        params["clientInfo"]["title"] = random_json(rng, 2)
    if rng.random() < 0.1:
        params["capabilities"] = random_json(rng, 1)
    return params


def test_initialize_params_it_vouches_for_are_ones_the_sdk_accepts() -> None:
    """Random client capabilities of every shape: whatever is answered early, the SDK's own
    model must accept, or the client would hold an answer the SDK never gave."""
    rng = random.Random(20261207)
    vouched = refused = 0
    for _ in range(3000):
        params = random_params(rng)
        early = EarlyAnswers("1.0", [])
        reply, _ = early.answer({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params})
        if reply is None:
            refused += 1
            continue
        vouched += 1
        try:
            types.InitializeRequestParams.model_validate(params, by_name=False)
        except pydantic.ValidationError as e:
            pytest.fail(f"vouched for params the SDK refuses: {params!r}\n{e}")
    assert vouched > 300 and refused > 300, (vouched, refused)


# -- the early phase on real pipes ----------------------------------------------------------------


def lines(*messages: Any) -> bytes:
    return b"".join((m if isinstance(m, bytes) else json.dumps(m).encode()) + b"\n" for m in messages)


def run_early(data: bytes, max_frame_bytes: int = 1 << 16) -> tuple[list[dict[str, Any]], bytes, EarlyAnswers]:
    """The early phase over pipes holding `data` then the end of input (the SDK never loads)."""
    with pipes() as (wire, client_out, client_in):
        os.write(client_out, data)
        os.close(client_out)
        loader = SdkLoader("json")  # not started: only the end of the input ends the phase
        answers = EarlyAnswers("1.0", [{"name": "a__b"}])
        phase = answer_until_loaded(wire, answers, loader, max_frame_bytes)
        loader.start()
        loader.wait()
        os.close(wire.write_fd)
        written = b""
        while chunk := os.read(client_in, 1 << 16):
            written += chunk
    return [json.loads(line) for line in written.splitlines()], phase.unread, answers


def test_the_early_phase_answers_in_order_and_leaves_the_rest_for_the_sdk_in_order() -> None:
    call = request(4, "tools/call", {"name": "a__b", "arguments": {}})
    data = lines(initialize(1), INITIALIZED, request(2, "tools/list"), request(3, "ping"), call, request(5, "ping"))
    replies, unread, answers = run_early(data)
    assert [reply["id"] for reply in replies] == [1, 2, 3]
    assert unread == lines(initialize(1), INITIALIZED, call, request(5, "ping"))
    assert answers.initialize is not None and answers.initialize.request_id == 1


def test_a_line_that_is_not_json_ends_the_early_phase_and_is_left_for_the_transport_to_refuse() -> None:
    data = lines(initialize(1), b"{not json", b'{"x": NaN}', request(2, "tools/list"))
    replies, unread, _ = run_early(data)
    assert [reply["id"] for reply in replies] == [1]
    assert unread == lines(initialize(1), b"{not json", b'{"x": NaN}', request(2, "tools/list"))


def test_a_line_over_the_cap_is_not_read_by_the_early_phase() -> None:
    huge = json.dumps(request(2, "ping")).encode() + b" " * 5000
    replies, unread, _ = run_early(lines(initialize(1), huge, request(3, "ping")), max_frame_bytes=4096)
    assert [reply["id"] for reply in replies] == [1]
    assert unread == lines(initialize(1), huge, request(3, "ping"))


# -- the transport's check of the SDK's answer -------------------------------------------------------


async def transport_writes(early: EarlyInitialize, sdk_answers: list[dict[str, Any]]) -> bytes:
    with pipes() as (wire, _client_out, client_in):
        async with stdio_transport(1 << 20, wire, early=early) as (_read_stream, write_stream):
            for answer in sdk_answers:
                message = types.jsonrpc_message_adapter.validate_python(answer)
                await write_stream.send(SessionMessage(message))
            await anyio.sleep(0.05)
        os.set_blocking(client_in, False)
        try:
            return os.read(client_in, 1 << 16)
        except BlockingIOError:
            return b""


def test_the_sdks_answer_to_an_early_initialize_is_checked_and_not_sent_twice() -> None:
    result = initialize_result("2025-11-25", "1.0")
    early = EarlyInitialize(1, {"jsonrpc": "2.0", "id": 1, "result": result})
    ping = {"jsonrpc": "2.0", "id": 2, "result": {}}
    written = anyio.run(transport_writes, early, [{"jsonrpc": "2.0", "id": 1, "result": result}, ping])
    assert [json.loads(line) for line in written.splitlines()] == [ping]


def test_an_sdk_answer_unlike_the_early_one_stops_the_session() -> None:
    early = EarlyInitialize(1, {"jsonrpc": "2.0", "id": 1, "result": initialize_result("2025-11-25", "1.0")})
    other = {"jsonrpc": "2.0", "id": 1, "result": initialize_result("2025-11-25", "2.0")}
    with pytest.raises(BaseExceptionGroup) as raised:
        anyio.run(transport_writes, early, [other])
    assert raised.group_contains(EarlyAnswerMismatch, match="the SDK answered")


def test_what_answers_before_the_sdk_loads_does_not_import_it() -> None:
    """The early phase is only early if its own imports leave the SDK (and pydantic) alone."""
    code = (
        "import sys, acc_cli.mcp.serve, host.mcp.run;"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in {'mcp', 'mcp_types', 'pydantic', 'wasmtime'});"
        "print(loaded)"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert shown.stdout.strip() == "[]"
