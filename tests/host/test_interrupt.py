"""Stopping a call from another thread (`host.interrupt`): in wasm, in a launched program,
before it starts; and the refusals a call meets are reported (`on_denied`)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from host.capabilities.errors import LimitExceeded
from host.capabilities.process.engine import ProcessScope, run_program
from host.errors import PluginTrap
from host.interrupt import Interrupt
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions


def _processes_with(marker: str) -> list[int]:
    """Pids whose command line contains `marker` (a unique sleep duration)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline:
            found.append(int(entry))
    return found


def test_an_interrupt_is_readable_once_fired_and_not_after_clear() -> None:
    with Interrupt() as interrupt:
        import select

        assert select.select([interrupt.fileno()], [], [], 0)[0] == []
        interrupt.fire("first")
        interrupt.fire("second")  # the first reason stays
        assert interrupt.is_set() and interrupt.reason == "first"
        assert select.select([interrupt.fileno()], [], [], 0)[0] == [interrupt.fileno()]
        interrupt.clear()
        assert not interrupt.is_set() and interrupt.reason == ""
        assert select.select([interrupt.fileno()], [], [], 0)[0] == []


def test_a_launched_program_is_killed_when_the_call_is_stopped(tmp_path: Path) -> None:
    marker = "41.5372"  # a sleep no other test runs
    with Interrupt() as interrupt:
        scope = ProcessScope(programs=("sleep",), project_dir=tmp_path, profiles={}, interrupt=interrupt)
        threading.Timer(0.3, interrupt.fire, args=("cancelled by the test",)).start()
        started = time.monotonic()
        with pytest.raises(LimitExceeded, match=r"program sleep was killed: the call was stopped \(cancelled by"):
            run_program(scope, "sleep", [marker], b"")
        assert time.monotonic() - started < 5  # not the 41 s sleep, nor the grant's 60 s timeout
    deadline = time.monotonic() + 5
    while _processes_with(f"sleep {marker}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_with(f"sleep {marker}") == []


def test_a_stopped_call_launches_nothing(tmp_path: Path) -> None:
    with Interrupt() as interrupt:
        interrupt.fire("stopped before")
        scope = ProcessScope(programs=("touch",), project_dir=tmp_path, profiles={}, interrupt=interrupt)
        with pytest.raises(LimitExceeded, match="was not started"):
            run_program(scope, "touch", ["made"], b"")
    assert not (tmp_path / "made").exists()


# --- through the real component ----------------------------------------------------------------


@pytest.fixture
def stoppable(hostile_home: HostPaths, project: Path) -> Iterator[tuple[PluginHost, Interrupt, list[tuple[str, ...]]]]:
    denials: list[tuple[str, ...]] = []
    with Interrupt() as interrupt:
        options = RunOptions(project_dir=project, interrupt=interrupt, on_denied=lambda *denial: denials.append(denial))
        with PluginHost(hostile_home, options) as host:
            yield host, interrupt, denials


@pytest.mark.slow
def test_a_looping_guest_is_stopped_within_a_fraction_of_its_time_limit(
    stoppable: tuple[PluginHost, Interrupt, list[tuple[str, ...]]],
) -> None:
    host, interrupt, _ = stoppable
    host.run("hostile", "echo", {})  # started: what is stopped below is the command, not the start
    threading.Timer(0.3, interrupt.fire, args=("the client cancelled",)).start()
    started = time.monotonic()
    with pytest.raises(PluginTrap, match="hostile loop was stopped: the client cancelled") as caught:
        host.run("hostile", "loop", {})
    assert caught.value.limit == "stopped"
    assert time.monotonic() - started < 1.5  # hostile's own limit is 3 s
    interrupt.clear()
    assert host.run("hostile", "echo", {"after": 1})["input"] == {"after": 1}  # a fresh instance


@pytest.mark.slow
def test_a_call_of_a_stopped_host_does_not_enter_the_guest(
    stoppable: tuple[PluginHost, Interrupt, list[tuple[str, ...]]],
) -> None:
    host, interrupt, _ = stoppable
    interrupt.fire("session over")
    with pytest.raises(PluginTrap, match="was stopped: session over"):
        host.run("hostile", "remember", {"value": "x"})
    interrupt.clear()
    assert host.run("hostile", "remember", {"value": "y"}) == []  # "x" was never remembered


@pytest.mark.slow
def test_refused_capability_calls_are_reported_with_plugin_kind_and_function(
    stoppable: tuple[PluginHost, Interrupt, list[tuple[str, ...]]],
) -> None:
    host, _, denials = stoppable
    assert host.run("hostile", "fetch", {"url": "http://127.0.0.1:1/"})["kind"] == "denied"  # not granted
    assert host.run("hostile", "run", {"program": "curl", "args": []})["kind"] == "denied"  # outside the scope
    assert host.run("hostile", "read", {"path": "/project/hello.txt"})["ok"] is True  # WASI: not a refusal
    assert denials == [("hostile", "http", "fetch"), ("hostile", "process", "run")]
