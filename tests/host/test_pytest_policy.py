"""The pytest and coverage program policies, against the real pytest and coverage.py.

A plugin granted `pytest` may run the project's tests and choose which ones and how
they are reported, nothing more. The attack tests first show that the trick works
against plain pytest, so they cannot pass by accident.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from host.capabilities.errors import Denied, Invalid
from host.capabilities.process.engine import ProcessScope, run_program
from host.capabilities.process.profiles import PROFILES
from host.capabilities.process.profiles.pytest import check_coverage_args, check_pytest_args
from host.consent import describe_capability
from sdk.capabilities.process import ProcessCapability

#: The dev environment's heavy pytest plugins (schemathesis takes seconds to import) are
#: not what these tests are about; disabling plugins is what the policy allows anyway.
FAST = ["-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio"]
REPORT = ["-p", "no:terminal", "-o", "junit_family=xunit1", "--junitxml=/dev/stdout", *FAST]
HAS_COVERAGE = importlib.util.find_spec("coverage") is not None


def scope_for(project: Path, *programs: str, **limits: Any) -> ProcessScope:
    return dataclasses.replace(ProcessScope(programs=programs, project_dir=project, profiles=PROFILES), **limits)


def plain_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """pytest as a user would run it in the project (no acc), with a clean environment."""
    env = {
        "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin",
        "HOME": str(project.parent),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *FAST, *args],
        cwd=project,
        env=env,
        capture_output=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project inside a parent directory that the tests may plant files in."""
    root = tmp_path / "parent" / "project"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_it.py").write_text(
        "def test_passes():\n    assert True\n\n\ndef test_fails():\n    assert 1 == 2, 'one is not two'\n"
    )
    return root


def files_in(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}


# --- arguments ----------------------------------------------------------------------------


def test_allowed_arguments_follow_the_options_acc_pins(project: Path) -> None:
    args = [
        *REPORT,
        "-q",
        "-k",
        "passes and not slow",
        "-m",
        "not integration",
        "--maxfail=2",
        "--tb",
        "short",
        "-rA",
        "tests/test_it.py::test_passes",
        "--deselect",
        "tests/test_it.py::x",
        "-p",
        "no:randomly",
    ]
    tail = check_pytest_args(args, project)
    assert tail == ["-p", "no:cacheprovider", f"--rootdir={project}", f"--confcutdir={project}", *args]


HOSTILE_PYTEST_ARGS = [
    pytest.param(["-p", "evil"], Denied, "may only disable pytest plugins", id="load-plugin"),
    pytest.param(["-pevil"], Denied, "may only disable pytest plugins", id="load-plugin-attached"),
    pytest.param(["-p", "no:x", "-p", "evil.module"], Denied, "loading one would run code", id="load-after-disable"),
    pytest.param(["--rootdir=/"], Denied, "rootdir to the project", id="rootdir"),
    pytest.param(["--rootdir", "/"], Denied, "rootdir to the project", id="rootdir-separate"),
    pytest.param(["-c", "/etc/pytest.ini"], Denied, "only the project's own configuration", id="config"),
    pytest.param(["--config-file=../pytest.ini"], Denied, "own configuration", id="config-file"),
    pytest.param(["-o", "addopts=-p evil"], Denied, "acc allows only", id="override-addopts"),
    pytest.param(["-o", "pythonpath=/tmp"], Denied, "acc allows only", id="override-pythonpath"),
    pytest.param(["--override-ini=cache_dir=/tmp/x"], Denied, "acc allows only", id="override-cache-dir"),
    pytest.param(["--junitxml=/tmp/report.xml"], Denied, "only go to /dev/stdout", id="junit-file"),
    pytest.param(["--junit-xml", "tests/report.xml"], Denied, "only go to /dev/stdout", id="junit-in-project"),
    pytest.param(["@args.txt"], Denied, "read more arguments from the file", id="args-file"),
    pytest.param(["-k", "@args.txt"], Denied, "must not start with '-' or '@'", id="args-file-as-value"),
    pytest.param(["-k", "-p", "evil"], Denied, "must not start with '-' or '@'", id="option-as-value"),
    pytest.param(["-k", "-pevil"], Denied, "must not start with '-' or '@'", id="plugin-as-value"),
    pytest.param(["--basetemp=/home"], Denied, "deletes and writes", id="basetemp"),
    pytest.param(["--pyargs", "json"], Denied, "anywhere on sys.path", id="pyargs"),
    pytest.param(["-W", "error::evil.Warning"], Denied, "imports the module", id="warning-filter"),
    pytest.param(["--log-file=/tmp/log"], Denied, "writes a log file", id="log-file"),
    pytest.param(["-s"], Denied, "mix with the report", id="no-capture"),
    pytest.param(["-qs"], Denied, "not allowed; acc allows", id="short-cluster"),
    pytest.param(["--lf"], Denied, "without its cache", id="last-failed"),
    pytest.param(["--"], Denied, "'--' is not allowed", id="end-of-options"),
    pytest.param(["--no-such-option"], Denied, "not allowed; acc allows", id="unknown"),
    pytest.param(["/etc/passwd"], Denied, "outside the project", id="absolute-path"),
    pytest.param(["../other/tests"], Denied, "outside the project", id="parent-path"),
    pytest.param(["../other/test_x.py::test_y"], Denied, "outside the project", id="node-id-outside"),
    pytest.param(["--ignore=/"], Denied, "outside the project", id="ignore-outside"),
    pytest.param(["-k"], Invalid, "needs a value", id="missing-value"),
    pytest.param(["--maxfail=lots"], Invalid, "whole number", id="maxfail-not-a-number"),
    pytest.param(["::test_x"], Invalid, "names no file", id="empty-path"),
]


