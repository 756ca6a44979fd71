"""The format and profile plugins in their sandboxes: the built components in the real host on a
real project. format applies ruff's diff through the files component (the plugins
capability, files under its own grant); profile runs the host's cprofile program."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from host.errors import PluginFailed
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from tests.helpers import TEST_CACHE, install_unsigned
from tests.official.plugin_kit import make_project, snapshot

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("ruff", path=f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin") is None,
        reason="ruff is not installed",
    ),
]

MESSY = "import os\nfrom calc.ops import add\nx = {  'a':1 }\n\n\ndef double(v):\n    return add(v,v)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "calc-project")
    (root / "calc" / "messy.py").write_text(MESSY)
    (root / "calc" / "__main__.py").write_text(
        "import sys\nfrom calc.ops import total\n\nprint(total(range(int(sys.argv[1]))))\n"
    )
    return root


def home_with(
    tmp_path: Path, built: Callable[[str], Path], *plugins: tuple[str, tuple[str, ...]], deny: tuple[str, ...] = ()
) -> HostPaths:
    paths = HostPaths(home=tmp_path / "home", cache=TEST_CACHE)
    for name, grants in plugins:
        install_unsigned(paths, built(name), grant=grants, deny=deny if name == "format" else ())
    return paths


def test_format_reports_then_applies_through_the_files_plugin(
    project: Path, tmp_path: Path, built_archives: Callable[[str], Path]
) -> None:
    paths = home_with(tmp_path, built_archives, ("files", ("fs",)), ("format", ("process", "plugins", "fs")))
    with PluginHost(paths, RunOptions(project_dir=project)) as host:
        before = snapshot(project)
        reported = host.run("format", "format", {})
        assert reported["files"] == [{"path": "calc/messy.py", "additions": 3, "deletions": 2}]
        assert reported["passed"] is False and snapshot(project) == before
        linted = host.run("format", "lint", {"select": ["F401"]})
        assert [(f["path"], f["code"]) for f in linted["findings"]] == [("calc/messy.py", "F401")]
        fixed = host.run("format", "fix", {"select": ["F401"], "apply": True})
        assert fixed["applied"] is True and fixed["applied_files"][0]["path"] == "calc/messy.py"
        formatted = host.run("format", "format", {"apply": True})
        assert formatted["passed"] is True
    assert (project / "calc" / "messy.py").read_text() == (
        'from calc.ops import add\n\nx = {"a": 1}\n\n\ndef double(v):\n    return add(v, v)\n'
    )


def test_format_cannot_apply_without_the_plugins_grant_and_changes_nothing(
    project: Path, tmp_path: Path, built_archives: Callable[[str], Path]
) -> None:
    paths = home_with(tmp_path, built_archives, ("files", ("fs",)), ("format", ("process", "fs")), deny=("plugins",))
    before = snapshot(project)
    with PluginHost(paths, RunOptions(project_dir=project)) as host, pytest.raises(PluginFailed) as refused:
        host.run("format", "format", {"apply": True})
    assert refused.value.kind == "denied" and "needs the files plugin" in refused.value.detail
    assert snapshot(project) == before


def test_profile_runs_a_module_and_the_tests_under_cprofile(
    project: Path, tmp_path: Path, built_archives: Callable[[str], Path]
) -> None:
    paths = home_with(tmp_path, built_archives, ("profile", ("process",)))
    with PluginHost(paths, RunOptions(project_dir=project)) as host:
        module = host.run("profile", "module", {"module": "calc", "args": ["1000"], "top": 3})
        assert module["output"] == "499500"
        assert [f["function"] for f in module["functions"]] == ["<module>", "total", "add"]
        tests = host.run("profile", "test", {"paths": ["tests/test_ops.py"]})
        assert tests["exit_status"] == 0 and "3 passed" in tests["output"]
        assert any(f["function"] == "test_total" for f in tests["functions"])
        with pytest.raises(PluginFailed) as refused:
            host.run("profile", "module", {"module": "json.tool"})
        assert refused.value.kind == "denied" and "not in the project" in refused.value.detail
