"""The official docs plugin, built with componentize-py and run in the real host.

One test per command, plus what only the sandbox decides: a link out of the project, a
read-only or missing fs grant, the changelog's call into the git component through the
`plugins` capability (denied, not installed, or git not allowed to run git). The rest is
tested on CPython (test_docs.py); what is planted and expected is in docs_kit.py.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from host.errors import PluginFailed
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from sdk.archive import archive_bytes, read_archive
from tests.helpers import TEST_CACHE, install_unsigned
from tests.official.docs_kit import (
    EXPECTED_README,
    README,
    SHAPES,
    SHAPES_MARKDOWN,
    line_of,
    make_history_repo,
    plain_git,
    short_hashes,
    write_files,
)

pytestmark = pytest.mark.slow

Archives = Callable[[str], Path]


def install(tmp_path_factory: pytest.TempPathFactory, archives: list[Path], **grants: Any) -> HostPaths:
    paths = HostPaths(home=tmp_path_factory.mktemp("acc-home"), cache=TEST_CACHE)
    for archive in archives:
        install_unsigned(paths, archive, **grants.get(archive.name.split("-")[0], {"yes": True}))
    return paths


def run(paths: HostPaths, project: Path, command: str, value: dict[str, Any]) -> Any:
    with PluginHost(paths, RunOptions(project_dir=project)) as host:
        return host.run("docs", command, value)


def run_failing(paths: HostPaths, project: Path, command: str, value: dict[str, Any]) -> PluginFailed:
    with pytest.raises(PluginFailed) as failure:
        run(paths, project, command, value)
    return failure.value


@pytest.fixture(scope="module")
def docs_home(tmp_path_factory: pytest.TempPathFactory, built_archives: Archives) -> HostPaths:
    """docs alone, with everything it asks for (fs read-write, plugins)."""
    return install(tmp_path_factory, [built_archives("docs")])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_files(tmp_path / "project", {"shapes.py": SHAPES, "README.md": README})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with conventional and plain commits, a tag, and a merged side branch."""
    if shutil.which("git") is None:
        pytest.skip("needs the git binary")
    return make_history_repo(tmp_path)


@pytest.fixture(scope="module")
def full_home(tmp_path_factory: pytest.TempPathFactory, built_archives: Archives) -> HostPaths:
    """docs and git, each with everything it asks for."""
    return install(tmp_path_factory, [built_archives("docs"), built_archives("git")])


# --- api ---------------------------------------------------------------------------------------


def test_api_renders_a_small_module_as_markdown_exactly(docs_home: HostPaths, project: Path) -> None:
    result = run(docs_home, project, "api", {"path": "shapes.py"})
    assert result["markdown"] == SHAPES_MARKDOWN
    assert result["errors"] == [] and result["files"] == 1 and result["truncated"] is False


# --- coverage ----------------------------------------------------------------------------------


def test_coverage_counts_public_definitions_and_names_the_missing_ones(docs_home: HostPaths, project: Path) -> None:
    write_files(project, {"undocumented.py": "class Bare:\n    def method(self): pass\n"})
    result = run(docs_home, project, "coverage", {})
    assert result["modules"] == [
        {
            "module": "shapes",
            "path": "shapes.py",
            "total": 7,
            "documented": 5,
            "percent": 71.4,
            "missing": [
                {"name": "Circle.unit", "kind": "staticmethod", "line": line_of(SHAPES, "def unit")},
                {"name": "describe", "kind": "function", "line": line_of(SHAPES, "def describe")},
            ],
        },
        {
            "module": "undocumented",
            "path": "undocumented.py",
            "total": 3,
            "documented": 0,
            "percent": 0.0,
            "missing": [
                {"name": "undocumented", "kind": "module", "line": 1},
                {"name": "Bare", "kind": "class", "line": 1},
                {"name": "Bare.method", "kind": "method", "line": 2},
            ],
        },
    ]
    assert (result["total"], result["documented"], result["percent"]) == (10, 5, 50.0)
    assert (result["threshold"], result["passed"]) == (None, None)
    assert result["markdown"] == (
        "Docstring coverage: **50.0%** (5 of 10 public definitions documented).\n"
        "\n"
        "| module | documented | total | coverage |\n"
        "|---|---:|---:|---:|\n"
        "| `shapes` | 5 | 7 | 71.4% |\n"
        "| `undocumented` | 0 | 3 | 0.0% |\n"
        "\n"
        "Missing docstrings:\n"
        "\n"
        f"- `shapes.Circle.unit` (staticmethod, shapes.py:{line_of(SHAPES, 'def unit')})\n"
        f"- `shapes.describe` (function, shapes.py:{line_of(SHAPES, 'def describe')})\n"
        "- `undocumented` (module, undocumented.py:1)\n"
        "- `undocumented.Bare` (class, undocumented.py:1)\n"
        "- `undocumented.Bare.method` (method, undocumented.py:2)\n"
    )


