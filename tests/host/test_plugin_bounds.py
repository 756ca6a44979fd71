"""A plugin's limits hold for all work done on its behalf, and its output cannot hurt its caller.

Written from the attacker's side, with the real `unruly` and `hostile` components in the
real host: each case is a way a plugin (or the project it works on) could make the host
run past the plugin's `timeout_seconds`, crash the caller with what it returns, flood the
user's terminal, or drive it with escape sequences. Each must stop within the plugin's
limit plus a small margin, or be refused as the plugin's error with a clear message.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from host.errors import InputError, PluginFailed, PluginTrap
from host.paths import HostPaths
from host.policy import HostPolicy
from host.runner import PluginHost, RunOptions
from sdk.archive import archive_bytes, read_archive
from tests.helpers import TEST_CACHE, install_unsigned

pytestmark = pytest.mark.slow

#: unruly's [limits] timeout_seconds; hostile's is 3.
UNRULY_LIMIT = 2.0
HOSTILE_LIMIT = 3.0
#: What a stop may take beyond the limit: the epoch tick, killing a process group, a busy CI.
MARGIN = 1.5


class _SlowHandler(BaseHTTPRequestHandler):
    """Answers nothing for a long time: a server that would hold a fetch for 30 s."""

    release: threading.Event

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self.release.wait(30)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def slow_server() -> Iterator[int]:
    release = threading.Event()
    handler = type("Handler", (_SlowHandler,), {"release": release})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def unruly_home(
    tmp_path_factory: pytest.TempPathFactory, built_archives: Callable[[str], Path], slow_server: int
) -> HostPaths:
    """unruly (2 s limit) and a copy of it named `patient` (30 s), everything granted, their
    http grant naming the slow server's port; unruly may call patient.

    The copies differ in their manifests only (same component: a manifest's limits, hosts
    and the plugins it calls do not change its imports)."""
    real = read_archive(built_archives("unruly"))
    base = real.manifest_text.replace("http://127.0.0.1:9", f"http://127.0.0.1:{slow_server}")
    copies = {
        "unruly": base.replace('plugins = ["unruly"]', 'plugins = ["unruly", "patient"]'),
        "patient": base.replace('name = "unruly"', 'name = "patient"').replace(
            "timeout_seconds = 2", "timeout_seconds = 30"
        ),
    }
    paths = HostPaths(home=tmp_path_factory.mktemp("unruly-home"), cache=TEST_CACHE)
    folder = tmp_path_factory.mktemp("unruly-archives")
    for name, manifest in copies.items():
        archive = folder / f"{name}-1.0.0.plugin"
        archive.write_bytes(archive_bytes(manifest, real.wasm, real.readme))
        install_unsigned(paths, archive, yes=True)
    return paths


@pytest.fixture
def logged() -> list[tuple[str, str, str]]:
    return []


@pytest.fixture
def unruly(unruly_home: HostPaths, project: Path, logged: list[tuple[str, str, str]]) -> Iterator[PluginHost]:
    options = RunOptions(project_dir=project, emit_log=lambda *record: logged.append(record))
    with PluginHost(unruly_home, options) as host:
        yield host


def _timed(fn: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    try:
        outcome: object = fn()
    except Exception as e:
        outcome = e
    return outcome, time.monotonic() - started


# --- the deadline: every bit of host work stops at the plugin's limit ---------------------------


def test_a_server_that_never_answers_is_cut_at_the_plugins_time_limit(unruly: PluginHost, slow_server: int) -> None:
    # The http grant's own limit is 30 s; the plugin's is 2 s, and it covers the fetch.
    outcome, elapsed = _timed(lambda: unruly.run("unruly", "fetch", {"url": f"http://127.0.0.1:{slow_server}/slow"}))
    assert elapsed < UNRULY_LIMIT + MARGIN
    if isinstance(outcome, dict):  # the guest saw the limit before its own deadline trapped it
        assert outcome["ok"] is False and outcome["kind"] == "limit"
        assert "unruly's 2 s time limit" in outcome["error"]
    else:
        assert isinstance(outcome, PluginTrap) and outcome.limit == "time"


def _locked_repository(project: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.name", "Test")
    git("config", "user.email", "test@example.com")
    git("add", "hello.txt")
    git("commit", "-q", "-m", "first")
    # Git retries a held ref lock for as long as the repository says (here ten minutes):
    # the repository, not the plugin, decides how long git waits.
    git("config", "core.filesRefLockTimeout", "600000")
    (project / ".git" / "refs" / "heads" / "main.lock").write_text("held by someone else\n")


def test_git_waiting_on_a_held_lock_stops_at_the_plugins_time_limit(hostile_home: HostPaths, project: Path) -> None:
    _locked_repository(project)
    with PluginHost(hostile_home, RunOptions(project_dir=project)) as host:
        outcome, elapsed = _timed(
            lambda: host.run("hostile", "run", {"program": "git", "args": ["commit", "--allow-empty", "-m", "x"]})
        )
    # The process grant's own timeout is 60 s; the plugin's 3 s limit covers the program.
    assert elapsed < HOSTILE_LIMIT + MARGIN
    assert (isinstance(outcome, dict) and outcome["kind"] == "limit") or (
        isinstance(outcome, PluginTrap) and outcome.limit == "time"
    )


def test_a_catastrophic_schema_pattern_is_matched_in_linear_time(unruly: PluginHost) -> None:
    # ^(a+)+$ against "aaa...a!" takes 2^n steps in a backtracking engine (Python's re).
    outcome, elapsed = _timed(lambda: unruly.run("unruly", "match", {"name": "a" * 60 + "!"}))
    assert elapsed < 1.0
    assert isinstance(outcome, InputError)
    assert "does not match" in outcome.message
    assert unruly.run("unruly", "match", {"name": "a" * 60}) == {"matched": "a" * 60}


def _cleanup_outcome(logged: list[tuple[str, str, str]]) -> dict[str, object]:
    """What unruly's cleanup hook printed: the outcome of its call."""
    printed = [json.loads(message) for plugin, level, message in logged if plugin == "unruly" and level == "stdout"]
    assert len(printed) == 1, logged
    outcome: dict[str, object] = printed[0]
    return outcome


