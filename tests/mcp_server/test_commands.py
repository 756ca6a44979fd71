"""The `acc mcp` commands as a person runs them: config prints what a client needs (and the
server it names really serves), log shows the audit, claude-plugin writes a plugin, and bad
options or settings are refused with a message."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from anyio.from_thread import BlockingPortal
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from host.mcp.audit import AuditLog
from tests.helpers import REPO
from tests.mcp_server.mcp_kit import ACC, acc, acc_env, probe_home


def test_config_for_claude_code_prints_a_claude_mcp_add_command_that_starts_a_working_server(
    portal: BlockingPortal, probe_archive: Path, project: Path, tmp_path: Path
) -> None:
    home = probe_home(tmp_path / "home", probe_archive).home
    printed = acc(home, "mcp", "config", "--client", "claude-code", "--plugins", "mcp-probe")
    assert "run it in a shell where Claude Code (`claude`) is installed" in printed.stderr
    words = shlex.split(printed.stdout)
    assert words[:7] == ["claude", "mcp", "add", "--transport", "stdio", "--scope", "user"]
    assert words[7:11] == ["--env", f"ACC_HOME={home}", "acc", "--"]
    command = words[11:]
    assert command == [ACC, "mcp", "serve", "--plugins", "mcp-probe"]

    # What Claude Code would start, started the same way: the command, ACC_HOME, the project as cwd.
    server = StdioServerParameters(command=command[0], args=command[1:], env=acc_env(home), cwd=str(project))

    async def list_and_call() -> tuple[list[str], object]:
        async with Client(server, mode="legacy") as client:
            tools = await client.list_tools()
            result = await client.call_tool("mcp-probe__echo", {"text": "from claude code"})
            return [t.name for t in tools.tools], result.structured_content

    names, echoed = portal.call(list_and_call)
    assert "mcp-probe__steps" in names and echoed == {"input": {"text": "from claude code"}}


def test_config_for_claude_desktop_pins_the_project_and_http_clients_get_the_url_and_token(tmp_path: Path) -> None:
    home = tmp_path / "home"
    desktop = json.loads(acc(home, "mcp", "config", "--client", "claude-desktop").stdout)
    entry = desktop["mcpServers"]["acc"]
    assert entry["command"] == ACC and entry["args"] == ["mcp", "serve", "--project", str(REPO)]
    assert entry["env"] == {"ACC_HOME": str(home)}
    remote = json.loads(acc(home, "mcp", "config", "--client", "cursor", "--transport", "http").stdout)
    token = acc(home, "mcp", "token").stdout.strip()
    assert remote == {
        "mcpServers": {"acc": {"url": "http://127.0.0.1:8765/mcp", "headers": {"Authorization": f"Bearer {token}"}}}
    }


def test_log_shows_the_last_calls_as_lines_or_json(tmp_path: Path) -> None:
    home = tmp_path / "home"
    log = AuditLog(home / "mcp" / "audit.jsonl", 1 << 20)
    log.open()
    for n in range(3):
        log.write(
            {
                "client": {"name": "claude-code", "version": "2.0"},
                "plugin": "git",
                "version": "1.0.0",
                "command": f"c{n}",
                "outcome": "ok",
                "duration_ms": 1.5,
                "input_bytes": 2,
                "denials": [],
            }
        )
    lines = acc(home, "mcp", "log", "-n", "2").stdout.splitlines()
    assert len(lines) == 2 and lines[0].endswith("claude-code 2.0  git@1.0.0  c1  ok  1.5 ms  in 2 B")
    records = [json.loads(line) for line in acc(home, "mcp", "log", "--json").stdout.splitlines()]
    assert [r["command"] for r in records] == ["c0", "c1", "c2"]
    assert acc(tmp_path / "empty", "mcp", "log").stdout == ""


def test_claude_plugin_writes_a_plugin_whose_server_is_acc_mcp_serve(tmp_path: Path) -> None:
    out = tmp_path / "claude-plugin"
    printed = acc(tmp_path / "home", "mcp", "claude-plugin", "--out", str(out), "--plugins", "git,testing")
    plugin = Path(printed.stdout.strip())
    assert plugin == out / "acc-plugins"
    assert json.loads((plugin / ".mcp.json").read_text())["mcpServers"]["acc"]["args"] == [
        "mcp",
        "serve",
        "--plugins",
        "git,testing",
    ]
    assert f"/plugin marketplace add {out}" in printed.stderr


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (None, ["mcp", "serve", "--project", "/nonexistent/x"], "--project /nonexistent/x is not a directory"),
        ("[mcp]\nmax_tool_calls = -1\n", ["mcp", "serve"], "[mcp] max_tool_calls must be a positive number"),
        ("[mcp]\nplugins = 3\n", ["mcp", "serve"], "[mcp] plugins must be a list of plugin names"),
        ("[mcp\n", ["mcp", "serve"], "is not valid TOML"),
        (None, ["mcp", "config", "--client", "emacs"], "Invalid value for '--client'"),
    ],
    ids=["no-project", "negative-budget", "plugins-not-a-list", "bad-toml", "unknown-client"],
)
def test_bad_options_and_settings_are_refused_with_a_message(
    tmp_path: Path, setup: str | None, args: list[str], message: str
) -> None:
    home = tmp_path / "home"
    if setup is not None:
        home.mkdir()
        (home / "config.toml").write_text(setup)
    refused = acc(home, *args, ok=False)
    assert message in refused.stderr
