"""The format plugin's logic on CPython: the real ruff through the host's process engine and
its ruff profile, and changes applied by the files plugin's own logic, on a real project.

The sandbox (the component, the plugins capability into the files component) is in
test_format_component.py.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from host.capabilities.errors import CapabilityError
from host.capabilities.process.engine import ProcessScope, run_program
from host.capabilities.process.profiles import PROFILES
from tests.official.plugin_kit import make_project, snapshot, use_plugin_sources

use_plugin_sources("format", "files")

from acc_files import ops as files_ops  # noqa: E402
from acc_format import ops, reports  # noqa: E402
from acc_plugin import Invalid, _errors  # noqa: E402

pytestmark = pytest.mark.skipif(
    shutil.which("ruff", path=f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin") is None,
    reason="ruff is not installed",
)

MESSY = "import os\nfrom calc.ops import add\nx = {  'a':1 }\n\n\ndef double(v):\n    return add(v,v)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "calc-project")
    (root / "calc" / "messy.py").write_text(MESSY)
    return root


def runner(project: Path) -> Callable[[list[str]], Any]:
    """ruff as the plugin reaches it: the host's engine with its ruff profile."""
    scope = ProcessScope(programs=("ruff",), project_dir=project, profiles=PROFILES)

    def run(args: list[str]) -> Any:
        try:
            return run_program(scope, "ruff", args, b"")
        except CapabilityError as e:
            raise _errors._KINDS[e.kind](e.message) from None

    return run


def applier(project: Path) -> Callable[[str], dict[str, Any]]:
    """The files plugin's apply-patch, as the plugins capability would call it."""
    return lambda diff: files_ops.apply_patch(str(project), diff)


def test_format_reports_the_diff_and_writes_nothing(project: Path) -> None:
    before = snapshot(project)
    result = ops.format_code(runner(project), applier(project))
    assert result["changed"] == 1 and result["passed"] is False and result["applied"] is False
    assert result["files"] == [{"path": "calc/messy.py", "additions": 3, "deletions": 2}]
    assert '+x = {"a": 1}\n' in result["diff"] and result["errors"] == []
    assert snapshot(project) == before, "nothing written, no .ruff_cache"


def test_format_applies_through_the_files_plugin_and_then_has_nothing_left(project: Path) -> None:
    result = ops.format_code(runner(project), applier(project), apply_changes=True)
    assert result["applied"] is True and result["passed"] is True
    assert result["applied_files"] == [{"path": "calc/messy.py", "action": "modify", "additions": 3, "deletions": 2}]
    assert 'x = {"a": 1}' in (project / "calc" / "messy.py").read_text()
    again = ops.format_code(runner(project), applier(project))
    assert (again["changed"], again["diff"], again["passed"]) == (0, "", True)


def test_format_honours_paths_and_options(project: Path) -> None:
    (project / "calc" / "other.py").write_text("y=1\n")
    only = ops.format_code(runner(project), applier(project), paths=["calc/other.py"])
    assert [f["path"] for f in only["files"]] == ["calc/other.py"]
    narrow = ops.format_code(runner(project), applier(project), paths=["calc/ops.py"], line_length=20)
    assert narrow["changed"] == 1, "a 20-column limit reflows calc/ops.py"


def test_fix_reports_and_applies_safe_fixes(project: Path) -> None:
    result = ops.fix(runner(project), applier(project), select=["F401"])
    assert (result["fixes"], result["changed"], result["passed"]) == (1, 1, False)
    assert "-import os\n" in result["diff"] and "Would fix" not in result["diff"]
    applied = ops.fix(runner(project), applier(project), select=["F401"], apply_changes=True)
    assert applied["passed"] is True and "import os" not in (project / "calc" / "messy.py").read_text()


def test_lint_lists_findings_with_project_paths(project: Path) -> None:
    result = ops.lint(runner(project), str(project), select=["F", "E7"])
    assert (result["passed"], result["count"], result["by_code"]) == (False, 1, {"F401": 1})
    (finding,) = result["findings"]
    assert finding == {
        "code": "F401",
        "message": "`os` imported but unused",
        "path": "calc/messy.py",
        "line": 1,
        "column": 8,
        "end_line": 1,
        "end_column": 10,
        "fixable": True,
        "fix_safety": "safe",
        "url": "https://docs.astral.sh/ruff/rules/unused-import",
    }
    clean = ops.lint(runner(project), str(project), paths=["calc/ops.py"])
    assert clean["passed"] is True and clean["findings"] == []


def test_a_file_ruff_cannot_parse_is_reported_and_the_rest_still_formatted(project: Path) -> None:
    (project / "calc" / "broken.py").write_text("def broken(:\n    pass\n")
    result = ops.format_code(runner(project), applier(project))
    assert [e["path"] for e in result["errors"]] == ["calc/broken.py"]
    assert [f["path"] for f in result["files"]] == ["calc/messy.py"]
    assert result["passed"] is False


def test_applying_is_all_or_nothing_when_a_file_changed_since_ruff_looked(project: Path) -> None:
    def apply_after_an_edit(diff: str) -> dict[str, Any]:
        (project / "calc" / "messy.py").write_text(MESSY.replace("add(v,v)", "add(v, v) * 1"))
        return files_ops.apply_patch(str(project), diff)

    with pytest.raises(Invalid, match="does not match the file"):
        ops.format_code(runner(project), apply_after_an_edit, apply_changes=True)
    assert "add(v, v) * 1" in (project / "calc" / "messy.py").read_text(), "the newer edit was kept"


@pytest.mark.parametrize("path", ["-x", "@args", "/etc", "../other", "calc/../../other"])
def test_paths_leaving_the_project_or_looking_like_options_are_refused(project: Path, path: str) -> None:
    with pytest.raises(Invalid):
        ops.format_code(runner(project), applier(project), paths=[path])


def test_the_diff_summary_ruff_appends_is_split_off() -> None:
    diff, summary = reports.diff_and_summary("--- a.py\n+++ a.py\n@@ -1 +1 @@\n-x\n+y\n\nWould fix 2 errors.\n")
    assert diff == "--- a.py\n+++ a.py\n@@ -1 +1 @@\n-x\n+y\n" and reports.would_fix(summary) == 2
    assert reports.errors("error: Failed to parse calc/broken.py:1:12: Expected a parameter name\n") == [
        {"path": "calc/broken.py", "line": 1, "message": "Expected a parameter name"}
    ]
