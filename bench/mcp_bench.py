"""MCP benchmark: `acc mcp serve` over stdio against the host in process, with the official plugins.

Run: .venv/bin/python bench/mcp_bench.py [--rounds 40] [--starts 7] [--no-write]

The five official plugins (git, testing, docs, code-quality, project-stats) are built (cached
by content), installed into a fresh ACC_HOME and compiled once beforehand. Measured:

1. **tools/call round trip**: a command called through a real `acc mcp serve` subprocess
   over stdio pipes, one call after the other (warm: the lane's sandbox is open, as in a
   session), two ways: JSON-RPC lines written and read on the pipes directly (what the
   server costs), and through the official MCP client SDK (what a Python client sees,
   its own request and result handling included); against `PluginHost.run` of the same
   command in this process, on a warm sandbox. Commands: `git status` on a small
   repository (launches git, confined) and `project-stats summary` (work inside the guest).
2. **tools/list** with the five plugins installed: the client's round trip on a running
   server (the listing is cached until the store changes), and the cold listing itself
   (state.json and five manifests read, no sandbox), in process.
3. **Server start to ready**: from spawning `acc mcp serve` to the `initialize` response,
   on raw pipes (no client start-up counted); with `python -c pass`, `acc --version` and
   the import of the MCP SDK alone for comparison.

Reported: medians with their range; the load average while measuring (the machine is shared).
Nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.registry_bench import Notes, Spread  # noqa: E402
from bench.report import machine, write_section  # noqa: E402
from host.paths import HostPaths  # noqa: E402
from sdk.build import build_plugin  # noqa: E402
from tests.helpers import PLUGIN_SOURCES, TEST_CACHE, install_unsigned  # noqa: E402

ACC = str(Path(sys.executable).parent / "acc")
OFFICIAL = ("git", "testing", "docs", "code-quality", "project-stats")
CALL_RATIO_BUDGET = 1.5
LIST_BUDGET_S = 0.050
START_BUDGET_S = 0.300


def prepare(work: Path) -> tuple[HostPaths, Path]:
    """An ACC_HOME with the official plugins installed (everything granted), and a small git project."""
    paths = HostPaths(home=work / "home", cache=TEST_CACHE)
    archives = work / "archives"
    archives.mkdir()
    for name in OFFICIAL:  # git before docs, which depends on it
        archive = build_plugin(PLUGIN_SOURCES[name], archives, cache_dir=TEST_CACHE / "builds").archive
        install_unsigned(paths, archive, yes=True)
    project = work / "project"
    (project / "src").mkdir(parents=True)
    for n in range(20):
        (project / "src" / f"module_{n}.py").write_text(f'"""Module {n}."""\n\n\ndef f{n}(x):\n    return x + {n}\n')
    env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@x"}  # fmt: skip
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "start"]):
        subprocess.run(["git", *args], cwd=project, env=env, check=True)
    (project / "src" / "module_0.py").write_text("changed\n")
    return paths, project


def environment(paths: HostPaths) -> dict[str, str]:
    return {**os.environ, "ACC_HOME": str(paths.home), "ACC_CACHE_DIR": str(paths.cache)}


# -- 1. the round trip ------------------------------------------------------------------------------

CALLS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("git", "status", {}),
    ("project-stats", "summary", {"path": "src"}),
)


class RawPipes:
    """`acc mcp serve` driven with JSON-RPC lines written to and read from its pipes."""

    def __init__(self, paths: HostPaths, project: Path) -> None:
        self.proc = subprocess.Popen(
            [ACC, "mcp", "serve", "--project", str(project)],
            env=environment(paths),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.pending = b""
        self.ids = iter(range(1, 1 << 30))
        self.ask(json.loads(INITIALIZE))
        self.notify({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def notify(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdout is not None
        message = {**message, "id": next(self.ids)}
        self.notify(message)
        while True:
            while b"\n" not in self.pending:
                select.select([self.proc.stdout], [], [], 60)
                chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
                if not chunk:
                    raise SystemExit("the server closed its stdout")
                self.pending += chunk
            line, _, self.pending = self.pending.partition(b"\n")
            answer: dict[str, Any] = json.loads(line)
            if answer.get("id") == message["id"]:
                return answer

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        return self.ask({"jsonrpc": "2.0", "method": method, "params": params})

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@dataclass
class RoundTrips:
    local: dict[str, Spread]
    raw: dict[str, Spread]
    client: dict[str, Spread]
    ping: Spread
    lists_raw: Spread
    lists_client: Spread
    tools: int


def round_trips(paths: HostPaths, project: Path, rounds: int, notes: Notes) -> RoundTrips:
    """Each round calls in process, on the raw pipes and through the SDK client in turn, so a
    change of the machine's load falls on all three alike."""
    from anyio.from_thread import start_blocking_portal
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    from host.runner import PluginHost, RunOptions

    server = StdioServerParameters(
        command=ACC, args=["mcp", "serve", "--project", str(project)], env=environment(paths), cwd=str(project)
    )
    samples: dict[str, list[float]] = {}

    def timed(key: str, action: Any) -> Any:
        started = time.perf_counter()
        result = action()
        samples.setdefault(key, []).append(time.perf_counter() - started)
        return result

    async def client_seconds(request: Any) -> float:
        """The client's own round trip, timed on its event loop (the portal's hop from this
        thread into that loop is not the client's cost)."""
        started = time.perf_counter()
        await request()
        return time.perf_counter() - started

    def client_timed(key: str, request: Any) -> None:
        samples.setdefault(key, []).append(portal.call(client_seconds, request))

    raw = RawPipes(paths, project)
    with (
        PluginHost(paths, RunOptions(project_dir=project)) as host,
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(Client(server, mode="legacy")) as client,
    ):
        tools = len(portal.call(partial(client.list_tools, cache_mode="refresh")).tools)
        for plugin, command, arguments in CALLS:  # warm all three: instances open, validators built
            host.run(plugin, command, arguments)
            answer = raw.request("tools/call", {"name": f"{plugin}__{command}", "arguments": arguments})
            if answer["result"].get("isError"):
                raise SystemExit(f"{plugin} {command} failed: {answer['result']['content']}")
            portal.call(partial(client.call_tool, f"{plugin}__{command}", arguments))
        for round_number in range(rounds):
            if round_number % 10 == 0:
                notes.sample()
            for plugin, command, arguments in CALLS:
                name, tool = f"{plugin} {command}", f"{plugin}__{command}"
                timed(f"local {name}", lambda p=plugin, c=command, a=arguments: host.run(p, c, a))
                timed(f"raw {name}", lambda t=tool, a=arguments: raw.request("tools/call", {"name": t, "arguments": a}))
                client_timed(f"client {name}", partial(client.call_tool, tool, arguments))
            timed("ping", lambda: raw.request("ping", {}))
            timed("lists raw", lambda: raw.request("tools/list", {}))
            client_timed("lists client", partial(client.list_tools, cache_mode="refresh"))
    raw.close()

    def spread(key: str) -> Spread:
        return Spread(tuple(samples[key]))

    names = [f"{plugin} {command}" for plugin, command, _ in CALLS]
    return RoundTrips(
        local={n: spread(f"local {n}") for n in names},
        raw={n: spread(f"raw {n}") for n in names},
        client={n: spread(f"client {n}") for n in names},
        ping=spread("ping"),
        lists_raw=spread("lists raw"),
        lists_client=spread("lists client"),
        tools=tools,
    )


