"""The official testing plugin, end to end: the real component in the real host, real pytest.

Each test makes a small Python project (a calculator with passing, failing and skipped
tests, and functions no test touches), installs the built plugin into a fresh ACC_HOME
and runs its commands through PluginHost, as `acc plugin run` does. The JUnit parser's
refusals of hostile reports are tested directly on the guest module, without a build.
"""

from __future__ import annotations

import ast
import importlib.util
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from host.capabilities.process import engine as process
from host.capabilities.process.engine import SAFE_PATH
from host.errors import PluginFailed
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from tests.helpers import PLUGIN_SOURCES, install_unsigned

HAS_COVERAGE = importlib.util.find_spec("coverage") is not None

# The dev environment's heavy pytest plugins (schemathesis imports for seconds) are
# disabled the way a project would: in its own configuration.
PYTEST_INI = "[pytest]\naddopts = -p no:schemathesis -p no:hypothesispytest -p no:anyio\n"

CALC = '''"""A small calculator: the code under test."""


def add(a, b):
    return a + b


def subtract(a, b):
    return a - b


def multiply(a, b, *, scale=1):
    return a * b * scale


def _clamp(value):
    return max(0, value)


class Register:
    def __init__(self, start):
        self.values = [start]

    def push(self, value):
        self.values.append(_clamp(value))

    def total(self):
        return sum(self.values)

    @staticmethod
    def describe(kind):
        return f"register of {kind}"
'''

TESTS = """import pytest

from calc import Register, add, subtract


def test_add():
    assert add(1, 2) == 3


def test_subtract():
    assert subtract(3, 1) == 5, "subtract is broken"


@pytest.mark.skip(reason="not written yet")
def test_later():
    pass


class TestRegister:
    def test_push(self):
        register = Register(0)
        register.push(2)
        assert register.values == [0, 2]
"""

FILE = "tests/test_calc.py"
ADD, SUBTRACT, LATER, PUSH = (
    f"{FILE}::{name}" for name in ("test_add", "test_subtract", "test_later", "TestRegister::test_push")
)
SUBTRACT_FAILURE = {
    "node_id": SUBTRACT,
    "outcome": "failed",
    "message": "AssertionError: subtract is broken",
    "location": {"file": FILE, "line": 11},
}


def make_project(root: Path, *, with_tests: bool = True) -> Path:
    root.mkdir()
    (root / "pytest.ini").write_text(PYTEST_INI)
    (root / "calc.py").write_text(CALC)
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "text.py").write_text('def shout(text):\n    return text.upper() + "!"\n')
    if with_tests:
        (root / "tests").mkdir()
        (root / FILE).write_text(TESTS)
    return root


def files_in(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}


