"""The host's ruff and cprofile profiles, against the real ruff and Python.

ruff may only report (a diff, findings), never write, never read configuration of the
plugin's choosing, never leave the project. cprofile runs acc's own profiler script
around the project's tests or one of its modules, never code of the plugin's choosing.
The attack tests first show that the trick works against the plain program.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from host.capabilities import warnings_for
from host.capabilities.errors import Denied, Invalid
from host.capabilities.process.engine import ProcessScope, run_program
from host.capabilities.process.profiles import PROFILES
from host.capabilities.process.profiles.cprofile import check_cprofile_args
from host.capabilities.process.profiles.ruff import check_ruff_args
from sdk.capabilities.process import ProcessCapability

RUFF = shutil.which("ruff", path=f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin")
needs_ruff = pytest.mark.skipif(RUFF is None, reason="ruff is not installed")
FAST = ["-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio"]

UNFORMATTED = "import os\nx = {  'a':1 }\n\n\ndef total(values):\n    return sum(values)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project inside a parent directory the tests may plant files in."""
    root = tmp_path / "parent" / "project"
    (root / "calc").mkdir(parents=True)
    (root / "calc" / "__init__.py").write_text("")
    (root / "calc" / "ops.py").write_text(UNFORMATTED)
    (root / "calc" / "__main__.py").write_text(
        "import sys\nfrom calc.ops import total\n\nprint(total(range(int(sys.argv[1]))))\nsys.exit(int(sys.argv[2]))\n"
    )
    (root / "tests").mkdir()
    (root / "tests" / "test_ops.py").write_text(
        "from calc.ops import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n"
    )
    return root


def scope_for(project: Path, *programs: str, **limits: Any) -> ProcessScope:
    return dataclasses.replace(ProcessScope(programs=programs, project_dir=project, profiles=PROFILES), **limits)