def cold_listing(paths: HostPaths, rounds: int) -> Spread:
    """The listing as a fresh server makes it: manifests parsed, not taken from the process's cache."""
    from host.mcp.listing import read_listing
    from host.store import forget_parsed_manifests

    samples = []
    for _ in range(rounds):
        forget_parsed_manifests()
        started = time.perf_counter()
        read_listing(paths, None)
        samples.append(time.perf_counter() - started)
    return Spread(tuple(samples))


# -- 3. start to ready ------------------------------------------------------------------------------

NOTIFY_INITIALIZED = b'{"jsonrpc": "2.0", "method": "notifications/initialized"}'
INITIALIZE = json.dumps(
    {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "bench", "version": "1"},
        },
    }
).encode()


@dataclass(frozen=True)
class Start:
    """From spawning `acc mcp serve` to each answer of a client's first exchange."""

    initialize: float
    tools_list: float
    first_call: float


def with_bytecode_caches(paths: HostPaths) -> dict[str, str]:
    """The environment of a user's `acc`: Python reads and writes its bytecode caches (this
    workplace sets PYTHONDONTWRITEBYTECODE, which would compile acc's modules at every start)."""
    return {k: v for k, v in environment(paths).items() if k != "PYTHONDONTWRITEBYTECODE"}


