"""The official testing plugin, end to end: the real component in the real host, real pytest.

Each test makes a small Python project (testing_kit.py), installs the built plugin into a
fresh ACC_HOME and runs its commands through PluginHost, as `acc plugin run` does: every
command once, the run history kept in the host's kv store across runs, and a run without
the kv grant. The rest is tested on CPython (test_testing.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from host.errors import PluginFailed
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from tests.helpers import install_unsigned
from tests.official.testing_kit import (
    ADD,
    CALC,
    CALC_SKELETON,
    FILE,
    HAS_COVERAGE,
    LATER,
    PUSH,
    SUBTRACT,
    SUBTRACT_FAILURE,
    TESTS,
    files_in,
    make_project,
    without_timing,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "calculator")


@pytest.fixture
def open_host(acc_home: HostPaths, built_archives: Callable[[str], Path]) -> Iterator[Callable[..., PluginHost]]:
    """Install testing into this test's ACC_HOME (all grants unless told) and open a host on a project."""
    hosts: list[PluginHost] = []

    def open_(project: Path, *, deny: tuple[str, ...] = ()) -> PluginHost:
        if not hosts:
            granted = tuple(c for c in ("process", "fs", "kv") if c not in deny)
            install_unsigned(acc_home, built_archives("testing"), grant=granted, deny=deny)
        host = PluginHost(acc_home, RunOptions(project_dir=project))
        hosts.append(host)
        return host

    yield open_
    for host in hosts:
        host.close()


# --- run ----------------------------------------------------------------------------------------


def test_run_reports_each_test_with_its_outcome_message_location_and_skip_reason(
    project: Path, open_host: Callable[..., PluginHost]
) -> None:
    before = files_in(project)
    result = open_host(project).run("testing", "run", {})

    assert (result["exit_code"], result["status"]) == (1, "failed")
    assert result["meaning"] == "some tests failed or errored"
    assert {k: v for k, v in result["totals"].items() if k != "duration"} == {
        "tests": 4,
        "passed": 2,
        "failed": 1,
        "error": 0,
        "skipped": 1,
    }
    assert without_timing(result["tests"]) == [
        {"node_id": ADD, "outcome": "passed"},
        SUBTRACT_FAILURE,
        {"node_id": LATER, "outcome": "skipped", "skip_reason": "not written yet"},
        {"node_id": PUSH, "outcome": "passed"},
    ]
    failure = result["tests"][1]
    assert "E       AssertionError: subtract is broken" in failure["traceback"]
    assert result["tests_truncated"] is False
    assert result["history"] == {"recorded": True, "run": 1}
    assert files_in(project) == before, "no .pytest_cache, no __pycache__: the project is unchanged"


def test_run_without_the_kv_grant_still_reports_and_says_history_was_not_recorded(
    project: Path, open_host: Callable[..., PluginHost]
) -> None:
    host = open_host(project, deny=("kv",))
    result = host.run("testing", "run", {"paths": [ADD]})
    assert result["status"] == "passed"
    assert result["history"]["recorded"] is False and "kv" in result["history"]["reason"]
    with pytest.raises(PluginFailed) as refused:
        host.run("testing", "regressions", {})
    assert refused.value.kind == "denied"


# --- regressions --------------------------------------------------------------------------------


