"""docs: coverage leaves test modules out unless asked, and docs declares the git plugin it calls.

The rest of the docs plugin is tested in test_docs.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from registry.seed import official_sources
from sdk.manifest import load_manifest
from tests.helpers import PLUGIN_SOURCES, TEST_CACHE, install_unsigned
from tests.official.plugin_kit import make_project, use_plugin_sources

use_plugin_sources("docs")

from docs_core.coverage import is_test_file  # noqa: E402


@pytest.mark.parametrize(
    ("path", "test"),
    [
        ("tests/test_ops.py", True),
        ("test_ops.py", True),
        ("calc/ops_test.py", True),
        ("conftest.py", True),
        ("pkg/tests/helpers.py", True),
        ("pkg/test/data.py", True),
        ("calc/ops.py", False),
        ("calc/testing.py", False),
        ("contest.py", False),
        ("attest/x.py", False),
    ],
)
def test_test_modules_are_known_by_pytests_conventions(path: str, test: bool) -> None:
    assert is_test_file(path) is test


@pytest.mark.slow
def test_coverage_does_not_count_test_functions_unless_asked(
    tmp_path: Path, built_archives: Callable[[str], Path]
) -> None:
    project = make_project(tmp_path / "calc-project", with_git=False)
    (project / "tests" / "conftest.py").write_text(
        "import pytest\n\n\n@pytest.fixture\ndef numbers():\n    return [1]\n"
    )
    paths = HostPaths(home=tmp_path / "home", cache=TEST_CACHE)
    install_unsigned(paths, built_archives("docs"), grant=("fs",), deny=("plugins",))
    with PluginHost(paths, RunOptions(project_dir=project)) as host:
        default = host.run("docs", "coverage", {"threshold": 100})
        everything = host.run("docs", "coverage", {"threshold": 100, "include_tests": True})
    assert [m["path"] for m in default["modules"]] == ["calc/__init__.py", "calc/ops.py"]
    assert (default["percent"], default["passed"]) == (100.0, True)
    assert {m["path"] for m in everything["modules"]} >= {"tests/test_ops.py", "tests/conftest.py"}
    missing = {d["name"] for m in everything["modules"] for d in m["missing"]}
    assert {"test_add", "numbers"} <= missing
    assert everything["passed"] is False


def test_docs_declares_the_git_plugin_it_calls_as_a_dependency() -> None:
    docs = load_manifest((PLUGIN_SOURCES["docs"] / "plugin.toml").read_text())
    git = load_manifest((PLUGIN_SOURCES["git"] / "plugin.toml").read_text())
    assert set(docs.dependencies) == set(docs.capabilities["plugins"].plugins) == {"git"}  # type: ignore[attr-defined]
    assert docs.dependencies["git"].contains(git.version)
    order = [path.name for path in official_sources()]
    assert order.index("git") < order.index("docs")