def files_in(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


# --- ruff: arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["format", "--diff"], ["format", "--no-cache", "--diff", "--"]),
        (["format", "--check", "calc"], ["format", "--no-cache", "--check", "--", "calc"]),
        (
            ["check", "--fix", "--diff", "--select", "I,F401", "--line-length=100", "calc/ops.py"],
            ["check", "--no-cache", "--fix", "--diff", "--select=I,F401", "--line-length=100", "--", "calc/ops.py"],
        ),
        (
            ["check", "--output-format=json", "--exit-zero", "--target-version", "py311"],
            ["check", "--no-cache", "--output-format=json", "--exit-zero", "--target-version=py311", "--"],
        ),
        (["version"], ["version"]),
    ],
)
def test_ruff_arguments_acc_allows(project: Path, args: list[str], expected: list[str]) -> None:
    assert check_ruff_args(args, project) == expected


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (["format"], Denied, "only with --diff"),
        (["format", "calc"], Denied, "only with --diff"),
        (["check", "--fix"], Denied, "only with --diff"),
        (["check", "--fix-only", "--diff"], Denied, "writes the project's files"),
        (["check", "--add-noqa"], Denied, "writes the project's files"),
        (["check", "--config", "lint.select=['ALL']"], Denied, "only the project's own configuration"),
        (["format", "--diff", "--config=/tmp/evil.toml"], Denied, "only the project's own configuration"),
        (["check", "--cache-dir", "/tmp/c"], Denied, "without a cache"),
        (["check", "-o", "report.txt"], Denied, "writes a file"),
        (["check", "--output-file=report.txt"], Denied, "writes a file"),
        (["check", "--watch"], Denied, "runs until stopped"),
        (["check", "--stdin-filename", "x.py"], Denied, "not stdin"),
        (["check", "--isolated"], Denied, "acc decides"),
        (["check", "../other-project"], Denied, "outside the project"),
        (["format", "--diff", "/etc"], Denied, "outside the project"),
        (["check", "@args.txt"], Denied, "not allowed"),
        (["check", "--", "x.py"], Denied, "not allowed"),
        (["check", "--extension", "txt:python"], Denied, "not allowed"),
        (["check", "--select", "--fix"], Denied, "must not be empty or start with '-'"),
        (["check", "--select", "$(id)"], Invalid, "does not take"),
        (["check", "--output-format", "html"], Invalid, "takes one of"),
        (["check", "--line-length"], Invalid, "needs a value"),
        (["server"], Denied, "only as ruff check"),
        (["clean"], Denied, "only as ruff check"),
        (["version", "--verbose"], Denied, "takes no arguments"),
        ([], Denied, "only as ruff check"),
    ],
)
def test_ruff_arguments_acc_refuses(project: Path, args: list[str], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        check_ruff_args(args, project)


def test_a_link_out_of_the_project_is_not_a_ruff_path(project: Path, tmp_path: Path) -> None:
    (project / "elsewhere").symlink_to(tmp_path)
    with pytest.raises(Denied, match="outside the project"):
        check_ruff_args(["check", "elsewhere"], project)


# --- ruff: running -------------------------------------------------------------------------------


@needs_ruff
def test_plain_ruff_writes_the_project_and_acc_ruff_reports_the_same_changes_without_writing(
    project: Path, tmp_path: Path
) -> None:
    plain_copy = Path(shutil.copytree(project, tmp_path / "plain"))
    subprocess.run([str(RUFF), "format", "."], cwd=plain_copy, check=True, capture_output=True)
    subprocess.run([str(RUFF), "check", "--select", "F401", "."], cwd=plain_copy, capture_output=True)
    assert (plain_copy / ".ruff_cache").exists(), "plain ruff writes a cache into the project"
    assert (plain_copy / "calc" / "ops.py").read_text() != UNFORMATTED, "plain ruff format rewrites files"

    before = files_in(project)
    formatted = run_program(scope_for(project, "ruff"), "ruff", ["format", "--diff"], b"")
    assert formatted.status == 1
    assert formatted.stdout.decode().startswith("--- calc/ops.py\n+++ calc/ops.py\n")
    assert '+x = {"a": 1}' in formatted.stdout.decode()
    fixed = run_program(scope_for(project, "ruff"), "ruff", ["check", "--fix", "--diff", "--select", "F401"], b"")
    assert "-import os\n" in fixed.stdout.decode() and "Would fix 1 error" in fixed.stdout.decode()
    linted = run_program(scope_for(project, "ruff"), "ruff", ["check", "--output-format=json", "--select=F"], b"")
    assert [item["code"] for item in json.loads(linted.stdout)] == ["F401"]
    assert files_in(project) == before, "nothing written, no .ruff_cache"
    assert not (project / ".ruff_cache").exists()


@needs_ruff
def test_ruff_configuration_above_the_project_is_not_used_but_the_projects_own_is(project: Path) -> None:
    (project.parent / "ruff.toml").write_text("line-length = 20\n")
    long_call = "result = total([1, 2, 3, 4, 5, 6, 7, 8])\n"
    (project / "calc" / "long.py").write_text("from calc.ops import total\n\n" + long_call)
    plain = subprocess.run(
        [str(RUFF), "format", "--diff", "--no-cache", "calc/long.py"], cwd=project, capture_output=True
    )
    assert plain.returncode == 1, "plain ruff walks up and uses line-length = 20"
    assert check_ruff_args(["format", "--diff"], project)[:3] == ["format", "--no-cache", "--isolated"]
    acc = run_program(scope_for(project, "ruff"), "ruff", ["format", "--diff", "calc/long.py"], b"")
    assert acc.status == 0 and acc.stdout == b""

    (project / "ruff.toml").write_text("line-length = 20\n")
    assert "--isolated" not in check_ruff_args(["format", "--diff"], project)
    own = run_program(scope_for(project, "ruff"), "ruff", ["format", "--diff", "calc/long.py"], b"")
    assert own.status == 1, "the project's own configuration applies"


def test_a_manifest_may_narrow_ruff_to_some_subcommands() -> None:
    from host.capabilities.process import profiles_for

    narrowed = profiles_for(ProcessCapability("r", programs=("ruff",), subcommands=(("ruff", ("format",)),)))
    with pytest.raises(Denied, match="runs ruff only for format"):
        narrowed["ruff"].check_args(["check"], Path("/"))
    with pytest.raises(ValueError, match="does not run ruff server"):
        profiles_for(ProcessCapability("r", programs=("ruff",), subcommands=(("ruff", ("server",)),)))


# --- cprofile ------------------------------------------------------------------------------------


def test_cprofile_runs_acc_script_around_checked_pytest_arguments_or_a_project_module(project: Path) -> None:
    test_args = check_cprofile_args(["test", "-q", "tests/test_ops.py"], project)
    assert test_args[0] == "test" and test_args[-2:] == ["-q", "tests/test_ops.py"]
    assert f"--rootdir={project}" in test_args and "no:cacheprovider" in test_args
    assert check_cprofile_args(["module", "calc", "10", "--flag"], project) == ["module", "calc", "10", "--flag"]
    assert check_cprofile_args(["module", "calc.ops"], project) == ["module", "calc.ops"]


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (["module", "http.server"], Denied, "not in the project"),
        (["module", "json.tool"], Denied, "not in the project"),
        (["module", "calc.missing"], Denied, "not in the project"),
        (["module", "../calc"], Invalid, "not a module name"),
        (["module", "-c"], Invalid, "not a module name"),
        (["module"], Invalid, "needs the name"),
        (["test", "-p", "evil_plugin"], Denied, "may only disable"),
        (["test", "../outside/test_x.py"], Denied, "outside the project"),
        (["-c", "print(1)"], Denied, "only as `test"),
        (["run", "x"], Denied, "only as `test"),
        ([], Denied, "only as `test"),
    ],
)
def test_cprofile_refuses_code_of_the_plugins_choosing(
    project: Path, args: list[str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        check_cprofile_args(args, project)


def test_a_module_reached_through_a_link_out_of_the_project_is_refused(project: Path, tmp_path: Path) -> None:
    (tmp_path / "evil.py").write_text("print('outside')\n")
    (project / "evil.py").symlink_to(tmp_path / "evil.py")
    with pytest.raises(Denied, match="not in the project"):
        check_cprofile_args(["module", "evil"], project)


def test_cprofile_profiles_a_module_with_its_arguments_and_exit_status(project: Path) -> None:
    before = files_in(project)
    ran = run_program(scope_for(project, "cprofile"), "cprofile", ["module", "calc", "100000", "3"], b"")
    assert ran.status == 3
    assert ran.stderr.strip() == b"4999950000", "the module's output comes back as stderr"
    profile = json.loads(ran.stdout)
    assert profile["status"] == 3 and profile["total_time"] > 0
    ours = [f for f in profile["functions"] if f["in_project"]]
    assert {(f["file"], f["function"]) for f in ours} >= {("calc/ops.py", "total"), ("calc/__main__.py", "<module>")}
    assert all(not f["file"].startswith("/") for f in ours)
    cumulative = [f["cumulative_time"] for f in profile["functions"]]
    assert cumulative == sorted(cumulative, reverse=True)
    assert files_in(project) == before, "no __pycache__, nothing written"


def test_cprofile_profiles_the_projects_tests(project: Path) -> None:
    ran = run_program(scope_for(project, "cprofile"), "cprofile", ["test", *FAST, "tests/test_ops.py"], b"")
    assert ran.status == 0, ran.stderr
    assert b"1 passed" in ran.stderr
    profile = json.loads(ran.stdout)
    names = {(f["file"], f["function"]) for f in profile["functions"] if f["in_project"]}
    assert ("tests/test_ops.py", "test_total") in names and ("calc/ops.py", "total") in names


def test_the_consent_prompt_says_what_ruff_and_cprofile_may_do() -> None:
    ruff = warnings_for(ProcessCapability("r", programs=("ruff",)))
    assert ruff == (
        "ruff: reads the project's Python files and ruff configuration; acc lets it report changes, never write them",
    )
    (cprofile,) = warnings_for(ProcessCapability("r", programs=("cprofile",)))
    assert "runs the project's code" in cprofile and "arguments the plugin chooses" in cprofile