def without_timing(tests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tests as reported, less what varies from run to run (durations, tracebacks)."""
    for test in tests:
        assert isinstance(test["duration"], float) and test["duration"] >= 0
    return [{k: v for k, v in t.items() if k not in ("duration", "traceback")} for t in tests]


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


@pytest.mark.slow
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


@pytest.mark.slow
def test_run_of_a_node_id_runs_only_that_test(project: Path, open_host: Callable[..., PluginHost]) -> None:
    result = open_host(project).run("testing", "run", {"paths": [ADD]})
    assert (result["exit_code"], result["status"]) == (0, "passed")
    assert without_timing(result["tests"]) == [{"node_id": ADD, "outcome": "passed"}]
    assert result["totals"]["tests"] == 1


@pytest.mark.slow
def test_run_with_a_keyword_selects_tests_by_name_and_can_leave_out_passed_ones(
    project: Path, open_host: Callable[..., PluginHost]
) -> None:
    host = open_host(project)
    by_keyword = host.run("testing", "run", {"keyword": "register or subtract"})
    assert [t["node_id"] for t in by_keyword["tests"]] == [SUBTRACT, PUSH]

    problems_only = host.run("testing", "run", {"paths": ["tests"], "include_passed": False})
    assert without_timing(problems_only["tests"]) == [
        SUBTRACT_FAILURE,
        {"node_id": LATER, "outcome": "skipped", "skip_reason": "not written yet"},
    ]
    assert problems_only["totals"]["passed"] == 2, "totals still count the passed tests"


@pytest.mark.slow
def test_run_in_a_project_without_tests_says_no_tests_were_collected(
    tmp_path: Path, open_host: Callable[..., PluginHost]
) -> None:
    project = make_project(tmp_path / "untested", with_tests=False)
    result = open_host(project).run("testing", "run", {})
    assert (result["exit_code"], result["status"]) == (5, "no_tests")
    assert result["meaning"] == "no tests were collected"
    assert result["tests"] == []
    assert {k: v for k, v in result["totals"].items() if k != "duration"} == {
        "tests": 0,
        "passed": 0,
        "failed": 0,
        "error": 0,
        "skipped": 0,
    }
    assert result["history"] == {"recorded": False, "reason": "no test ran"}


@pytest.mark.slow
def test_a_test_file_that_does_not_import_is_an_error_of_that_file(
    project: Path, open_host: Callable[..., PluginHost]
) -> None:
    (project / "tests" / "test_broken.py").write_text("def test_syntax(:\n    pass\n")
    result = open_host(project).run("testing", "run", {})
    assert (result["exit_code"], result["status"]) == (2, "interrupted")
    assert without_timing(result["tests"]) == [
        {
            "node_id": "tests/test_broken.py",
            "outcome": "error",
            "message": "SyntaxError: invalid syntax",
            "location": {"file": "tests/test_broken.py", "line": 1},
        }
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("selection", "message"),
    [
        pytest.param({"paths": ["-p evil"]}, "starts with '-': pytest would read it as an option", id="plugin-path"),
        pytest.param({"paths": ["--rootdir=/"]}, "starts with '-': pytest would read it as an option", id="rootdir"),
        pytest.param(
            {"paths": ["@args.txt"]}, "starts with '@': pytest would read arguments from a file", id="args-file"
        ),
        pytest.param({"paths": ["../outside/test_x.py"]}, "is outside the project", id="parent"),
        pytest.param({"paths": ["/etc"]}, "must be relative to the project root", id="absolute"),
        pytest.param({"paths": ["tests/test_nothing.py"]}, "the project has no 'tests/test_nothing.py'", id="missing"),
        pytest.param({"keyword": "-p evil"}, "keyword '-p evil' is not a pytest expression", id="keyword-option"),
        pytest.param({"marker": "@args.txt"}, "marker '@args.txt' is not a pytest expression", id="marker-file"),
    ],
)
def test_hostile_selections_are_refused_clearly_before_pytest_runs(
    project: Path, open_host: Callable[..., PluginHost], selection: dict[str, Any], message: str
) -> None:
    host = open_host(project)
    with pytest.raises(PluginFailed) as refused:
        host.run("testing", "run", selection)
    assert refused.value.kind == "invalid"
    assert message in refused.value.detail
    assert host.run("testing", "regressions", {})["latest_run"] is None, "nothing ran"


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_coverage_without_coverage_py_says_it_is_unavailable(
    project: Path, tmp_path: Path, open_host: Callable[..., PluginHost], monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("coverage", path=SAFE_PATH):
        pytest.skip("a coverage program is installed system-wide")
    bin_without_coverage = tmp_path / "bin"
    bin_without_coverage.mkdir()
    real_pytest = shutil.which("pytest", path=str(process._interpreter_dir()))
    assert real_pytest is not None
    (bin_without_coverage / "pytest").symlink_to(real_pytest)
    monkeypatch.setattr(process, "_interpreter_dir", lambda: bin_without_coverage)

    host = open_host(project)
    result = host.run("testing", "coverage", {})
    assert result["available"] is False
    assert result["reason"].startswith("coverage.py is not installed in the Python environment acc runs from")
    assert host.run("testing", "run", {"paths": [ADD]})["status"] == "passed", "pytest itself still runs"


# --- skeletons ----------------------------------------------------------------------------------

CALC_SKELETON = '''"""Tests for calc.

Generated by the acc testing plugin: replace each `...` with real values;
every test fails until then."""

from calc import Register, multiply


def test_multiply():
    result = multiply(a=..., b=...)
    assert result == ...


def test_register_total():
    register = Register(start=...)
    result = register.total()
    assert result == ...


def test_register_describe():
    result = Register.describe(kind=...)
    assert result == ...
'''


@pytest.mark.slow
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


@pytest.mark.slow
def test_skeletons_of_a_subdirectory_and_a_file_that_does_not_parse(
    project: Path, open_host: Callable[..., PluginHost]
) -> None:
    (project / "pkg" / "broken.py").write_text("def broken(:\n")
    result = open_host(project).run("testing", "skeletons", {"path": "pkg"})
    assert [m["source"] for m in result["modules"]] == ["pkg/text.py"]
    assert result["skipped"] == [{"file": "pkg/broken.py", "reason": "syntax error on line 1: invalid syntax"}]
    ast.parse(result["modules"][0]["code"])


# --- the JUnit parser, on its own ---------------------------------------------------------------


def junit_module() -> ModuleType:
    path = PLUGIN_SOURCES["testing"] / "acc_testing" / "junit.py"
    spec = importlib.util.spec_from_file_location("acc_testing_junit_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_report_with_a_document_type_declaration_is_refused() -> None:
    junit = junit_module()
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<testsuites><testsuite><testcase name="&b;"/></testsuite></testsuites>'
    )
    with pytest.raises(junit.ReportError, match="document type declaration"):
        junit.parse_report(laughs)


def test_an_oversized_or_malformed_report_is_refused() -> None:
    junit = junit_module()
    with pytest.raises(junit.ReportError, match="larger than"):
        junit.parse_report(b"<testsuites>" + b" " * junit.MAX_REPORT_BYTES + b"</testsuites>")
    with pytest.raises(junit.ReportError, match="not well-formed"):
        junit.parse_report(b"<testsuites><testsuite>")
    with pytest.raises(junit.ReportError, match="cut short"):
        junit.extract_report(b'<?xml version="1.0"?><testsuites><testsuite>')
    with pytest.raises(junit.ReportError, match="root element is <html>"):
        junit.parse_report(b"<html/>")


def test_node_ids_are_rebuilt_for_classes_parameters_and_collection_errors() -> None:
    junit = junit_module()
    assert (
        junit.node_id("tests/test_a.py", "tests.test_a.TestOuter.TestInner", "test_x[a::b-1.5]")
        == "tests/test_a.py::TestOuter::TestInner::test_x[a::b-1.5]"
    )
    assert junit.node_id("test_top.py", "test_top", "test_y") == "test_top.py::test_y"
    assert junit.node_id("sub/test_bad.py", "", "sub.test_bad") == "sub/test_bad.py"
