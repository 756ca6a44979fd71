"""Plugins that depend on plugins, against a real registry server: install pulls in what a
plugin needs (dependencies first), conflicts and cycles are refused in words with nothing
stored, updates move a dependency only when its dependents allow it, and the lock file
reproduces the set in order.

The plugins they need (dep-base, dep-middle, dep-top, dep-needy, ring-one, ring-two) are
published on the session's marketplace (tests/e2e/conftest.py lists what each needs).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.server_kit import Marketplace, acc

pytestmark = pytest.mark.slow


@dataclass
class User:
    env: dict[str, str]
    cwd: Path
    home: Path

    def acc(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        return acc(*args, env=self.env, cwd=self.cwd, ok=ok)

    def installed(self) -> dict[str, str]:
        return {p["name"]: p["version"] for p in json.loads(self.acc("plugin", "list", "--json").stdout)}

    def installed_lines(self, result: subprocess.CompletedProcess[str]) -> list[str]:
        return [line for line in result.stdout.splitlines() if line.startswith(("installed ", "updated "))]


def _user(tmp_path: Path, marketplace: Marketplace, name: str = "user") -> User:
    project = tmp_path / f"{name}-project"
    project.mkdir()
    (project / "a.py").write_text("x = 1\ny = 2\n")
    user = User(
        env={**marketplace.env, "ACC_HOME": str(tmp_path / f"{name}-home")}, cwd=project, home=tmp_path / f"{name}-home"
    )
    user.acc("marketplace", "add", marketplace.url, "--name", "local", "--root-sha256", marketplace.root_sha256)
    return user


@pytest.fixture
def user(tmp_path: Path, marketplace: Marketplace) -> User:
    return _user(tmp_path, marketplace)


def test_install_pulls_in_dependencies_first_and_says_who_needs_them(user: User) -> None:
    result = user.acc("plugin", "install", "dep-top", "--yes")
    assert user.installed_lines(result) == [
        "installed dep-base 1.0.0 from local (needed by dep-middle 1.0.0)",
        "installed dep-middle 1.0.0 from local (needed by dep-top 1.0.0)",
        "installed dep-top 1.0.0 from local",
    ]
    assert user.installed() == {"dep-base": "1.0.0", "dep-middle": "1.0.0", "dep-top": "1.0.0"}
    summary = json.loads(user.acc("plugin", "run", "dep-base", "summary", "-q").stdout)
    assert (summary["files"], summary["lines"]) == (1, 2)


def test_an_installed_dependency_that_fits_is_kept(user: User) -> None:
    user.acc("plugin", "install", "dep-base==1.0.0", "--yes")
    result = user.acc("plugin", "install", "dep-middle==1.0.0", "--yes")
    assert user.installed_lines(result) == ["installed dep-middle 1.0.0 from local"]
    assert user.installed() == {"dep-base": "1.0.0", "dep-middle": "1.0.0"}


def test_a_dependency_no_version_satisfies_is_refused_and_nothing_is_stored(user: User) -> None:
    refused = user.acc("plugin", "install", "dep-needy", "--yes", ok=False)
    assert refused.stderr.startswith(
        "error: dep-needy 1.0.0 needs dep-base>=3, and no published version of dep-base "
        "satisfies it (published: 1.0.0, 2.0.0)"
    ), refused.stderr
    assert user.installed() == {}


def test_a_dependency_cycle_is_refused_with_its_path_and_nothing_is_stored(user: User) -> None:
    refused = user.acc("plugin", "install", "ring-one", "--yes", ok=False)
    assert refused.stderr.startswith("error: a dependency cycle: ring-one 2.0.0 → ring-two 1.0.0 → ring-one 2.0.0"), (
        refused.stderr
    )
    assert user.installed() == {}
    # The older version outside the cycle installs when asked for.
    user.acc("plugin", "install", "ring-one==1.0.0", "--yes")
    assert user.installed() == {"ring-one": "1.0.0"}


def test_without_consent_for_a_dependency_nothing_is_stored(user: User) -> None:
    refused = user.acc("plugin", "install", "dep-top", ok=False)  # no --yes, no terminal
    assert "requests the fs capability" in refused.stderr and "there is no terminal to ask" in refused.stderr
    assert user.installed() == {}
    assert not any((user.home / "downloads").iterdir())


def test_installing_a_version_an_installed_dependent_excludes_is_refused(user: User) -> None:
    user.acc("plugin", "install", "dep-middle==1.0.0", "--yes")
    refused = user.acc("plugin", "install", "dep-base>=2", "--yes", ok=False)
    assert refused.stderr.startswith(
        "error: cannot install dep-base>=2: dep-middle 1.0.0 (installed) needs "
        "dep-base<2; you need dep-base>=2, and no published version of dep-base "
        "satisfies all of that"
    ), refused.stderr
    assert "update or remove dep-middle 1.0.0 (installed) first" in refused.stderr
    assert user.installed() == {"dep-base": "1.0.0", "dep-middle": "1.0.0"}


def test_a_plugin_others_depend_on_is_removed_only_with_force(user: User) -> None:
    user.acc("plugin", "install", "dep-middle==1.0.0", "--yes")
    refused = user.acc("plugin", "remove", "dep-base", ok=False)
    assert refused.stderr.startswith("error: dep-middle 1.0.0 depends on dep-base: not removed"), refused.stderr
    assert user.installed() == {"dep-base": "1.0.0", "dep-middle": "1.0.0"}
    user.acc("plugin", "remove", "dep-base", "--force")
    assert user.installed() == {"dep-middle": "1.0.0"}


def test_update_holds_a_dependency_back_for_its_dependents_and_says_why(user: User) -> None:
    user.acc("plugin", "install", "dep-top", "--yes")
    rows = {line.split()[0]: line for line in user.acc("plugin", "update", "--check").stdout.splitlines()[1:]}
    assert rows["dep-base"].split(None, 3)[1:] == [
        "1.0.0",
        "-",
        "up to date (2.0.0 is available, but dep-middle 1.0.0 needs dep-base<2)",
    ]
    assert rows["dep-middle"].split(None, 3)[1:] == [
        "1.0.0",
        "-",
        "up to date (2.0.0 is available, but dep-top 1.0.0 needs dep-middle<2)",
    ]
    user.acc("plugin", "update", "--yes")
    assert user.installed() == {"dep-base": "1.0.0", "dep-middle": "1.0.0", "dep-top": "1.0.0"}


def test_update_moves_a_dependency_when_the_new_version_needs_it(user: User) -> None:
    user.acc("plugin", "install", "dep-middle==1.0.0", "--yes")
    result = user.acc("plugin", "update", "--yes")
    assert user.installed_lines(result) == [
        "installed dep-base 2.0.0 from local (needed by dep-middle 2.0.0)",
        "updated dep-middle 1.0.0 -> 2.0.0",
    ]
    # dep-middle goes first (it depends on dep-base); dep-base is checked again once it moved.
    assert "\ndep-base 2.0.0 is up to date\n" in result.stdout, result.stdout
    assert user.installed() == {"dep-base": "2.0.0", "dep-middle": "2.0.0"}
    rolled = user.acc("plugin", "rollback", "dep-base", "--yes")
    assert rolled.stdout == "rolled back dep-base 2.0.0 -> 1.0.0\n"


def test_a_lock_reinstalls_dependencies_before_their_dependents(
    tmp_path: Path, marketplace: Marketplace, user: User
) -> None:
    user.acc("plugin", "install", "dep-top", "--yes")
    lock = tmp_path / "acc.lock"
    user.acc("plugin", "lock", "--output", str(lock))
    other = _user(tmp_path, marketplace, "other")
    result = other.acc("plugin", "install", "--locked", str(lock))
    order = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("installed ")]
    assert order.index("dep-base") < order.index("dep-middle") < order.index("dep-top"), order
    assert other.installed() == {"dep-base": "1.0.0", "dep-middle": "1.0.0", "dep-top": "1.0.0"}
