"""The MCP server's pure parts, on CPython without a server: the [mcp] settings, how bad
frames are answered, argument depth, the token file, the audit log, the HTTP guard and
address checks, and what each client is told."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from host.errors import InputError
from host.mcp.audit import AuditLog, follow, format_record, input_digest, read_records
from host.mcp.clients import HttpEndpoint, client_setup, server_command, write_claude_plugin
from host.mcp.config import McpSettings, settings_from_table
from host.mcp.http import Guard, bind_address, own_names
from host.mcp.server import _depth
from host.mcp.session import SessionBudget, at_least, mcp_level
from host.mcp.stdio import _refusal
from host.mcp.token import ensure_token, read_token, rotate_token, token_matches

# -- [mcp] settings -------------------------------------------------------------------------------


def test_settings_come_from_the_table_and_flags_override_them() -> None:
    settings = settings_from_table({"plugins": ["git"], "max_tool_calls": 5, "max_seconds": 60}, Path("c.toml"))
    assert settings == McpSettings(plugins=("git",), max_tool_calls=5, max_seconds=60.0)
    assert settings.with_overrides(max_tool_calls=9, plugins=None).max_tool_calls == 9
    assert settings.with_overrides(plugins=["a", "b"]).plugins == ("a", "b")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"max_calls": 1}, "unknown key 'max_calls' in [mcp]"),
        ({"plugins": "git"}, "plugins must be a list of plugin names"),
        ({"max_tool_calls": 0}, "max_tool_calls must be a positive number"),
        ({"max_tool_calls": 2.5}, "max_tool_calls must be a whole number"),
        ({"max_seconds": True}, "max_seconds must be a positive number"),
        ({"port": 70000}, "port must be at most 65535"),
        ({"host": ""}, "host must be an address"),
    ],
)
def test_bad_settings_are_refused_with_the_file_and_key(table: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")) as caught:
        settings_from_table(table, Path("/home/x/config.toml"))
    assert "/home/x/config.toml" in caught.value.message


# -- frames the SDK cannot parse -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"not json", (None, -32700)),
        (b'"a string"', (None, -32600)),
        (b'{"jsonrpc": "2.0", "id": 3, "method": 4}', (3, -32600)),
        (b'{"jsonrpc": "1.0", "id": "x", "method": "ping"}', ("x", -32600)),
        (b'{"jsonrpc": "2.0", "id": true, "method": "ping"}', (None, -32600)),  # a boolean is no id
        (b'{"jsonrpc": "2.0", "id": {"a": 1}}', (None, -32600)),
        (b'{"jsonrpc": "2.0", "method": 4}', None),  # a notification is never answered
        (b'{"jsonrpc": "2.0", "id": 5, "result": 7, "extra": 1}', None),  # nor a response
        (b"[" * 5000 + b"]" * 5000, (None, -32600)),
    ],
    ids=["not-json", "not-object", "method-type", "jsonrpc-version", "bool-id", "no-method", "notification",
         "response", "deep"],
)  # fmt: skip
def test_each_unparseable_frame_gets_the_json_rpc_error_it_deserves(
    line: bytes, expected: tuple[object, int] | None
) -> None:
    refusal = _refusal(line)
    if expected is None:
        assert refusal is None
    else:
        assert refusal is not None
        assert (refusal["id"], refusal["error"]["code"]) == expected and refusal["jsonrpc"] == "2.0"


@pytest.mark.parametrize(
    ("value", "depth"),
    [("x", 0), ({}, 1), ({"a": [1, {"b": []}]}, 4), ([[[[]]]], 4), ({"a": 1, "b": [[[]]]}, 4)],
)
def test_argument_depth_counts_objects_and_lists(value: object, depth: int) -> None:
    assert _depth(value, 64) == depth


def test_argument_depth_stops_counting_past_the_limit() -> None:
    value: object = 1
    for _ in range(10_000):
        value = [value]
    assert _depth(value, 64) == 65


def test_plugin_levels_map_to_mcp_levels_and_compare_by_severity() -> None:
    assert [mcp_level(level) for level in ("trace", "debug", "info", "warn", "error", "stderr", "odd")] == [
        "debug", "debug", "info", "warning", "error", "warning", "info",
    ]  # fmt: skip
    assert at_least("error", "warning") and not at_least("info", "warning") and at_least("debug", "debug")


def test_a_session_budget_refuses_past_its_calls_and_its_time() -> None:
    budget = SessionBudget(max_tool_calls=2, max_seconds=0.2)
    assert budget.refusal() == ""
    budget.calls = 2
    assert "made its 2 tool calls" in budget.refusal()
    budget.calls = 0
    time.sleep(0.25)
    assert "wall time of 0.2 s is spent" in budget.refusal()


# -- the token --------------------------------------------------------------------------------------


def test_the_token_is_made_once_private_and_compared_in_constant_time(tmp_path: Path) -> None:
    token = ensure_token(tmp_path)
    assert ensure_token(tmp_path) == token == read_token(tmp_path)
    path = tmp_path / "mcp" / "token"
    assert path.stat().st_mode & 0o777 == 0o600 and (tmp_path / "mcp").stat().st_mode & 0o077 == 0
    assert token_matches(token, token) and not token_matches(token, token[:-1]) and not token_matches(token, "")
    assert rotate_token(tmp_path) != token
    assert [p.name for p in (tmp_path / "mcp").iterdir()] == ["token"]  # no temporary file left behind


def test_a_token_that_is_a_link_or_too_short_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("x" * 64)
    target.chmod(0o600)
    (tmp_path / "mcp").mkdir()
    os.symlink(target, tmp_path / "mcp" / "token")
    with pytest.raises(InputError, match="cannot be read"):
        read_token(tmp_path)
    (tmp_path / "mcp" / "token").unlink()
    (tmp_path / "mcp" / "token").write_text("short\n")
    (tmp_path / "mcp" / "token").chmod(0o600)
    with pytest.raises(InputError, match="holds no usable token"):
        read_token(tmp_path)


def test_two_first_uses_at_once_agree_on_one_token(tmp_path: Path) -> None:
    tokens: list[str] = []
    threads = [threading.Thread(target=lambda: tokens.append(ensure_token(tmp_path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tokens)) == 1


# -- the audit log ----------------------------------------------------------------------------------


def test_the_audit_log_appends_rotates_reads_in_order_and_skips_damaged_lines(tmp_path: Path) -> None:
    path = tmp_path / "mcp" / "audit.jsonl"
    log = AuditLog(path, max_bytes=300)
    log.open()
    assert path.stat().st_mode & 0o777 == 0o600
    for n in range(6):
        log.write({"n": n, "tool": "demo__go"})
    assert path.with_name("audit.jsonl.1").exists()  # rotated past 300 bytes
    with open(path, "ab") as f:
        f.write(b"{damaged\n")
    numbers = [r["n"] for r in read_records(path)]
    # the rotated file, then the current one: oldest first; what an older rotation held is gone
    assert numbers == list(range(6 - len(numbers), 6)) and len(numbers) >= 2
    assert all(r["time"].endswith("Z") for r in read_records(path))


def test_following_the_audit_log_sees_new_records_across_a_rotation(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, max_bytes=10_000)
    log.open()
    log.write({"n": -1})  # before following: not shown
    stop = threading.Event()
    seen: list[int] = []

    def reader() -> None:
        for record in follow(path, poll_seconds=0.02, stop=stop):
            seen.append(record["n"])

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.2)
    log.write({"n": 0})
    time.sleep(0.2)
    log.max_bytes = 1  # the next write rotates
    log.write({"n": 1})
    log.max_bytes = 10_000
    log.write({"n": 2})
    deadline = time.monotonic() + 5
    while seen != [0, 1, 2] and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    thread.join(timeout=5)
    assert seen == [0, 1, 2]


def test_an_audit_line_for_a_terminal_escapes_what_a_client_calls_itself() -> None:
    record = {
        "time": "T",
        "client": {"name": "evil\x1b[2J\r\u202etool", "version": "1"},
        "plugin": "demo",
        "version": "1.0.0",
        "command": "go",
        "outcome": "denied",
        "duration_ms": 3.5,
        "input_bytes": 12,
        "denials": [{"plugin": "demo", "capability": "http", "function": "fetch"}],
    }
    line = format_record(record)
    assert "\x1b" not in line and "\r" not in line and "\u202e" not in line
    assert line == "T  evil\\u001b[2J\\u000d\\u202etool 1  demo@1.0.0  go  denied  3.5 ms  in 12 B denied: http.fetch"


def test_the_input_digest_is_canonical() -> None:
    assert input_digest({"b": 1, "a": [1, 2]}) == input_digest({"a": [1, 2], "b": 1})
    assert input_digest({"a": 1})[0] == len('{"a":1}')


# -- HTTP: addresses and the guard --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "allow_remote", "bound"),
    [("127.0.0.1", False, "127.0.0.1"), ("localhost", False, "127.0.0.1"), ("::1", False, "::1"),
     ("[::1]", False, "::1"), ("127.0.0.2", False, "127.0.0.2"), ("192.168.1.5", True, "192.168.1.5")],
)  # fmt: skip
def test_loopback_is_bound_freely_and_another_address_only_when_asked(
    host: str, allow_remote: bool, bound: str
) -> None:
    assert bind_address(host, allow_remote=allow_remote) == bound


@pytest.mark.parametrize(
    ("host", "allow_remote", "message"),
    [("192.168.1.5", False, "not a loopback address"), ("0.0.0.0", True, "every address"),
     ("::", True, "every address"), ("my-laptop", True, "not an IP address")],
)  # fmt: skip
def test_other_addresses_are_refused(host: str, allow_remote: bool, message: str) -> None:
    with pytest.raises(InputError, match=message):
        bind_address(host, allow_remote=allow_remote)


def test_the_servers_own_names() -> None:
    assert own_names("127.0.0.1", 8765) == {"127.0.0.1:8765", "localhost:8765"}
    assert own_names("::1", 9) == {"[::1]:9", "localhost:9"}
    assert own_names("192.168.1.5", 80) == {"192.168.1.5:80"}


def _guarded(headers: dict[str, str]) -> tuple[int, dict[str, str], bool]:
    reached: list[bool] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        reached.append(True)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    guard = Guard(app, hosts={"127.0.0.1:9", "localhost:9"}, token="t" * 43)
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    anyio.run(guard, scope, receive, send)
    start = sent[0]
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, bool(reached)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Host": "127.0.0.1:9", "Authorization": "Bearer " + "t" * 43}, 200),
        ({"Host": "localhost:9", "Origin": "http://localhost:9", "Authorization": "bearer " + "t" * 43}, 200),
        ({"Host": "127.0.0.1:9"}, 401),
        ({"Host": "127.0.0.1:9", "Authorization": "Bearer " + "t" * 42}, 401),
        ({"Host": "127.0.0.1:9", "Authorization": "Bearer " + "t" * 43 + "t"}, 401),
        ({"Host": "127.0.0.1:9", "Authorization": "Token " + "t" * 43}, 401),
        ({"Host": "127.0.0.1:9", "Origin": "null", "Authorization": "Bearer " + "t" * 43}, 403),
        ({"Host": "127.0.0.1:9", "Origin": "https://127.0.0.1:9", "Authorization": "Bearer " + "t" * 43}, 403),
        ({"Host": "attacker.example:9", "Authorization": "Bearer " + "t" * 43}, 421),
        ({"Host": "127.0.0.1", "Authorization": "Bearer " + "t" * 43}, 421),
        ({"Authorization": "Bearer " + "t" * 43}, 421),
    ],
    ids=["ok", "ok-localhost-origin", "no-token", "short-token", "long-token", "other-scheme", "null-origin",
         "https-origin", "rebound-host", "no-port", "no-host"],
)  # fmt: skip
def test_the_guard_checks_host_then_origin_then_the_token_before_the_app(headers: dict[str, str], status: int) -> None:
    code, response_headers, reached = _guarded(headers)
    assert code == status and reached == (status == 200)
    if status == 401:
        assert response_headers["www-authenticate"] == 'Bearer realm="acc mcp"'


# -- what clients are told ------------------------------------------------------------------------------


def test_claude_code_gets_a_claude_mcp_add_command_with_the_absolute_acc_and_acc_home() -> None:
    server = server_command("/opt/acc/bin/acc", plugins=["git", "testing"], project=None, home=Path("/h/acc home"))
    setup = client_setup("claude-code", server)
    assert setup.text == (
        "claude mcp add --transport stdio --scope user --env 'ACC_HOME=/h/acc home' acc -- "
        "/opt/acc/bin/acc mcp serve --plugins git,testing"
    )
    http = client_setup("claude-code", HttpEndpoint("http://127.0.0.1:8765/mcp", "TOKEN"))
    assert http.text == (
        "claude mcp add --transport http --scope user acc http://127.0.0.1:8765/mcp "
        "--header 'Authorization: Bearer TOKEN'"
    )


def test_desktop_cursor_and_vscode_get_their_own_json_shapes() -> None:
    server = server_command("/opt/acc/bin/acc", plugins=None, project=Path("/work/p"), home=None)
    desktop = json.loads(client_setup("claude-desktop", server).text)
    assert desktop == {
        "mcpServers": {"acc": {"command": "/opt/acc/bin/acc", "args": ["mcp", "serve", "--project", "/work/p"]}}
    }
    assert json.loads(client_setup("cursor", server).text) == desktop
    vscode = json.loads(client_setup("vscode", server).text)
    assert vscode["servers"]["acc"]["type"] == "stdio" and vscode["servers"]["acc"]["command"] == "/opt/acc/bin/acc"
    remote = json.loads(client_setup("vscode", HttpEndpoint("http://127.0.0.1:1/mcp", "T")).text)
    assert remote == {
        "servers": {"acc": {"type": "http", "url": "http://127.0.0.1:1/mcp", "headers": {"Authorization": "Bearer T"}}}
    }
    with pytest.raises(ValueError, match="unknown client"):
        client_setup("emacs", server)


def test_the_claude_code_plugin_is_a_one_plugin_marketplace_whose_server_is_acc_mcp_serve(tmp_path: Path) -> None:
    server = server_command("/opt/acc/bin/acc", plugins=["git"], project=None, home=None)
    plugin = write_claude_plugin(tmp_path / "out", server, "0.1.0")
    marketplace = json.loads((tmp_path / "out" / ".claude-plugin" / "marketplace.json").read_text())
    assert marketplace["plugins"] == [
        {"name": "acc-plugins", "source": "./acc-plugins", "description": marketplace["plugins"][0]["description"]}
    ]
    assert json.loads((plugin / ".claude-plugin" / "plugin.json").read_text())["name"] == "acc-plugins"
    assert json.loads((plugin / ".mcp.json").read_text()) == {
        "mcpServers": {"acc": {"command": "/opt/acc/bin/acc", "args": ["mcp", "serve", "--plugins", "git"]}}
    }
    write_claude_plugin(tmp_path / "out", server, "0.1.1")  # again: updated in place
    assert json.loads((plugin / ".claude-plugin" / "plugin.json").read_text())["version"] == "0.1.1"
