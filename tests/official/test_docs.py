"""The official docs plugin's commands, run on CPython: its own Python over real files and real git.

`CPythonHost` (cpython_host.py) runs docs.py and docs_core in this process with PROJECT
pointing at the test's project; the changelog's `plugins.call` runs the git plugin's
Python the same way, against the host's git policy. test_docs_component.py runs every
command in the real component, with what only the sandbox decides (the project as WASI
shows it, read-only and missing grants, a git plugin that is not installed or may not
run git). What is planted and expected is in docs_kit.py.
"""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from host.errors import PluginFailed
from tests.helpers import PLUGIN_SOURCES
from tests.official.cpython_host import CPythonHost
from tests.official.docs_kit import (
    EXPECTED_README,
    README,
    SHAPES,
    line_of,
    make_history_repo,
    plain_git,
    write_files,
)


@dataclass(frozen=True)
class Installed:
    """The plugins a test's CPythonHost has, each with every capability it asks for."""

    plugins: tuple[str, ...]
    state: Path
    monkeypatch: pytest.MonkeyPatch


def run(home: Installed, project: Path, command: str, value: dict[str, Any]) -> Any:
    host = CPythonHost(project, home.state, home.monkeypatch, installed=home.plugins)
    try:
        return host.run("docs", command, value)
    finally:
        host.close()


def run_failing(home: Installed, project: Path, command: str, value: dict[str, Any]) -> PluginFailed:
    with pytest.raises(PluginFailed) as failure:
        run(home, project, command, value)
    return failure.value


@pytest.fixture
def docs_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Installed:
    """docs alone, with everything it asks for (fs read-write, plugins)."""
    return Installed(("docs",), tmp_path / "state", monkeypatch)