def start_to_ready(paths: HostPaths, project: Path) -> Start:
    """Spawn, `initialize`, `tools/list`, then one `tools/call`, each sent when the last is answered."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [ACC, "mcp", "serve", "--project", str(project)],
        env=with_bytecode_caches(paths),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None
    buffer = b""

    def exchange(*lines: bytes) -> float:
        nonlocal buffer
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"".join(line + b"\n" for line in lines))
        proc.stdin.flush()
        while b"\n" not in buffer:
            select.select([proc.stdout], [], [], 60)
            chunk = os.read(proc.stdout.fileno(), 1 << 20)
            if not chunk:
                raise SystemExit("the server exited before answering")
            buffer += chunk
        line, _, buffer = buffer.partition(b"\n")
        if b'"error"' in line[:40] or b'"isError":true' in line:
            raise SystemExit(f"the server refused: {line[:300]!r}")
        return time.perf_counter() - started

    initialized = exchange(INITIALIZE)
    listed = exchange(NOTIFY_INITIALIZED, json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).encode())
    plugin, command, arguments = CALLS[1]
    call = {"name": f"{plugin}__{command}", "arguments": arguments}
    called = exchange(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call}).encode())
    proc.stdin.close()
    proc.wait(timeout=30)
    return Start(initialized, listed, called)


def process_time(*command: str) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def starts(paths: HostPaths, project: Path, count: int, notes: Notes) -> dict[str, Spread]:
    result: dict[str, list[float]] = {
        "initialize": [],
        "tools/list": [],
        "tools/call": [],
        "python": [],
        "acc --version": [],
        "import mcp.server": [],
    }
    start_to_ready(paths, project)  # writes the bytecode caches, as a user's first start does
    for _ in range(count):
        notes.sample()
        start = start_to_ready(paths, project)
        result["initialize"].append(start.initialize)
        result["tools/list"].append(start.tools_list)
        result["tools/call"].append(start.first_call)
        result["python"].append(process_time(sys.executable, "-c", "pass"))
        result["acc --version"].append(process_time(ACC, "--version"))
        result["import mcp.server"].append(process_time(sys.executable, "-c", "import mcp.server"))
    return {name: Spread(tuple(samples)) for name, samples in result.items()}


# -- the report -------------------------------------------------------------------------------------


def report(trips: RoundTrips, cold: Spread, started: dict[str, Spread], notes: Notes) -> str:
    day = time.strftime("%Y-%m-%d")
    rows = []
    for name, spread in trips.local.items():
        for how, measured in (
            ("JSON-RPC on the pipes", trips.raw[name]),
            ("official Python client", trips.client[name]),
        ):
            ratio = measured.median / spread.median
            met = "met" if ratio <= CALL_RATIO_BUDGET else "**not met**"
            overhead = (measured.median - spread.median) * 1000
            over, here = measured.show("ms", 1000, 1), spread.show("ms", 1000, 1)
            rows.append(
                f"| tools/call `{name}`, {how} | {over} | {here} | {ratio:.2f}× | ≤ {CALL_RATIO_BUDGET}× ({met}); "
                f"{overhead:+.1f} ms |"
            )
    list_met = "met" if trips.lists_client.median <= LIST_BUDGET_S else "**not met**"
    serve, listed_at, called_at = started["initialize"], started["tools/list"], started["tools/call"]
    start_met = "met" if serve.median <= START_BUDGET_S else "**not met**"
    listed_met = "met" if listed_at.median <= START_BUDGET_S else "**not met**"
    start_rows = (
        f"| start: spawn → `tools/list` answered (sent after `initialize`) | {listed_at.show('ms', 1000)} "
        f"| | | ≤ 300 ms ({listed_met}) |\n"
        f"| start: spawn → first `tools/call` answered (`project-stats summary`, sent after `tools/list`) "
        f"| {called_at.show('ms', 1000)} | | | |"
    )
    listed, cold_list = trips.lists_client.show("ms", 1000, 1), cold.show("ms", 1000, 1)
    listed_raw = trips.lists_raw.show("ms", 1000, 1)
    list_row = (
        f"| tools/list, {trips.tools} tools, server running | pipes {listed_raw}; client {listed} | "
        f"listing cold: {cold_list} | | ≤ 50 ms ({list_met}) |"
    )
    python, version = started["python"].show("ms", 1000), started["acc --version"].show("ms", 1000)
    sdk_import = started["import mcp.server"].show("ms", 1000)
    return f"""## MCP server