# --- paths -------------------------------------------------------------------------------------


def test_a_symlink_to_a_file_outside_the_project_is_not_read(
    docs_home: HostPaths, project: Path, tmp_path: Path
) -> None:
    secret = write_files(tmp_path / "elsewhere", {"secret.py": '"""TOP SECRET"""\n'}) / "secret.py"
    os.symlink(secret, project / "leak.py")
    result = run(docs_home, project, "api", {})
    assert [e["path"] for e in result["errors"]] == ["leak.py"]
    assert "TOP SECRET" not in str(result)


# --- readme-section ----------------------------------------------------------------------------


def test_readme_section_writes_only_its_section_and_a_second_run_changes_nothing(
    docs_home: HostPaths, project: Path
) -> None:
    result = run(docs_home, project, "readme-section", {"section": "api", "write": True})
    assert (result["changed"], result["written"], result["reason"]) == (True, True, None)
    assert (project / "README.md").read_text() == EXPECTED_README
    assert sorted(p.name for p in project.iterdir()) == ["README.md", "shapes.py"]  # no temporary file left
    again = run(docs_home, project, "readme-section", {"section": "api", "write": True})
    assert (again["changed"], again["written"]) == (False, False)
    assert again["reason"] == "the section is already up to date; nothing to write"


def test_readme_section_with_a_read_only_fs_grant_returns_the_text_and_writes_nothing(
    tmp_path_factory: pytest.TempPathFactory, built_archives: Archives, project: Path, tmp_path: Path
) -> None:
    # The same component with a manifest asking for read access only: fs is not an import,
    # so the wasm is unchanged, and the host mounts the project read-only.
    real = read_archive(built_archives("docs"))
    assert 'access = "read-write"' in real.manifest_text
    read_only = tmp_path / "docs-1.0.0.plugin"
    read_only.write_bytes(
        archive_bytes(real.manifest_text.replace('access = "read-write"', 'access = "read"'), real.wasm, real.readme)
    )
    home = install(tmp_path_factory, [read_only])
    result = run(home, project, "readme-section", {"section": "api", "write": True})
    assert (result["changed"], result["written"]) == (True, False)
    assert result["reason"].startswith("not written: docs may only read this project (its fs grant is read-only)")
    assert result["text"] == EXPECTED_README
    assert (project / "README.md").read_text() == README
    assert sorted(p.name for p in project.iterdir()) == ["README.md", "shapes.py"]


def test_without_the_fs_grant_reading_commands_are_denied(
    tmp_path_factory: pytest.TempPathFactory, built_archives: Archives, project: Path
) -> None:
    home = install(tmp_path_factory, [built_archives("docs")], docs={"deny": ("fs",), "grant": ("plugins",)})
    failure = run_failing(home, project, "api", {})
    assert failure.kind == "denied"
    assert "acc plugin grant docs fs" in failure.detail


# --- changelog ---------------------------------------------------------------------------------


