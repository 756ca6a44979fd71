"""A process that ran plugins exits cleanly, every time.

wasmtime objects freed during interpreter teardown used to print `Exception ignored in:
Managed.__del__ ... TypeError: 'NoneType' object is not callable` and, now and then,
abort the process (`panic in a function that cannot unwind`, SIGABRT) after a plugin had
written output. The host now closes its stores and stops the epoch ticker at exit, and
leaves nothing of wasmtime to the garbage collector during teardown (host/engine.py). An
intermittent failure needs many runs: each scenario runs in fresh interpreters.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from host.paths import HostPaths
from tests.helpers import REPO, install_unsigned

pytestmark = pytest.mark.slow

RUNS = 24

SCRIPT = r"""
import sys
from pathlib import Path
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions

home, cache, project, scenario = sys.argv[1:5]
paths = HostPaths(home=Path(home), cache=Path(cache))
host = PluginHost(paths, RunOptions(project_dir=Path(project), emit_log=lambda *record: None))
if scenario == "output-left-open":  # output written, host never closed: teardown meets live stores
    host.run("unruly", "blank-lines", {"count": 3000})
    host.run("unruly", "say", {"text": "a log line"})
elif scenario == "call-left-open":  # two sandboxes (a nested call), never closed
    host.run("hostile", "call", {"plugin": "relay", "command": "read", "input": {"path": "/x"}})
elif scenario == "trap-then-close":  # a trapped instance, then a fresh one, closed
    try:
        host.run("hostile", "loop", {})
    except Exception:
        pass
    host.run("unruly", "blank-lines", {"count": 3000})
    host.close()
print("done")
"""


@pytest.fixture(scope="module")
def plugins_home(hostile_home: HostPaths, built_archives: Callable[[str], Path]) -> HostPaths:
    """hostile and relay (from conftest), and unruly, whose commands print on stdout."""
    install_unsigned(hostile_home, built_archives("unruly"), yes=True)
    return hostile_home


@pytest.mark.parametrize("scenario", ["output-left-open", "call-left-open", "trap-then-close"])
def test_the_interpreter_exits_cleanly_after_plugins_wrote_output(
    plugins_home: HostPaths, project: Path, tmp_path: Path, scenario: str
) -> None:
    script = tmp_path / "run_plugin.py"
    script.write_text(SCRIPT)
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = RUNS if scenario == "output-left-open" else RUNS // 10
    for run in range(runs):
        finished = subprocess.run(
            [sys.executable, str(script), str(plugins_home.home), str(plugins_home.cache), str(project), scenario],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
        )
        where = f"run {run + 1} of {runs}: exit status {finished.returncode}\n{finished.stderr[-2000:]}"
        assert finished.returncode == 0, where
        assert finished.stdout.strip() == "done", where
        for sign in ("panic", "Exception ignored", "Traceback", "Fatal Python error"):
            assert sign not in finished.stderr, where