def test_a_cleanup_hook_that_calls_its_own_plugin_is_refused_as_a_cycle(unruly_home: HostPaths, project: Path) -> None:
    logged: list[tuple[str, str, str]] = []
    host = PluginHost(unruly_home, RunOptions(project_dir=project, emit_log=lambda *r: logged.append(r)))
    assert host.run("unruly", "call-on-cleanup", {"plugin": "unruly"}) == {"armed": "unruly"}
    _, elapsed = _timed(host.close)
    assert elapsed < UNRULY_LIMIT + MARGIN
    outcome = _cleanup_outcome(logged)
    assert outcome["ok"] is False and outcome["kind"] == "denied"
    assert "call cycle refused: unruly → unruly" in str(outcome["error"])


@pytest.mark.parametrize("opened_first", [True, False], ids=["already-closed", "never-opened"])
def test_a_cleanup_calling_a_plugin_while_the_host_closes_gets_a_clear_error(
    unruly_home: HostPaths, project: Path, opened_first: bool
) -> None:
    # Closing one plugin while another's cleanup calls it must neither crash the host
    # (a sandbox opened mid-close) nor enter a plugin already closed.
    logged: list[tuple[str, str, str]] = []
    host = PluginHost(unruly_home, RunOptions(project_dir=project, emit_log=lambda *r: logged.append(r)))
    if opened_first:  # closed before unruly, whose cleanup then calls it
        host.run("patient", "say", {"text": "opened"})
    host.run("unruly", "call-on-cleanup", {"plugin": "patient"})
    host.close()
    outcome = _cleanup_outcome(logged)
    assert outcome["ok"] is False and outcome["kind"] == "failed"
    assert "patient cannot run: the host is closing its plugins" in str(outcome["error"])
    host.close()  # idempotent


def test_a_huge_program_output_is_handed_over_within_the_time_limit(hostile_home: HostPaths, project: Path) -> None:
    # 4 MB of output used to cross into the guest one byte at a time in Python (seconds,
    # while the plugin's deadline could not interrupt it).
    (project / "big.txt").write_text(("x" * 99 + "\n") * 40_000)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "big.txt"], cwd=project, check=True)
    subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "big"], cwd=project, check=True
    )
    with PluginHost(hostile_home, RunOptions(project_dir=project)) as host:
        host.run("hostile", "echo", {})  # started: what follows is the hand-over, not the start
        outcome, elapsed = _timed(
            lambda: host.run("hostile", "run", {"program": "git", "args": ["show", "HEAD:big.txt"]})
        )
    assert isinstance(outcome, dict) and outcome["ok"] is True
    assert len(outcome["value"]["stdout"]) == 4_000_000
    assert elapsed < HOSTILE_LIMIT


def test_a_callee_with_a_longer_limit_stops_at_the_callers_deadline(unruly: PluginHost, slow_server: int) -> None:
    # patient's own limit is 30 s; called from unruly (2 s), the call is not re-armed.
    url = f"http://127.0.0.1:{slow_server}/slow"
    outcome, elapsed = _timed(
        lambda: unruly.run("unruly", "call", {"plugin": "patient", "command": "fetch", "input": {"url": url}})
    )
    assert elapsed < UNRULY_LIMIT + MARGIN
    if isinstance(outcome, dict):  # the fetch in patient stopped; whoever noticed first reports it
        fetched = outcome["value"] if outcome["ok"] else outcome
        assert fetched["ok"] is False and fetched["kind"] == "limit"
        assert "unruly's 2 s time limit" in fetched["error"]
    else:
        assert isinstance(outcome, PluginTrap) and outcome.limit == "time"


