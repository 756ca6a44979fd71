"""A real plugin component with fs read-write and process tries to leave the project.

`escaper` (tests/plugins/escaper) writes what it likes into the project and runs git,
sh and pytest on it, through the real host: wasmtime, the capability bindings, the
engine, the OS sandbox. Also: without a sandbox the refusal reaches the user even though
the plugin swallows the capability error, and `acc plugin run` prints it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from host.confinement import MECHANISMS_VARIABLE, OVERRIDE_VARIABLE, ConfinementUnavailable, system_detection
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from tests.helpers import TEST_CACHE, install_unsigned


@pytest.fixture(scope="module")
def escaper_home(tmp_path_factory: pytest.TempPathFactory, built_archives: Callable[[str], Path]) -> HostPaths:
    paths = HostPaths(home=tmp_path_factory.mktemp("escaper-home"), cache=TEST_CACHE)
    install_unsigned(paths, built_archives("escaper"), grant=("fs", "process"))
    return paths


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    base = tmp_path.resolve()
    project, outside = base / "project", base / "outside"
    project.mkdir()
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text(f"secret-{uuid.uuid4().hex}\n")
    return {"project": project, "outside": outside, "secret": secret, "marker": outside / "PWNED"}


@pytest.fixture(params=["bubblewrap", "landlock"])
def escaper(
    request: pytest.FixtureRequest, escaper_home: HostPaths, places: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[PluginHost]:
    detection = system_detection({MECHANISMS_VARIABLE: request.param})
    if detection.mechanism is None:
        pytest.skip(f"{request.param} is not usable here")
    monkeypatch.setenv(MECHANISMS_VARIABLE, request.param)
    monkeypatch.delenv(OVERRIDE_VARIABLE, raising=False)
    with PluginHost(escaper_home, RunOptions(project_dir=places["project"])) as host:
        yield host


def run(host: PluginHost, program: str, *args: str) -> dict[str, Any]:
    result: dict[str, Any] = host.run("escaper", "run", {"program": program, "args": list(args)})
    return result


def test_a_shell_the_plugin_runs_touches_and_reads_nothing_outside(
    escaper: PluginHost, places: dict[str, Path]
) -> None:
    result = run(escaper, "sh", "-c", f"touch {places['marker']}; cat {places['secret']}; echo inside > inside.txt")
    assert result["ok"], result
    assert not places["marker"].exists()
    assert places["secret"].read_text().strip() not in result["stdout"] + result["stderr"]
    # With fs read-write, the plugin may change the project itself, and so may its programs.
    assert (places["project"] / "inside.txt").read_text() == "inside\n"


def test_pytest_after_the_plugin_writes_conftest_py_touches_nothing_outside(
    escaper: PluginHost, places: dict[str, Path]
) -> None:
    conftest = (
        "import pathlib\n"
        f"pathlib.Path({str(places['marker'])!r}).write_text('pwned')\n"
        f"print(pathlib.Path({str(places['secret'])!r}).read_text())\n"
    )
    escaper.run("escaper", "write", {"path": "conftest.py", "text": conftest})
    escaper.run("escaper", "write", {"path": "pytest.ini", "text": "[pytest]\naddopts = -p no:schemathesis\n"})
    escaper.run("escaper", "write", {"path": "test_x.py", "text": "def test_x():\n    pass\n"})
    result = run(escaper, "pytest", "-q")
    assert result["ok"], result
    assert result["status"] != 0, "the conftest.py failed to escape, so the run fails"
    assert not places["marker"].exists()
    assert places["secret"].read_text().strip() not in result["stdout"] + result["stderr"]


def test_a_repository_config_the_plugin_writes_is_refused_by_gits_profile_and_contained_anyway(
    escaper: PluginHost, places: dict[str, Path]
) -> None:
    assert run(escaper, "git", "init", "-q")["ok"]
    hostile = f'[core]\n\trepositoryformatversion = 0\n[trailer "x"]\n\tcommand = "touch {places["marker"]}"\n'
    escaper.run("escaper", "write", {"path": ".git/config", "text": hostile})
    refused = run(escaper, "git", "commit", "--allow-empty", "-m", "m", "--trailer", "x=1")
    assert refused == {"ok": False, "kind": "denied", "error": refused["error"]}
    assert "trailer" in refused["error"]
    assert not places["marker"].exists()


# --- no OS sandbox ----------------------------------------------------------------------------


def test_without_a_sandbox_the_run_fails_with_the_reason_even_though_the_plugin_carried_on(
    escaper_home: HostPaths, places: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MECHANISMS_VARIABLE, "")
    monkeypatch.delenv(OVERRIDE_VARIABLE, raising=False)
    with PluginHost(escaper_home, RunOptions(project_dir=places["project"])) as host:
        with pytest.raises(ConfinementUnavailable) as refused:
            run(host, "sh", "-c", f"touch {places['marker']}")
        assert "no OS sandbox is available" in refused.value.message
        assert refused.value.hint is not None and "bubblewrap" in refused.value.hint
        # The plugin's next command, which runs no program, is not blamed for it.
        assert host.run("escaper", "write", {"path": "a.txt", "text": "a"}) == {"written": "a.txt"}
    assert not places["marker"].exists()


def test_acc_plugin_run_prints_the_refusal_and_how_to_get_a_sandbox(
    escaper_home: HostPaths, places: dict[str, Path]
) -> None:
    environment = {
        **os.environ,
        "ACC_HOME": str(escaper_home.home),
        "ACC_CACHE_DIR": str(escaper_home.cache),
        MECHANISMS_VARIABLE: "",
    }
    environment.pop(OVERRIDE_VARIABLE, None)
    acc = Path(sys.executable).parent / "acc"
    command = [str(acc), "plugin", "run", "escaper", "run", "--project", str(places["project"]), "--quiet"]
    command += ["--input", '{"program": "sh", "args": ["-c", "echo ran"]}']
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "error: no OS sandbox is available to confine the programs plugins run" in done.stderr
    assert "hint: install bubblewrap" in done.stderr
    assert OVERRIDE_VARIABLE in done.stderr
    assert "ran" not in done.stdout
