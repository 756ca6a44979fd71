"""The official testing plugin's commands, run on CPython: its own Python, the host's pytest policy, real pytest.

`CPythonHost` (cpython_host.py) runs acc_testing in this process with PROJECT pointing at
the test's project; `process.run` goes to the host's `run_program` (pytest and coverage
run under the host's policy, as for the component) and `kv` to the host's store.
test_testing_component.py runs every command in the real component, and a run without
the kv grant. The JUnit parser's refusals of hostile reports are tested directly on its
module.
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
from tests.helpers import PLUGIN_SOURCES
from tests.official.cpython_host import CPythonHost
from tests.official.testing_kit import (
    ADD,
    LATER,
    PUSH,
    SUBTRACT,
    SUBTRACT_FAILURE,
    make_project,
    without_timing,
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "calculator")


@pytest.fixture
def open_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., CPythonHost]]:
    """Open a host on a project, with testing granted everything it asks for less `deny`."""
    hosts: list[CPythonHost] = []

    def open_(project: Path, *, deny: tuple[str, ...] = ()) -> CPythonHost:
        host = CPythonHost(project, tmp_path / "state", monkeypatch, installed=("testing",), deny={"testing": deny})
        hosts.append(host)
        return host

    yield open_
    for host in hosts:
        host.close()


# --- run ----------------------------------------------------------------------------------------


def test_run_of_a_node_id_runs_only_that_test(project: Path, open_host: Callable[..., CPythonHost]) -> None:
    result = open_host(project).run("testing", "run", {"paths": [ADD]})
    assert (result["exit_code"], result["status"]) == (0, "passed")
    assert without_timing(result["tests"]) == [{"node_id": ADD, "outcome": "passed"}]
    assert result["totals"]["tests"] == 1


def test_run_with_a_keyword_selects_tests_by_name_and_can_leave_out_passed_ones(
    project: Path, open_host: Callable[..., CPythonHost]
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


def test_run_in_a_project_without_tests_says_no_tests_were_collected(
    tmp_path: Path, open_host: Callable[..., CPythonHost]
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


def test_a_test_file_that_does_not_import_is_an_error_of_that_file(
    project: Path, open_host: Callable[..., CPythonHost]
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
    project: Path, open_host: Callable[..., CPythonHost], selection: dict[str, Any], message: str
) -> None:
    host = open_host(project)
    with pytest.raises(PluginFailed) as refused:
        host.run("testing", "run", selection)
    assert refused.value.kind == "invalid"
    assert message in refused.value.detail
    assert host.run("testing", "regressions", {})["latest_run"] is None, "nothing ran"


# --- coverage -----------------------------------------------------------------------------------


def test_coverage_without_coverage_py_says_it_is_unavailable(
    project: Path, tmp_path: Path, open_host: Callable[..., CPythonHost], monkeypatch: pytest.MonkeyPatch
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


def test_skeletons_of_a_subdirectory_and_a_file_that_does_not_parse(
    project: Path, open_host: Callable[..., CPythonHost]
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
