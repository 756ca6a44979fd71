"""An install decides everything before it compiles: refusals (no terminal to ask, a version
installed from other bytes, another ABI) compile nothing, consent is asked before the
plugin's compile, and only the shared runtime compiles while a prompt waits.

`compiles` counts calls of `host.components.compile_and_check`, the one door every install,
update and rollback compiles through; one test also looks at a fresh compiled cache."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import host.components
from host.consent import Question
from host.errors import ConsentRequired, LoadError, StoreError
from host.install import CompileQueue, InstallRequest, install_archive
from host.paths import HostPaths
from host.store import LocalStore
from sdk.archive import archive_bytes, read_archive
from tests.helpers import install_unsigned
from tests.server_kit import ACC

Events = list[str]


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> Iterator[Events]:
    """What happened, in order: "compile NAME VERSION", "runtime", and "ask KIND" (from `asker`)."""
    seen: Events = []
    real_compile = host.components.compile_and_check
    real_runtime = host.components.start_runtime_compile

    def compile_and_check(wasm: Any, manifest: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(f"compile {manifest.name} {manifest.version}")
        return real_compile(wasm, manifest, *args, **kwargs)

    def start_runtime_compile(wasm: bytes, *args: Any, **kwargs: Any) -> Any:
        seen.append("runtime")
        return real_runtime(wasm, *args, **kwargs)

    monkeypatch.setattr(host.components, "compile_and_check", compile_and_check)
    monkeypatch.setattr(host.components, "start_runtime_compile", start_runtime_compile)
    yield seen


def asker(events: Events, answer: bool) -> Callable[[Question], bool]:
    def ask(question: Question) -> bool:
        events.append(f"ask {question.kind}")
        return answer

    return ask


def test_without_a_terminal_a_refused_install_compiles_nothing(
    acc_home: HostPaths, built_archives: Callable[[str], Path], events: Events
) -> None:
    request = InstallRequest(archive=built_archives("project-stats"), allow_unsigned=True)
    with pytest.raises(ConsentRequired, match="there is no terminal to ask"):
        install_archive(acc_home, request)
    assert events == []
    assert LocalStore(acc_home).list() == []


def test_a_version_installed_from_other_bytes_is_refused_before_anyone_is_asked_or_anything_compiles(
    acc_home: HostPaths, built_archives: Callable[[str], Path], tmp_path: Path, events: Events
) -> None:
    install_unsigned(acc_home, built_archives("project-stats"), yes=True)
    events.clear()
    real = read_archive(built_archives("project-stats"))
    other = tmp_path / "project-stats-1.0.0.plugin"
    other.write_bytes(archive_bytes(real.manifest_text, real.wasm, real.readme + "\nchanged\n"))
    with pytest.raises(StoreError, match="already installed from a different archive"):
        install_archive(acc_home, InstallRequest(archive=other, allow_unsigned=True), ask=asker(events, True))
    assert events == []
    # --reinstall is the way through, and then the person is asked before the compile.
    install_archive(
        acc_home, InstallRequest(archive=other, allow_unsigned=True, reinstall=True), ask=asker(events, True)
    )
    assert events == ["runtime", "ask fs", "ask process", "compile project-stats 1.0.0"]


def test_the_person_is_asked_before_the_plugin_compiles_while_the_runtime_warms_up(
    acc_home: HostPaths, built_archives: Callable[[str], Path], events: Events
) -> None:
    request = InstallRequest(archive=built_archives("project-stats"), allow_unsigned=True)
    installed = install_archive(acc_home, request, ask=asker(events, False))
    # A "no" is a denied kind, not a refused install; the runtime compile started before the
    # first question, the plugin's own compile only after the last answer.
    assert events == ["runtime", "ask fs", "ask process", "compile project-stats 1.0.0"]
    assert installed.granted == frozenset()


def test_answers_given_by_flags_start_no_background_compile(
    acc_home: HostPaths, built_archives: Callable[[str], Path], events: Events
) -> None:
    request = InstallRequest(archive=built_archives("project-stats"), allow_unsigned=True, grant=("fs",), yes=True)
    install_archive(acc_home, request, ask=asker(events, True))
    assert events == ["compile project-stats 1.0.0"]


def test_a_plugin_for_another_abi_is_refused_before_anything_compiles(
    acc_home: HostPaths, built_archives: Callable[[str], Path], tmp_path: Path, events: Events
) -> None:
    real = read_archive(built_archives("relay"))
    other = tmp_path / "relay-1.0.0.plugin"
    text = real.manifest_text.replace('api = ">=1.0,<2"', 'api = ">=7"')
    assert text != real.manifest_text
    other.write_bytes(archive_bytes(text, real.wasm, real.readme))
    with pytest.raises(LoadError, match="needs plugin ABI"):
        install_archive(acc_home, InstallRequest(archive=other, allow_unsigned=True, yes=True))
    assert events == []


def test_acc_refusing_an_install_without_a_terminal_leaves_a_fresh_compiled_cache_empty(
    tmp_path: Path, built_archives: Callable[[str], Path]
) -> None:
    cache = tmp_path / "fresh-cache"
    env = {"ACC_HOME": str(tmp_path / "home"), "ACC_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [ACC, "plugin", "install", str(built_archives("project-stats")), "--allow-unsigned-DANGEROUS"],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1 and "there is no terminal to ask" in proc.stderr, proc.stderr
    assert list(cache.rglob("*.cwasm")) == []


def test_the_compile_queue_compiles_in_order_and_reports_the_first_failure(
    acc_home: HostPaths, built_archives: Callable[[str], Path], tmp_path: Path, events: Events
) -> None:
    good = read_archive(built_archives("relay"))
    broken = tmp_path / "broken-1.0.0.plugin"
    not_a_component = b"\0asm\x0d\0\x01\0\xff\xff"
    manifest = good.manifest_text.replace('name = "relay"', 'name = "broken"')
    broken.write_bytes(archive_bytes(manifest, not_a_component, "x"))
    queue = CompileQueue(acc_home)
    queue.submit(good)
    queue.submit(read_archive(broken))
    queue.submit(good)
    with pytest.raises(LoadError, match="not a valid WebAssembly component"):
        queue.wait()
    # The third is not compiled once the second failed: the install is over.
    assert events == ["compile relay 1.0.0", "compile broken 1.0.0"]