def test_changelog_groups_conventional_and_plain_commits_since_a_tag(full_home: HostPaths, repo: Path) -> None:
    result = run(full_home, repo, "changelog", {"since": "v0.1"})
    h = short_hashes(repo)
    assert (result["since"], result["commits"], result["skipped_merges"], result["truncated"]) == ("v0.1", 9, 1, False)
    assert [(g["type"], g["title"], [c["subject"] for c in g["commits"]]) for g in result["groups"]] == [
        ("feat", "Features", ["feat: side feature", "feat(parser): accept tabs"]),
        ("fix", "Bug fixes", ["fix: crash on empty input"]),
        ("docs", "Documentation", ["Update README for the new flags", "docs: explain sections"]),
        ("refactor", "Refactoring", ["refactor!: rename the Shape API"]),
        ("perf", "Performance", ["perf: cache parsed modules"]),
        ("test", "Tests", ["test: cover the parser"]),
        ("other", "Other changes", ["Tidy things"]),
    ]
    tabs = result["groups"][0]["commits"][1]
    full_hash = plain_git(repo, "rev-parse", h["feat(parser): accept tabs"]).strip()
    assert tabs == {
        "hash": full_hash,
        "short_hash": h["feat(parser): accept tabs"],
        "type": "feat",
        "scope": "parser",
        "description": "accept tabs",
        "subject": "feat(parser): accept tabs",
        "breaking": False,
        "breaking_note": None,
        "author": "Ada Lovelace",
        "date": "2023-11-14T22:14:20+00:00",
    }
    assert [(c["description"], c["breaking_note"]) for c in result["breaking"]] == [
        ("rename the Shape API", "Shape is now Figure")
    ]
    assert result["markdown"] == (
        "## Changes since `v0.1`\n\n"
        f"### Breaking changes\n\n- Shape is now Figure (`{h['refactor!: rename the Shape API']}`)\n\n"
        f"### Features\n\n- side feature (`{h['feat: side feature']}`)\n"
        f"- **parser:** accept tabs (`{h['feat(parser): accept tabs']}`)\n\n"
        f"### Bug fixes\n\n- crash on empty input (`{h['fix: crash on empty input']}`)\n\n"
        f"### Documentation\n\n- Update README for the new flags (`{h['Update README for the new flags']}`)\n"
        f"- explain sections (`{h['docs: explain sections']}`)\n\n"
        f"### Refactoring\n\n- rename the Shape API (`{h['refactor!: rename the Shape API']}`)\n\n"
        f"### Performance\n\n- cache parsed modules (`{h['perf: cache parsed modules']}`)\n\n"
        f"### Tests\n\n- cover the parser (`{h['test: cover the parser']}`)\n\n"
        f"### Other changes\n\n- Tidy things (`{h['Tidy things']}`)\n"
    )


def test_changelog_without_the_plugins_grant_is_denied_with_the_grant_command(
    tmp_path_factory: pytest.TempPathFactory, built_archives: Archives, repo: Path
) -> None:
    home = install(
        tmp_path_factory, [built_archives("docs"), built_archives("git")], docs={"grant": ("fs",), "deny": ("plugins",)}
    )
    failure = run_failing(home, repo, "changelog", {})
    assert failure.kind == "denied"
    assert "changelog needs the history from the git plugin: " in failure.detail
    assert "acc plugin grant docs plugins" in failure.detail
    assert run(home, repo, "api", {})["modules"] == []  # the rest of docs still works


def test_changelog_without_the_git_plugin_installed_says_to_install_it(docs_home: HostPaths, repo: Path) -> None:
    failure = run_failing(docs_home, repo, "changelog", {})
    assert failure.kind == "failed"
    assert "changelog needs the history from the git plugin: " in failure.detail
    assert "plugin 'git' is not installed" in failure.detail
    assert "acc plugin install" in failure.detail


def test_changelog_when_git_may_not_run_git_is_denied_with_gits_grant_command(
    tmp_path_factory: pytest.TempPathFactory, built_archives: Archives, repo: Path
) -> None:
    home = install(tmp_path_factory, [built_archives("docs"), built_archives("git")], git={"deny": ("process",)})
    failure = run_failing(home, repo, "changelog", {})
    assert failure.kind == "denied"
    assert "changelog needs the history from the git plugin: git log: " in failure.detail
    assert "acc plugin grant git process" in failure.detail
