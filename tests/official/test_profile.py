"""The profile plugin's logic on CPython: the host's cprofile program (acc's profiler script
through the real engine) on a real project, and the plugin's reading of its profile.

The sandbox is in test_profile_component.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from host.capabilities.errors import CapabilityError
from host.capabilities.process.engine import ProcessScope, run_program
from host.capabilities.process.profiles import PROFILES
from tests.official.plugin_kit import make_project, snapshot, use_plugin_sources

use_plugin_sources("profile")

from acc_plugin import Denied, Failed, Invalid, _errors  # noqa: E402
from acc_profile import ops, report  # noqa: E402

MAIN = "import sys\nfrom calc.ops import total\n\nprint(total(range(int(sys.argv[1]))))\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "calc-project")
    (root / "calc" / "__main__.py").write_text(MAIN)
    return root


def runner(project: Path) -> Callable[[list[str]], Any]:
    scope = ProcessScope(programs=("cprofile",), project_dir=project, profiles=PROFILES)

    def run(args: list[str]) -> Any:
        try:
            return run_program(scope, "cprofile", args, b"")
        except CapabilityError as e:
            raise _errors._KINDS[e.kind](e.message) from None

    return run


def test_a_module_entry_point_is_profiled_with_the_project_functions_first(project: Path) -> None:
    before = snapshot(project)
    result = ops.profile_module(runner(project), "calc", ["20000"], top=5)
    assert result["target"] == {"kind": "module", "module": "calc", "args": ["20000"]}
    assert (result["exit_status"], result["output"]) == (0, "199990000")
    assert result["project_only"] is True and result["function_count"] > len(result["functions"])
    names = [(f["file"], f["function"]) for f in result["functions"]]
    assert names[:3] == [("calc/__main__.py", "<module>"), ("calc/ops.py", "total"), ("calc/ops.py", "add")]
    add = result["functions"][2]
    assert add["calls"] == 20000 and add["in_project"] is True and add["line"] == 4
    assert add["cumulative_per_call"] == pytest.approx(add["cumulative_time"] / 20000, abs=1e-9)
    assert snapshot(project) == before


def test_sorting_by_calls_and_including_everything(project: Path) -> None:
    result = ops.profile_module(runner(project), "calc", ["300"], sort="calls", project_only=False, top=3)
    assert result["functions"][0]["function"] == "add" and result["functions"][0]["calls"] == 300
    everything = ops.profile_module(runner(project), "calc", ["3"], project_only=False, top=500)
    assert any(not f["in_project"] for f in everything["functions"])


def test_the_projects_tests_are_profiled_under_its_pytest_configuration(project: Path) -> None:
    result = ops.profile_test(runner(project), paths=["tests/test_ops.py::test_total"], top=10)
    assert result["exit_status"] == 0 and "1 passed" in result["output"]
    files = {(f["file"], f["function"]) for f in result["functions"]}
    assert {("tests/test_ops.py", "test_total"), ("calc/ops.py", "total")} <= files


def test_a_failing_test_run_still_returns_its_profile(project: Path) -> None:
    (project / "tests" / "test_ops.py").write_text("def test_fails():\n    assert False\n")
    result = ops.profile_test(runner(project))
    assert result["exit_status"] == 1 and "1 failed" in result["output"]
    assert any(f["function"] == "test_fails" for f in result["functions"])


def test_only_the_projects_own_modules_can_be_profiled(project: Path) -> None:
    with pytest.raises(Denied, match="not in the project"):
        ops.profile_module(runner(project), "http.server", ["8000"])
    with pytest.raises(Invalid, match="not a module name"):
        ops.profile_module(runner(project), "-c")
    with pytest.raises(Invalid):
        ops.profile_test(runner(project), paths=["../elsewhere/test_x.py"])


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "wrote no profile"), (b"<html>", "not JSON"), (b'{"functions": 3}', "no list of functions")],
)
def test_a_missing_or_malformed_profile_is_a_failure(data: bytes, message: str) -> None:
    class Broken:
        status, stdout, stderr, truncated = 1, data, b"Traceback ... ImportError", False

    with pytest.raises(Failed, match=message) as failure:
        ops.profile_module(lambda args: Broken(), "calc")
    assert "ImportError" in str(failure.value)


def test_report_cuts_to_the_top_rows_and_ignores_rows_that_are_not_measurements() -> None:
    profile = report.parse(
        b'{"functions": [{"function": "a", "cumulative_time": 1, "calls": 2, "in_project": true},'
        b' {"function": "b", "cumulative_time": "x"}, "junk",'
        b' {"function": "c", "cumulative_time": 3, "calls": 0, "in_project": true}]}'
    )
    rows = report.top(profile, count=5, sort="cumulative", project_only=True)
    assert [(r["function"], r["cumulative_per_call"]) for r in rows] == [("c", None), ("a", 0.5)]