@pytest.fixture
def full_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Installed:
    """docs and git, each with everything it asks for."""
    return Installed(("docs", "git"), tmp_path / "state", monkeypatch)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_files(tmp_path / "project", {"shapes.py": SHAPES, "README.md": README})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with conventional and plain commits, a tag, and a merged side branch."""
    if shutil.which("git") is None:
        pytest.skip("needs the git binary")
    return make_history_repo(tmp_path)


# --- the manifest: commands usable as agent tools --------------------------------------------


def test_every_input_property_is_described_bounded_and_closed() -> None:
    manifest = tomllib.loads((PLUGIN_SOURCES["docs"] / "plugin.toml").read_text())
    assert sorted(c["name"] for c in manifest["commands"]) == ["api", "changelog", "coverage", "readme-section"]
    assert manifest["capabilities"]["fs"]["access"] == "read-write"
    assert manifest["capabilities"]["plugins"]["plugins"] == ["git"]
    for command in manifest["commands"]:
        schema = command["input"]
        assert schema["additionalProperties"] is False, command["name"]
        for name, prop in schema["properties"].items():
            where = f"{command['name']}.{name}"
            assert prop.get("description"), where
            assert "type" in prop, where
            if prop["type"] == "string" and "enum" not in prop:
                assert "maxLength" in prop or "pattern" in prop, where
            if prop["type"] in ("integer", "number"):
                assert "minimum" in prop and "maximum" in prop, where
            if prop["type"] == "array":
                assert "maxItems" in prop and "maxLength" in prop["items"], where


# --- api ---------------------------------------------------------------------------------------


def test_api_returns_each_member_with_kind_signature_decorators_and_line(docs_home: Installed, project: Path) -> None:
    module = run(docs_home, project, "api", {"path": "shapes.py"})["modules"][0]
    assert (module["name"], module["path"], module["docstring"]) == ("shapes", "shapes.py", "Shapes and their areas.")
    circle = module["members"][0]
    assert {k: v for k, v in circle.items() if k != "members"} == {
        "name": "Circle",
        "qualname": "Circle",
        "line": line_of(SHAPES, "class Circle"),
        "kind": "class",
        "signature": "class Circle",
        "decorators": ["@dataclass(frozen=True)"],
        "docstring": "A circle of a given radius.",
    }
    assert [(m["qualname"], m["kind"], m["line"]) for m in circle["members"]] == [
        ("Circle.__init__", "method", line_of(SHAPES, "def __init__")),
        ("Circle.area", "property", line_of(SHAPES, "def area")),
        ("Circle.unit", "staticmethod", line_of(SHAPES, "def unit")),
        ("Circle.from_diameter", "classmethod", line_of(SHAPES, "def from_diameter")),
    ]
    total_area = module["members"][1]
    assert total_area == {
        "name": "total_area",
        "qualname": "total_area",
        "line": line_of(SHAPES, "async def total_area"),
        "kind": "function",
        "signature": "async def total_area(*shapes: Circle, precision: int = 2, **options: object) -> float",
        "decorators": [],
        "docstring": "Sum the areas of `shapes`.\n\nRounded to `precision` digits.",
    }
    assert [m["name"] for m in module["members"]] == ["Circle", "total_area", "describe"]


def test_api_shows_private_and_special_names_only_when_asked(docs_home: Installed, project: Path) -> None:
    module = run(docs_home, project, "api", {"path": "shapes.py", "include_private": True})["modules"][0]
    assert [m["name"] for m in module["members"]] == ["Circle", "total_area", "describe", "_helper"]
    assert [m["name"] for m in module["members"][0]["members"]] == [
        "__init__",
        "area",
        "unit",
        "from_diameter",
        "_scale",
        "__repr__",
    ]


def test_api_names_modules_as_python_imports_them_in_a_stable_order(docs_home: Installed, tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "project",
        {
            "src/geo/__init__.py": '"""Geometry."""\n',
            "src/geo/shapes.py": "def area():\n    pass\n",
            "src/geo/io/__init__.py": "",
            "src/geo/io/read.py": "def load():\n    pass\n",
            "src/geo/_impl.py": "def hidden():\n    pass\n",
            "src/geo/_vendor/lib.py": "def vendored():\n    pass\n",
            "src/geo/__pycache__/junk.py": "x = 1\n",
            "scripts/tool.py": '"""A script, not in a package."""\n',
            ".venv/lib/site.py": "def hidden():\n    pass\n",
            "README.md": "# x\n",
        },
    )
    listed = run(docs_home, project, "api", {})
    assert [(m["name"], m["path"]) for m in listed["modules"]] == [
        ("geo", "src/geo/__init__.py"),
        ("geo.io", "src/geo/io/__init__.py"),
        ("geo.io.read", "src/geo/io/read.py"),
        ("geo.shapes", "src/geo/shapes.py"),
        ("tool", "scripts/tool.py"),
    ]
    with_private = run(docs_home, project, "api", {"path": "src", "include_private": True})
    assert [m["name"] for m in with_private["modules"]] == [
        "geo",
        "geo._impl",
        "geo.io",
        "geo.io.read",
        "geo.shapes",
        "lib",
    ]
    # _vendor has no __init__.py: it is not a package, so Python would import the file as `lib`
    assert with_private["modules"][5]["path"] == "src/geo/_vendor/lib.py"
    excluded = run(docs_home, project, "api", {"exclude": ["scripts/*", "src/geo/io/*"]})
    assert [m["name"] for m in excluded["modules"]] == ["geo", "geo.shapes"]
    assert run(docs_home, project, "api", {"path": "src/geo/io", "heading_level": 2})["markdown"] == (
        "## `geo.io`\n\n## `geo.io.read`\n\n### `load`\n\n```python\ndef load()\n```\n"
    )


def test_api_follows_a_modules_dunder_all(docs_home: Installed, tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "project",
        {
            "lib.py": (
                '__all__ = ["exported", "Listed"]\n'
                "def exported(): pass\n"
                "def public_but_unlisted(): pass\n"
                "class Listed: pass\n"
            )
        },
    )
    result = run(docs_home, project, "api", {"path": "lib.py"})
    assert [m["name"] for m in result["modules"][0]["members"]] == ["exported", "Listed"]


def test_a_syntax_error_is_reported_for_its_file_and_the_others_are_still_documented(
    docs_home: Installed, tmp_path: Path
) -> None:
    project = write_files(
        tmp_path / "project",
        {
            "pkg/__init__.py": '"""The package."""\n',
            "pkg/broken.py": '"""Fine so far."""\n\ndef oops(:\n    pass\n',
            "pkg/good.py": "def fine():\n    '''Works.'''\n",
        },
    )
    (project / "pkg" / "binary.py").write_bytes(b"\xff\xfe\x00garbage")
    (project / "pkg" / "huge.py").write_text("x = 1\n" * 200_000)
    for command in ("api", "coverage"):
        result = run(docs_home, project, command, {"path": "pkg"})
        errors = {e["path"]: e for e in result["errors"]}
        assert sorted(errors) == ["pkg/binary.py", "pkg/broken.py", "pkg/huge.py"]
        assert errors["pkg/broken.py"]["error"].startswith("SyntaxError: ")
        assert errors["pkg/broken.py"]["line"] == 3
        assert errors["pkg/huge.py"]["error"] == "larger than 1000000 bytes; skipped"
        assert result["files"] == 5
        names = [m["name"] for m in result["modules"]] if command == "api" else [m["module"] for m in result["modules"]]
        assert names == ["pkg", "pkg.good"]


def test_api_stops_at_max_files_and_says_it_was_truncated(docs_home: Installed, tmp_path: Path) -> None:
    project = write_files(tmp_path / "project", {f"m{i}.py": f"def f{i}(): pass\n" for i in range(5)})
    result = run(docs_home, project, "api", {"max_files": 3})
    assert result["truncated"] is True and result["files"] == 3
    assert [m["name"] for m in result["modules"]] == ["m0", "m1", "m2"]


# --- coverage ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "passed"), [(0, True), (71.4, True), (5 / 7 * 100, True), (71.5, False), (100, False)]
)
def test_coverage_passes_a_threshold_only_when_the_exact_ratio_reaches_it(
    docs_home: Installed, project: Path, threshold: float, passed: bool
) -> None:
    result = run(docs_home, project, "coverage", {"path": "shapes.py", "threshold": threshold})
    assert (result["percent"], result["passed"]) == (71.4, passed)
    assert result["markdown"].splitlines()[0].endswith(f"**{'passed' if passed else 'failed'}**.")


def test_coverage_with_private_names_counts_them_but_never_special_methods(docs_home: Installed, project: Path) -> None:
    result = run(docs_home, project, "coverage", {"path": "shapes.py", "include_private": True})
    assert (result["total"], result["documented"]) == (9, 6)
    assert [m["name"] for m in result["modules"][0]["missing"]] == ["Circle.unit", "Circle._scale", "describe"]


# --- paths -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "value", "message"),
    [
        ("api", {"path": "../outside"}, "'../outside' leads outside the project"),
        ("api", {"path": "src/../../outside"}, "leads outside the project"),
        ("api", {"path": "/etc"}, "'/etc' is absolute"),
        ("coverage", {"path": "/project/shapes.py"}, "is absolute"),
        ("coverage", {"path": ".."}, "leads outside the project"),
        (
            "readme-section",
            {"section": "api", "file": "../README.md", "write": True},
            "file '../README.md' leads outside",
        ),
        ("readme-section", {"section": "api", "file": "/project/README.md"}, "is absolute"),
        ("readme-section", {"section": "api", "source": "../outside"}, "leads outside the project"),
    ],
)
def test_paths_that_leave_the_project_are_refused_clearly(
    docs_home: Installed, project: Path, command: str, value: dict[str, Any], message: str
) -> None:
    outside = write_files(project.parent, {"README.md": README, "outside/secret.py": '"""SECRET"""\n'})
    failure = run_failing(docs_home, project, command, value)
    assert failure.kind == "invalid"
    assert message in failure.detail
    assert (outside / "README.md").read_text() == README


def test_a_missing_path_or_a_file_that_is_not_python_is_invalid(docs_home: Installed, project: Path) -> None:
    assert "'nope' does not exist" in run_failing(docs_home, project, "api", {"path": "nope"}).detail
    assert "not a Python source file" in run_failing(docs_home, project, "coverage", {"path": "README.md"}).detail


# --- readme-section ----------------------------------------------------------------------------


def test_readme_section_previews_the_new_text_without_writing(docs_home: Installed, project: Path) -> None:
    result = run(docs_home, project, "readme-section", {"section": "api"})
    assert result["text"] == EXPECTED_README
    assert (result["changed"], result["written"]) == (True, False)
    assert result["reason"] == "not written: this was a preview (pass write: true to write the file)"
    assert result["lines"] == [line_of(README, "acc:docs:api start"), line_of(README, "acc:docs:api end")]
    assert (project / "README.md").read_text() == README


def test_readme_section_puts_given_content_in_a_named_section_keeping_crlf_line_ends(
    docs_home: Installed, project: Path
) -> None:
    (project / "docs").mkdir()
    original = b"Title\r\n<!-- acc:docs:notes start -->\r\nold\r\n<!-- acc:docs:notes end -->\r\nTail\r\n"
    (project / "docs" / "NOTES.md").write_bytes(original)
    result = run(
        docs_home,
        project,
        "readme-section",
        {"section": "notes", "file": "docs/NOTES.md", "content": "\nline one\nline two\n\n", "write": True},
    )
    assert result["written"] is True
    assert (project / "docs" / "NOTES.md").read_bytes() == (
        b"Title\r\n<!-- acc:docs:notes start -->\r\nline one\r\nline two\r\n<!-- acc:docs:notes end -->\r\nTail\r\n"
    )


def test_readme_section_fills_a_coverage_section_from_its_name(docs_home: Installed, project: Path) -> None:
    (project / "README.md").write_text("<!-- acc:docs:coverage start -->\n<!-- acc:docs:coverage end -->\n")
    result = run(docs_home, project, "readme-section", {"section": "coverage", "source": "shapes.py"})
    assert result["content"] == run(docs_home, project, "coverage", {"path": "shapes.py"})["markdown"]
    assert result["text"] == (
        "<!-- acc:docs:coverage start -->\n" + result["content"] + "<!-- acc:docs:coverage end -->\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# nothing here\n", "README.md has no markers for the section 'api'"),
        ("<!-- acc:docs:api start -->\n", "README.md has no end marker for the section 'api'"),
        ("<!-- acc:docs:api end -->\n", "README.md has no start marker for the section 'api'"),
        (
            "<!-- acc:docs:api start -->\n<!-- acc:docs:api start -->\n<!-- acc:docs:api end -->\n",
            "has the start marker of the section 'api' more than once (lines 1, 2)",
        ),
        (
            "<!-- acc:docs:api end -->\n<!-- acc:docs:api start -->\n",
            "the end marker of the section 'api' (line 1) comes before its start marker (line 2)",
        ),
        ("text <!-- acc:docs:api start --> inline\n<!-- acc:docs:api end -->\n", "no start marker"),
        ("```\n<!-- acc:docs:api start -->\n<!-- acc:docs:api end -->\n```\n", "has no markers"),
    ],
)
def test_readme_section_refuses_missing_duplicated_or_misordered_markers(
    docs_home: Installed, project: Path, text: str, message: str
) -> None:
    (project / "README.md").write_text(text)
    failure = run_failing(docs_home, project, "readme-section", {"section": "api", "write": True})
    assert failure.kind == "invalid"
    assert message in failure.detail
    assert (project / "README.md").read_text() == text


def test_readme_section_needs_content_or_a_generator_for_other_names(docs_home: Installed, project: Path) -> None:
    failure = run_failing(docs_home, project, "readme-section", {"section": "intro"})
    assert "has no generator of its own: give content, or a generator" in failure.detail
    both = run_failing(docs_home, project, "readme-section", {"section": "api", "content": "x", "generator": "api"})
    assert "either content or generator, not both" in both.detail


# --- changelog ---------------------------------------------------------------------------------


def test_changelog_by_type_only_puts_plain_subjects_in_other(full_home: Installed, repo: Path) -> None:
    result = run(full_home, repo, "changelog", {"group_by": "type", "include_merges": True})
    groups = {g["type"]: [c["subject"] for c in g["commits"]] for g in result["groups"]}
    assert groups["other"] == ["Merge branch 'side'", "Tidy things", "Update README for the new flags"]
    assert groups["docs"] == ["docs: explain sections"]
    assert groups["chore"] == ["chore: initial commit"]
    assert (result["commits"], result["skipped_merges"]) == (11, 0)


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        ("auto", ["chore", "perf", "refactor", "feat", "other"]),
        ("type", ["chore", "other", "other", "other", "other"]),
        ("keyword", ["fix", "perf", "refactor", "feat", "other"]),
    ],
)
def test_changelog_groups_by_prefix_by_keywords_or_by_both(
    full_home: Installed, tmp_path: Path, group_by: str, expected: list[str]
) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs the git binary")
    root = tmp_path / "small"
    root.mkdir()
    plain_git(root, "init", "-q", "-b", "main")
    subjects = [
        "Whatever this is",
        "Add a --json flag",
        "Rename the helpers",
        "Speed up parsing",
        "chore: fix the release script",
    ]  # oldest first: the log lists them newest first
    for index, subject in enumerate(subjects):
        plain_git(root, "commit", "-q", "--allow-empty", "-m", subject, date=1_700_000_000 + index)
    result = run(full_home, root, "changelog", {"group_by": group_by})
    kinds = {c["subject"]: c["type"] for g in result["groups"] for c in g["commits"]}
    assert [kinds[s] for s in reversed(subjects)] == expected


def test_changelog_pages_through_long_histories_up_to_max_commits(full_home: Installed, tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs the git binary")
    root = tmp_path / "long"
    root.mkdir()
    plain_git(root, "init", "-q", "-b", "main")
    stream = "".join(
        f"commit refs/heads/main\ncommitter Ada <ada@example.com> {1_700_000_000 + i} +0000\n"
        f"data {len(f'fix: bug {i}')}\nfix: bug {i}\n"
        for i in range(250)
    )
    plain_git(root, "fast-import", "--quiet", stdin=stream.encode())
    everything = run(full_home, root, "changelog", {"max_commits": 5000})
    assert (everything["commits"], everything["truncated"]) == (250, False)
    subjects = [c["subject"] for c in everything["groups"][0]["commits"]]
    assert subjects == [f"fix: bug {i}" for i in reversed(range(250))]
    some = run(full_home, root, "changelog", {"max_commits": 230})
    assert (some["commits"], some["truncated"]) == (230, True)
    assert some["groups"][0]["commits"][-1]["subject"] == "fix: bug 20"


def test_readme_section_writes_a_changelog_section_from_the_history(full_home: Installed, repo: Path) -> None:
    (repo / "CHANGELOG.md").write_text(
        "# Changelog\n\n<!-- acc:docs:changelog start -->\n<!-- acc:docs:changelog end -->\n"
    )
    result = run(
        full_home,
        repo,
        "readme-section",
        {"section": "changelog", "file": "CHANGELOG.md", "since": "v0.1", "write": True},
    )
    expected = run(full_home, repo, "changelog", {"since": "v0.1", "heading_level": 3})["markdown"]
    assert result["written"] is True
    assert (repo / "CHANGELOG.md").read_text() == (
        "# Changelog\n\n<!-- acc:docs:changelog start -->\n" + expected + "<!-- acc:docs:changelog end -->\n"
    )


def test_changelog_of_an_unknown_tag_is_invalid(full_home: Installed, repo: Path) -> None:
    failure = run_failing(full_home, repo, "changelog", {"since": "v9.9"})
    assert failure.kind == "invalid"
    assert "changelog needs the history from the git plugin: " in failure.detail and "v9.9" in failure.detail


@pytest.mark.parametrize("since", ["--output=/tmp/x", "v0.1..HEAD"])
def test_changelog_refuses_a_since_that_is_an_option_or_a_range(full_home: Installed, repo: Path, since: str) -> None:
    failure = run_failing(full_home, repo, "changelog", {"since": since})
    assert failure.kind == "invalid"
    assert "must name one commit, tag or branch" in failure.detail
