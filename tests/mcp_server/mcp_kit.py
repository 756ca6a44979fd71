"""What the MCP tests share: an ACC_HOME with plugins installed, a real `acc mcp serve`
subprocess driven by the official MCP client SDK (kept open across a module's tests
through an anyio blocking portal), a raw stdio pipe for protocol abuse, and a look at
running processes."""

from __future__ import annotations

import json
import os
import secrets
import select
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
from anyio.from_thread import BlockingPortal
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPDeprecationWarning

from host.paths import HostPaths
from tests.helpers import REPO, TEST_CACHE, install_unsigned

ACC = str(Path(sys.executable).parent / "acc")
#: How long a test waits for something the server should do promptly (a notification, an exit).
PROMPTLY = 15.0


def acc_env(home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "ACC_HOME": str(home), "ACC_CACHE_DIR": str(TEST_CACHE), **extra}


def acc(home: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """The real `acc` in another process (as a person would run it beside the server)."""
    proc = subprocess.run(
        [ACC, *args],
        env=acc_env(home),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert (proc.returncode == 0) == ok, f"acc {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def probe_home(root: Path, archive: Path) -> HostPaths:
    """mcp-probe installed with fs and process granted, http denied."""
    paths = HostPaths(home=root, cache=TEST_CACHE)
    install_unsigned(paths, archive, grant=("fs", "process"), deny=("http",))
    return paths


def serve_args(project: Path, *extra: str) -> list[str]:
    return ["mcp", "serve", "--project", str(project), *extra]


@dataclass
class Heard:
    """What the client received besides responses."""

    logs: list[types.LoggingMessageNotificationParams] = field(default_factory=list)
    notifications: list[str] = field(default_factory=list)

    def count(self, method: str) -> int:
        return self.notifications.count(method)


@dataclass
class Session:
    """A connected official-SDK client, usable from synchronous tests through the portal."""

    portal: BlockingPortal
    client: Client
    heard: Heard
    home: Path

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.portal.call(fn, *args)

    def call(self, tool: str, arguments: dict[str, Any] | None = None, **kwargs: Any) -> types.CallToolResult:
        async def go() -> types.CallToolResult:
            return await self.client.call_tool(tool, arguments, **kwargs)

        return self.portal.call(go)

    def call_with_progress(
        self, tool: str, arguments: dict[str, Any]
    ) -> tuple[types.CallToolResult, list[tuple[float, float | None, str | None]]]:
        """The call with a progress token sent, and the (progress, total, message) updates heard."""
        seen: list[tuple[float, float | None, str | None]] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            seen.append((progress, total, message))

        return self.call(tool, arguments, progress_callback=on_progress), seen

    def set_log_level(self, level: str) -> None:
        """`logging/setLevel` (deprecated from the 2026 protocol on; Claude Code still sends it)."""

        async def go() -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)
                await self.client.set_logging_level(level)  # type: ignore[arg-type]

        self.portal.call(go)

    def probe_log_lines(self, level: str, expected: int) -> list[types.LoggingMessageNotificationParams]:
        """The log messages heard for one `mcp-probe__levels` call at session log level `level`
        (it logs one line at each level; `expected` of them should pass)."""
        self.set_log_level(level)
        before = len(self.heard.logs)
        self.call("mcp-probe__levels", {})
        self.wait_for(lambda: len(self.heard.logs) >= before + expected, f"{expected} log lines at {level}")
        return self.heard.logs[before:]

    def tools(self) -> dict[str, types.Tool]:
        async def go() -> types.ListToolsResult:
            return await self.client.list_tools(cache_mode="refresh")

        return {tool.name: tool for tool in self.portal.call(go).tools}

    def wait_for(self, predicate: Callable[[], bool], what: str, timeout: float = PROMPTLY) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.05)


@contextmanager
def mcp_session(
    portal: BlockingPortal, home: Path, args: list[str], *, mode: str = "legacy", log_level: str | None = None
) -> Iterator[Session]:
    """`acc mcp serve ARGS` over real stdio pipes, with the official client connected."""
    params = StdioServerParameters(command=ACC, args=args, env=acc_env(home), cwd=str(REPO))
    with connected(portal, params, home, mode=mode, log_level=log_level) as session:
        yield session


@contextmanager
def connected(
    portal: BlockingPortal, server: Any, home: Path, *, mode: str = "legacy", log_level: str | None = None
) -> Iterator[Session]:
    """The official client connected to `server` (stdio parameters or an HTTP transport), hearing
    its log messages and notifications."""
    heard = Heard()

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        heard.logs.append(params)

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ServerNotification):
            heard.notifications.append(message.method)

    client = Client(
        server,
        mode=mode,
        logging_callback=on_log,
        message_handler=on_message,
        log_level=log_level,  # type: ignore[arg-type]
        read_timeout_seconds=120,
    )
    with portal.wrap_async_context_manager(client) as session:
        yield Session(portal, session, heard, home)


@dataclass
class RawServer:
    """`acc mcp serve` on raw pipes: for what the SDK client would never send."""

    proc: subprocess.Popen[bytes]
    pending: bytearray = field(default_factory=bytearray)

    def send(self, line: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()

    def send_json(self, message: dict[str, Any]) -> None:
        self.send(json.dumps(message).encode())

    def receive(self, timeout: float = PROMPTLY) -> dict[str, Any]:
        """The next message from the server (notifications included)."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.pending:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "no message from the server in time"
            if select.select([fd], [], [], remaining)[0]:
                chunk = os.read(fd, 65536)
                assert chunk, "the server closed stdout"
                self.pending += chunk
        line, _, rest = bytes(self.pending).partition(b"\n")
        self.pending[:] = rest
        message: dict[str, Any] = json.loads(line)
        return message

    def response(self, request_id: int | str | None, timeout: float = PROMPTLY) -> dict[str, Any]:
        """The next message that is a response to `request_id` (skipping notifications)."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.receive(max(0.1, deadline - time.monotonic()))
            if "method" not in message and message.get("id") == request_id:
                return message

    def initialize(self) -> None:
        self.send_json(
            {
                "jsonrpc": "2.0",
                "id": 0,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "raw-test", "version": "1"},
                },
            }
        )
        assert "result" in self.response(0)
        self.send_json({"jsonrpc": "2.0", "method": "notifications/initialized"})


@contextmanager
def raw_server(home: Path, args: list[str]) -> Iterator[RawServer]:
    proc = subprocess.Popen(
        [ACC, *args],
        env=acc_env(home),
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=open(home / "raw-server.log", "ab"),  # noqa: SIM115 - the child keeps it
    )
    try:
        yield RawServer(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def sleep_marker(whole_seconds: int) -> str:
    """A `sleep` duration no other test or test run on this machine uses, to find its process by."""
    return f"{whole_seconds}.{os.getpid()}{secrets.randbelow(10**6):06d}"


def processes_with(marker: str) -> list[int]:
    """Pids whose command line contains `marker`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            found.append(int(entry))
    return found


async def launched(marker: str, timeout: float = PROMPTLY) -> None:
    """Wait (without blocking the event loop) until a `sleep MARKER` process runs."""
    deadline = time.monotonic() + timeout
    while not processes_with(f"sleep {marker}"):
        assert time.monotonic() < deadline, f"sleep {marker} was never launched"
        await anyio.sleep(0.05)


def gone(marker: str, timeout: float = PROMPTLY) -> bool:
    """Whether no process with `marker` in its command line is left (waiting up to `timeout`)."""
    deadline = time.monotonic() + timeout
    while processes_with(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def audit_records(home: Path) -> list[dict[str, Any]]:
    path = home / "mcp" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