def test_regressions_lists_tests_that_passed_before_and_fail_now(
    project: Path, open_host: Callable[..., PluginHost]
) -> None:
    host = open_host(project)
    assert host.run("testing", "regressions", {}) == {
        "latest_run": None,
        "regressions": [],
        "fixed": [],
        "still_failing": [],
        "new_failures": [],
        "note": "no test run is recorded yet: use the run command first",
    }
    host.run("testing", "run", {})
    first = host.run("testing", "regressions", {})
    assert first["latest_run"] == 1
    assert first["new_failures"] == [
        {
            "node_id": SUBTRACT,
            "now": "failed",
            "before": None,
            "before_run": None,
            "message": "AssertionError: subtract is broken",
            "location": {"file": FILE, "line": 11},
        }
    ]
    assert first["regressions"] == [] and first["fixed"] == [] and first["still_failing"] == []

    # add() breaks; subtract() gets fixed by changing what the test expects.
    (project / "calc.py").write_text(CALC.replace("return a + b", "return a - b"))
    (project / FILE).write_text(TESTS.replace("subtract(3, 1) == 5", "subtract(3, 1) == 2"))
    host.run("testing", "run", {})
    second = host.run("testing", "regressions", {})
    assert second["latest_run"] == 2
    assert second["regressions"] == [
        {
            "node_id": ADD,
            "now": "failed",
            "before": "passed",
            "before_run": 1,
            "message": "assert -1 == 3",
            "location": {"file": FILE, "line": 7},
        }
    ]
    assert second["fixed"] == [{"node_id": SUBTRACT, "now": "passed", "before": "failed", "before_run": 1}]
    assert second["still_failing"] == [] and second["new_failures"] == []


# --- coverage -----------------------------------------------------------------------------------


@pytest.mark.skipif(not HAS_COVERAGE, reason="coverage.py is not installed")
def test_coverage_summarises_each_file_and_the_total(project: Path, open_host: Callable[..., PluginHost]) -> None:
    before = files_in(project)
    result = open_host(project).run("testing", "coverage", {})
    assert result == {
        "available": True,
        "measured": True,
        "exit_code": 1,
        "status": "failed",
        "meaning": "some tests failed or errored",
        "totals": {"files": 1, "statements": 18, "covered": 15, "missing": 3, "percent": 83.33},
        "files": [
            {
                "path": "calc.py",
                "statements": 18,
                "covered": 15,
                "missing": 3,
                "percent": 83.33,
                "missing_lines": "13, 28, 32",
            }
        ],
        "files_truncated": False,
    }
    with_tests = open_host(project).run("testing", "coverage", {"include_tests": True, "paths": [ADD]})
    assert sorted(f["path"] for f in with_tests["files"]) == ["calc.py", FILE]
    assert files_in(project) == before, "no .coverage file is left in the project"


# --- skeletons ----------------------------------------------------------------------------------


def test_skeletons_stub_the_public_functions_and_methods_no_test_references(
    project: Path, open_host: Callable[..., PluginHost]
) -> None:
    host = open_host(project)
    result = host.run("testing", "skeletons", {})
    assert {k: v for k, v in result.items() if k != "modules"} == {
        "path": ".",
        "files_scanned": 4,
        "files_truncated": False,
        "public_callables": 7,
        "tested": 3,
        "untested": 4,
        "skipped": [],
    }
    calc, text = result["modules"]
    assert {k: v for k, v in calc.items() if k != "code"} == {
        "source": "calc.py",
        "module": "calc",
        "test_file": "tests/test_calc.py",
        "test_file_exists": True,
        "untested": [
            {"name": "multiply", "kind": "function", "line": 12},
            {"name": "Register.total", "kind": "method", "line": 27},
            {"name": "Register.describe", "kind": "staticmethod", "line": 31},
        ],
    }
    assert calc["code"] == CALC_SKELETON
    assert {k: v for k, v in text.items() if k != "code"} == {
        "source": "pkg/text.py",
        "module": "pkg.text",
        "test_file": "tests/test_text.py",
        "test_file_exists": False,
        "untested": [{"name": "shout", "kind": "function", "line": 1}],
    }
    assert "from pkg.text import shout\n" in text["code"]

    # The stubs are real tests: they import, run, and fail until someone fills them in.
    (project / "tests" / "test_generated.py").write_text(calc["code"])
    ran = host.run("testing", "run", {"paths": ["tests/test_generated.py"]})
    assert [(t["node_id"].split("::")[1], t["outcome"]) for t in ran["tests"]] == [
        ("test_multiply", "failed"),
        ("test_register_total", "failed"),
        ("test_register_describe", "failed"),
    ]