# --- output: what a plugin returns cannot kill its caller ----------------------------------------


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"value": NaN}', "NaN is not a JSON number"),
        ('{"value": Infinity}', "Infinity is not a JSON number"),
        ('{"value": -Infinity}', "-Infinity is not a JSON number"),
        ('{"value": 1e999}', "too large for a JSON number"),
        ('{"value": "\\ud800"}', "lone surrogate"),
        ('{"value": "\\udfff tail"}', "lone surrogate"),
        ('{"value": 1' + "0" * 5000 + "}", "not usable JSON"),
        ("{'value': 1}", "not valid JSON"),
    ],
    ids=["nan", "infinity", "minus-infinity", "overflow", "high-surrogate", "low-surrogate", "huge-int", "not-json"],
)
def test_a_result_that_is_not_plain_json_is_the_plugins_error(unruly: PluginHost, text: str, why: str) -> None:
    with pytest.raises(PluginFailed) as refused:
        unruly.run("unruly", "raw", {"text": text})
    assert refused.value.plugin == "unruly"
    assert "returned a result that is not plain JSON" in refused.value.message
    assert why in refused.value.message
    assert unruly.run("unruly", "say", {"text": "still here"}) == {"text": "still here"}


def test_a_deeply_nested_result_is_the_plugins_error_not_a_crash(unruly: PluginHost) -> None:
    with pytest.raises(PluginFailed, match="nested deeper than 100 levels"):
        unruly.run("unruly", "nested", {"depth": 100_000})
    assert unruly.run("unruly", "nested", {"depth": 3}) == [[[]]]


@pytest.mark.parametrize("text", ['{"x": NaN}', "[" * 5000 + "]" * 5000, '"\\udc00"'])
def test_a_callee_returning_unusable_json_fails_the_call_not_the_caller(unruly: PluginHost, text: str) -> None:
    # The caller gets the callee's bad result as an error it can handle, and runs on.
    outcome = unruly.run("unruly", "call", {"plugin": "patient", "command": "raw", "input": {"text": text}})
    assert outcome["ok"] is False and outcome["kind"] == "failed"
    assert "patient raw: returned a result that is not plain JSON" in outcome["error"]


# --- the log: capped in records as well as bytes; escaped ---------------------------------------


def test_a_flood_of_empty_lines_is_capped_by_record_count(unruly_home: HostPaths, project: Path) -> None:
    # Empty lines cost no bytes, so a byte cap alone lets them all through. A low record
    # cap keeps the flood small enough for the guest to print well within its time.
    logged: list[tuple[str, str, str]] = []
    policy = HostPolicy(max_log_records=500)
    options = RunOptions(project_dir=project, emit_log=lambda *record: logged.append(record), policy=policy)
    with PluginHost(unruly_home, options) as host:
        assert host.run("unruly", "blank-lines", {"count": 3_000}) == {"printed": 3_000}
        sandbox = host._sandboxes["unruly"]
        assert len(sandbox.log.records) == 500 and len(logged) == 500
        assert sandbox.log.dropped_records == 2_501  # every line past the cap is counted
        assert logged[-1][1:] == ("warn", "log output over 500 lines: the rest is dropped")


ESCAPES = [
    "\x1b[2J\x1b[H",  # CSI: clear the screen, cursor home
    "\x1b]0;owned\x07",  # OSC: set the window title
    "\x1b]52;c;ZWNobyBwd25lZA==\x07",  # OSC 52: write the clipboard
    "done\rGrant process? [y/N] ",  # CR: overwrite the line
    "\x07\x08\x00",  # BEL, BS, NUL
    "\x9b2J",  # C1 CSI
    "\u202eexe.txt",  # bidi override
]


@pytest.mark.parametrize("text", ESCAPES, ids=["csi", "osc-title", "osc-clipboard", "cr", "bel-bs-nul", "c1", "bidi"])
def test_log_lines_and_progress_reach_the_emitter_escaped(
    unruly: PluginHost, logged: list[tuple[str, str, str]], text: str
) -> None:
    result = unruly.run("unruly", "say", {"text": text})
    assert result == {"text": text}  # the result is data: JSON escapes it when printed
    assert logged, "the plugin's log line and progress reached the emitter"
    for _, level, message in logged:
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c == "\u202e" for c in message + level)
    assert any("\\x1b" in m or "\\r" in m or "\\x07" in m or "\\x9b" in m or "\\u202e" in m for _, _, m in logged)
