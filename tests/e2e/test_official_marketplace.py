"""The official plugins as a user gets them: `acc registry seed` publishes them into a fresh
marketplace (all ten), a user adds it with the pinned root, installs five of them by name
through TUF, and runs a command of each on a real project."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import TEST_CACHE
from tests.server_kit import acc, running_registry

pytestmark = pytest.mark.slow
OFFICIAL = ("git", "testing", "docs", "code-quality", "files")


def git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@dataclass
class Installed:
    env: dict[str, str]
    project: Path

    def run(self, plugin: str, command: str, payload: dict[str, object]) -> dict[str, object]:
        proc = acc(
            "plugin",
            "run",
            plugin,
            command,
            "--input",
            json.dumps(payload),
            "--project",
            str(self.project),
            "--quiet",
            env=self.env,
            cwd=self.project,
        )
        result = json.loads(proc.stdout)
        assert isinstance(result, dict)
        return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    work = tmp_path_factory.mktemp("official")
    operator = {
        **os.environ,
        "ACC_HOME": str(work / "operator"),
        "ACC_CACHE_DIR": str(TEST_CACHE),
        "REGISTRY_COMPILE_CACHE_DIR": str(TEST_CACHE / "compiled"),
    }
    data = work / "registry-data"
    acc("registry", "init", "--data", str(data), env=operator, cwd=work)
    seeded = acc("registry", "seed", "--data", str(data), env=operator, cwd=work)
    assert "10 official plugins" in seeded.stdout

    project = work / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg" / "__init__.py").write_text('"""A package."""\n')
    (project / "pkg" / "calc.py").write_text(
        '"""Arithmetic."""\n\n\ndef add(a, b):\n    """Add."""\n    return a + b\n\n\n'
        "def sign(x):\n    if x > 0:\n        return 1\n    elif x < 0:\n        return -1\n    return 0\n"
    )
    git("init", "-q", "-b", "main", cwd=project)
    git("add", ".", cwd=project)
    git("commit", "-q", "-m", "feat: add calc", cwd=project)
    (project / "notes.txt").write_text("untracked\n")

    user = {**os.environ, "ACC_HOME": str(work / "user"), "ACC_CACHE_DIR": str(TEST_CACHE)}
    with running_registry(data) as url:
        with urllib.request.urlopen(f"{url}/tuf/metadata/1.root.json") as response:
            root_sha256 = hashlib.sha256(response.read()).hexdigest()
        acc("marketplace", "add", url, "--name", "local", "--root-sha256", root_sha256, env=user, cwd=work)
        for name in OFFICIAL:
            acc("plugin", "install", name, "--yes", env=user, cwd=work)
    yield Installed(env=user, project=project)


def test_the_official_plugins_install_from_the_seeded_marketplace(installed: Installed) -> None:
    listed = json.loads(acc("plugin", "list", "--json", env=installed.env, cwd=installed.project).stdout)
    assert sorted(p["name"] for p in listed) == sorted(OFFICIAL)
    assert {p.get("marketplace") for p in listed} == {"local"}


def test_git_status_reports_the_branch_and_the_untracked_file(installed: Installed) -> None:
    status = installed.run("git", "status", {})
    assert status["branch"] == "main"
    assert status["untracked"] == ["notes.txt"]


def test_code_quality_measures_complexity(installed: Installed) -> None:
    result = installed.run("code-quality", "complexity", {"path": "pkg"})
    by_name = {f["name"]: f["complexity"] for f in result["functions"]}  # type: ignore[union-attr,index]
    assert by_name == {"add": 1, "sign": 3}


def test_docs_reports_docstring_coverage(installed: Installed) -> None:
    result = installed.run("docs", "coverage", {"path": "pkg"})
    assert result["documented"] == 3 and result["total"] == 4  # modules pkg, pkg.calc; add documented, sign not


def test_docs_changelog_reads_history_through_the_git_plugin(installed: Installed) -> None:
    acc("plugin", "grant", "docs", "plugins", env=installed.env, cwd=installed.project)
    result = installed.run("docs", "changelog", {})
    assert "add calc" in str(result["markdown"])


def test_testing_returns_skeletons_for_untested_functions(installed: Installed) -> None:
    result = installed.run("testing", "skeletons", {})
    assert "def test_add" in str(result) and "def test_sign" in str(result)


def test_files_reads_a_numbered_line_range(installed: Installed) -> None:
    result = installed.run("files", "read", {"path": "pkg/calc.py", "offset": 4, "limit": 1})
    assert result["content"] == "     4\tdef add(a, b):\n"
