"""acc refuses to run plugins on a project that holds its own state, or lies inside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from host.errors import ProjectRefused
from host.paths import HostPaths
from host.project_guard import check_project
from host.runner import PluginHost, RunOptions


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return tmp_path.resolve()


@pytest.mark.parametrize(
    ("home", "cache", "project", "what"),
    [
        ("repo/.acc-demo/home", "repo/.acc-demo/home/cache", "repo", "ACC_HOME"),
        ("home", "repo/.cache/acc", "repo", "cache"),
        ("home", "cache", "home/plugins/x", "ACC_HOME"),
        ("home", "cache", "cache/compiled", "compiled component cache"),
        ("home", "cache", "home", "ACC_HOME"),
    ],
    ids=["project holds ACC_HOME", "project holds the cache", "project inside ACC_HOME", "project inside the cache",
         "project is ACC_HOME"],
)  # fmt: skip
def test_a_project_that_holds_or_lies_inside_accs_state_is_refused_with_a_hint(
    base: Path, home: str, cache: str, project: str, what: str
) -> None:
    paths = HostPaths(home=base / home, cache=base / cache)
    (base / project).mkdir(parents=True)
    with pytest.raises(ProjectRefused) as refused:
        PluginHost(paths, RunOptions(project_dir=base / project))
    assert what in refused.value.message
    assert refused.value.hint is not None and "ACC_HOME" in refused.value.hint


def test_a_symlink_does_not_hide_the_overlap(base: Path) -> None:
    paths = HostPaths(home=base / "repo" / "state", cache=base / "cache")
    (base / "repo").mkdir()
    (base / "link").symlink_to(base / "repo")
    with pytest.raises(ProjectRefused, match="contains ACC_HOME"):
        check_project(base / "link", paths)


def test_a_project_beside_accs_state_is_fine(base: Path) -> None:
    paths = HostPaths(home=base / "acc-home", cache=base / "acc-cache")
    (base / "project").mkdir()
    (base / "acc-home-2").mkdir()  # a name that merely starts the same is not inside
    check_project(base / "project", paths)
    check_project(base / "acc-home-2", paths)
    with PluginHost(paths, RunOptions(project_dir=base / "project")):
        pass