Measured by `bench/mcp_bench.py` on {day}: {machine()}; the 1-minute load average was {notes.show()} while
measuring (the machine is shared: absolute times move with it, ratios less). The five official plugins installed,
everything granted; calls one after the other on a warm sandbox through a real `acc mcp serve` over stdio
pipes, written on the pipes directly and through the official MCP client SDK (`mcp` {_sdk_version()}; timed on the
client's own event loop), against `PluginHost.run` of the same command in process; each round does all three in
turn. Medians, with (range, n).

| what | over MCP (stdio) | in process | ratio | budget |
|---|---|---|---|---|
{chr(10).join(rows)}
{list_row}
| start to ready: spawn → `initialize` answered (cached) | {serve.show("ms", 1000)} | | | ≤ 300 ms ({start_met}) |
{start_rows}

For scale: a `ping` answered on the pipes takes {trips.ping.show("ms", 1000, 2)}; `python -c pass` {python},
`acc --version` {version}, and `python -c "import mcp.server"` alone {sdk_import} (these three without acc's
bytecode caches).

- **The round trip** costs a fixed amount over the call itself. On the pipes (the server's share): the
  SDK's dispatch and its request and result models, a hop to the lane's worker thread and back, the budget
  and listing checks and the audit record. Through the official Python client, its own request and result
  handling (models of both protocol eras, the tool result checked against the listing) comes on top, on
  every request: compare its rows with the pipe rows. For `git status`, which launches confined git,
  either is well inside the budget; for a command that does a few milliseconds of work inside the guest,
  the same fixed cost is a larger share.
- **tools/list** answers from the listing kept since the store last changed (one `stat` of state.json per
  request); the cold listing reads state.json and the five manifests and makes no sandbox.
- **Start to ready** is measured as a user's start: acc's modules read from their bytecode caches
  ("cached"), written by one start before. Importing the MCP SDK alone takes the time in the last
  "for scale" figure (`mcp_types` builds the pydantic models of two protocol eras at import). The
  stdio server does not wait for it: it checks the project, reads the listing, and answers
  `initialize`, `tools/list` and `ping` itself while the SDK loads on a background thread
  (`host.mcp.handshake`, `host.mcp.early`); the SDK then takes the session over, with the
  `initialize` replayed to it and its answer checked against the one sent. So a client has the
  tools within the first two rows; the first `tools/call` waits for the SDK (and opens the plugin's
  sandbox from its compiled cache), which a client calling at once pays, and one whose model thinks
  first does not.
  Clients of the 2026 protocol (no handshake) wait for the SDK from their first request.
"""


def _sdk_version() -> str:
    from importlib.metadata import version

    return version("mcp")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--starts", type=int, default=7)
    parser.add_argument("--no-write", action="store_true", help="print the section, do not write docs/performance.md")
    args = parser.parse_args()
    notes = Notes()
    with tempfile.TemporaryDirectory(prefix="acc-mcp-bench-") as tmp:
        paths, project = prepare(Path(tmp))
        trips = round_trips(paths, project, args.rounds, notes)
        cold = cold_listing(paths, args.rounds)
        started = starts(paths, project, args.starts, notes)
    body = report(trips, cold, started, notes)
    print(body)
    if not args.no_write:
        write_section("mcp", body)


if __name__ == "__main__":
    main()