@pytest.mark.parametrize(("args", "error", "message"), HOSTILE_PYTEST_ARGS)
def test_pytest_arguments_outside_the_policy_are_refused(
    project: Path, args: list[str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        check_pytest_args(args, project)


def test_a_test_path_through_a_symlink_out_of_the_project_is_refused(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / "tests" / "linked").symlink_to(elsewhere)
    with pytest.raises(Denied, match="outside the project"):
        check_pytest_args(["tests/linked"], project)


@pytest.mark.parametrize(
    "args",
    [
        ["json", "-o", "/tmp/out.json"],
        ["run", "evil.py"],
        ["run", "-m", "evil"],
        ["erase"],
        ["run", "--rcfile=/etc/x", "-m", "pytest"],
    ],
)
def test_coverage_runs_only_pytest(project: Path, args: list[str]) -> None:
    with pytest.raises(Denied, match="only as `coverage run"):
        check_coverage_args(args, project)


def test_coverage_checks_the_pytest_arguments_too(project: Path) -> None:
    with pytest.raises(Denied, match="may only disable pytest plugins"):
        check_coverage_args(["run", "-m", "pytest", "-p", "evil"], project)
    tail = check_coverage_args(["run", "--branch", "-m", "pytest", "-q"], project)
    assert tail[:4] == ["run", "--branch", "-m", "pytest"] and tail[-1] == "-q"


def test_pytest_and_coverage_have_their_policies() -> None:
    assert PROFILES["pytest"].check_args is check_pytest_args
    assert PROFILES["coverage"].execute is not None


def test_the_consent_prompt_says_pytest_runs_the_projects_code() -> None:
    line = describe_capability(ProcessCapability("Runs the tests.", programs=("pytest",)))
    assert "the project's own code runs with your permissions" in line


# --- real runs ------------------------------------------------------------------------------


def test_the_junit_report_comes_back_on_stdout_and_nothing_is_written(project: Path) -> None:
    before = files_in(project)
    output = run_program(scope_for(project, "pytest"), "pytest", REPORT, b"")
    assert output.status == 1
    assert output.stdout.startswith(b'<?xml version="1.0" encoding="utf-8"?><testsuites')
    assert b'name="test_fails"' in output.stdout and b"one is not two" in output.stdout
    # Neither .pytest_cache nor __pycache__: the project is as it was.
    assert files_in(project) == before


#: What the testing plugin asks for since projects' addopts name terminal options: the
#: terminal reporter stays on, and the report still comes back as stdout.
REPORT_KEEPING_TERMINAL = ["-o", "junit_family=xunit1", "--junitxml=/dev/stdout", *FAST]


@pytest.mark.parametrize("addopts", ["-ra", "-q", "-v --tb=short", "-ra -q --tb=short --strict-markers"])
def test_the_report_comes_back_whatever_terminal_options_the_projects_addopts_name(project: Path, addopts: str) -> None:
    (project / "pytest.ini").write_text(f"[pytest]\naddopts = {addopts}\n")
    assert plain_pytest(project, "-p", "no:terminal").returncode == 4, "-p no:terminal breaks these projects"
    before = files_in(project)
    output = run_program(scope_for(project, "pytest"), "pytest", REPORT_KEEPING_TERMINAL, b"")
    assert output.status == 1, output.stderr
    assert output.stdout.startswith(b'<?xml version="1.0" encoding="utf-8"?><testsuites')
    assert output.stdout.rstrip().endswith(b"</testsuites>")
    assert b'name="test_fails"' in output.stdout and b'name="test_passes"' in output.stdout
    assert b"1 failed, 1 passed" in output.stderr, "pytest's terminal output comes back as stderr"
    assert files_in(project) == before, "the report file is written in the call's private HOME"


def test_the_report_option_in_its_two_word_form_is_redirected_too(project: Path) -> None:
    args = ["-o", "junit_family=xunit1", "--junit-xml", "/dev/stdout", *FAST]
    output = run_program(scope_for(project, "pytest"), "pytest", args, b"")
    assert output.stdout.startswith(b"<?xml") and b"test_fails" in output.stdout
    assert b"<?xml" not in output.stderr


def test_without_a_report_request_pytests_output_is_returned_as_it_is(project: Path) -> None:
    output = run_program(scope_for(project, "pytest"), "pytest", ["-q", *FAST], b"")
    assert output.status == 1
    assert b"1 failed, 1 passed" in output.stdout and b"<?xml" not in output.stdout


def test_a_report_file_is_refused_and_not_written(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "parent" / "written-by-pytest.xml"
    assert plain_pytest(project, f"--junitxml={target}").returncode == 1
    assert target.exists(), "plain pytest writes wherever it is told"
    target.unlink()
    with pytest.raises(Denied):
        run_program(scope_for(project, "pytest"), "pytest", [f"--junitxml={target}"], b"")
    assert not target.exists()


def plant_configuration_above(project: Path) -> tuple[Path, Path]:
    """A pytest.ini and conftest.py in the project's parent that leave markers when used."""
    parent = project.parent
    plugin_marker, conftest_marker = parent / "plugin.ran", parent / "conftest.ran"
    (parent / "evil_plugin.py").write_text(f"open({str(plugin_marker)!r}, 'w').close()\n")
    (parent / "pytest.ini").write_text("[pytest]\naddopts = -p evil_plugin\npythonpath = .\n")
    (parent / "conftest.py").write_text(f"open({str(conftest_marker)!r}, 'w').close()\n")
    return plugin_marker, conftest_marker


def test_configuration_above_the_project_is_not_read(project: Path) -> None:
    plugin_marker, conftest_marker = plant_configuration_above(project)
    assert plain_pytest(project).returncode == 1
    assert plugin_marker.exists() and conftest_marker.exists(), "plain pytest walks up and uses them"
    plugin_marker.unlink()
    conftest_marker.unlink()

    output = run_program(scope_for(project, "pytest"), "pytest", REPORT, b"")
    assert output.status == 1 and b'name="test_fails"' in output.stdout
    assert not plugin_marker.exists()
    assert not conftest_marker.exists()


def test_the_projects_own_configuration_is_still_used(project: Path) -> None:
    plant_configuration_above(project)
    (project / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "-k passes"\n')
    output = run_program(scope_for(project, "pytest"), "pytest", REPORT, b"")
    assert output.status == 0, output.stderr
    assert b'name="test_passes"' in output.stdout and b'name="test_fails"' not in output.stdout
    assert not (project.parent / "plugin.ran").exists()


@pytest.mark.skipif(not HAS_COVERAGE, reason="coverage.py is not installed")
def test_coverage_returns_the_json_report_and_leaves_no_data_file(project: Path) -> None:
    (project / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef unused():\n    return 0\n")
    (project / "tests" / "test_calc.py").write_text(
        "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    )
    before = files_in(project)
    output = run_program(
        scope_for(project, "coverage"),
        "coverage",
        ["run", "-m", "pytest", "-p", "no:terminal", *FAST, "tests/test_calc.py"],
        b"",
    )
    assert output.status == 0, output.stderr
    import json

    report = json.loads(output.stdout)
    assert report["files"]["calc.py"]["summary"]["num_statements"] == 4
    assert report["files"]["calc.py"]["missing_lines"] == [6]
    assert files_in(project) == before, "no .coverage, no .pytest_cache, no __pycache__"
