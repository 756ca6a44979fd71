"""The files plugin's logic on CPython, against a real project directory (a git repository
with sources and tests): every command's result, and every refusal changing nothing.

The sandbox's own part (a link out of the project as WASI sees it, the read-only mount, a
missing grant) is in test_files_component.py.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.official.plugin_kit import HAS_GIT, OPS, make_project, snapshot, use_plugin_sources

use_plugin_sources("files")

from acc_files import diffs, gitignore, ops, patch, regex_guard, search  # noqa: E402
from acc_plugin import Denied, Invalid, LimitExceeded, PluginError  # noqa: E402


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("template") / "calc-project")


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the sample project (a git repository with sources and tests)."""
    return Path(shutil.copytree(template, tmp_path / "calc-project", symlinks=True))


def root(project: Path) -> str:
    return str(project)


def refused(kind: type[PluginError], call: Callable[[], Any], project: Path, match: str | None = None) -> str:
    """Run `call`, which must fail with `kind`, and check the project is byte for byte as it was."""
    before = snapshot(project)
    with pytest.raises(kind, match=match) as failure:
        call()
    assert snapshot(project) == before, "a refused command changed the project"
    return str(failure.value)


# --- read ---------------------------------------------------------------------------------------


def test_read_returns_a_numbered_line_range_and_says_whether_more_follows(project: Path) -> None:
    result = ops.read(root(project), "calc/ops.py", offset=4, limit=2)
    assert result == {
        "path": "calc/ops.py",
        "start_line": 4,
        "end_line": 5,
        "total_lines": len(OPS.splitlines()),
        "content": '     4\tdef add(a, b):\n     5\t    """The sum of a and b."""\n',
        "truncated": True,
        "long_lines_cut": 0,
    }
    whole = ops.read(root(project), "calc/ops.py")
    assert whole["truncated"] is False and whole["end_line"] == whole["total_lines"]


def test_read_cuts_long_lines_and_refuses_an_offset_past_the_end(project: Path) -> None:
    (project / "wide.txt").write_text("x" * 5000 + "\nshort\n")
    result = ops.read(root(project), "wide.txt")
    assert result["long_lines_cut"] == 1
    assert result["content"].splitlines()[0].endswith("x" * 10 + "…")
    assert len(result["content"].splitlines()[0]) < 2100
    with pytest.raises(Invalid, match="past the end of wide.txt, which has 2 lines"):
        ops.read(root(project), "wide.txt", offset=9)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a binary file"),
        (b"caf\xe9 au lait\n", "is not UTF-8 text"),
    ],
)
def test_read_refuses_binary_files_clearly(project: Path, content: bytes, message: str) -> None:
    (project / "data.bin").write_bytes(content)
    refused(Invalid, lambda: ops.read(root(project), "data.bin"), project, match=message)


def test_read_and_edit_refuse_a_file_over_the_size_cap(project: Path) -> None:
    (project / "huge.txt").write_bytes(b"a\n" * (2 * 1024 * 1024 + 1))
    refused(LimitExceeded, lambda: ops.read(root(project), "huge.txt"), project, match="larger than")
    refused(LimitExceeded, lambda: ops.edit(root(project), "huge.txt", "a", "b", replace_all=True), project)


# --- list ---------------------------------------------------------------------------------------


def test_list_honours_gitignore_files_at_every_level_and_never_enters_git(project: Path) -> None:
    (project / "build").mkdir()
    (project / "build" / "out.txt").write_text("built\n")
    (project / "debug.log").write_text("log\n")
    (project / "docs").mkdir()
    (project / "docs" / ".gitignore").write_text("*.html\n!keep.html\n/local.md\n")
    for name in ("index.html", "keep.html", "local.md", "guide.md"):
        (project / "docs" / name).write_text(name)
    (project / "docs" / "sub").mkdir()
    (project / "docs" / "sub" / "local.md").write_text("anchored rules apply to their own directory only\n")

    listed = ops.list_entries(root(project))
    paths = [entry["path"] for entry in listed["entries"]]
    assert paths == [
        ".gitignore",
        "README.md",
        "calc/__init__.py",
        "calc/ops.py",
        "docs/.gitignore",
        "docs/guide.md",
        "docs/keep.html",
        "docs/sub/local.md",
        "pyproject.toml",
        "tests/test_ops.py",
    ]
    assert listed["ignored"] == 4  # build/, debug.log, docs/index.html, docs/local.md
    everything = [e["path"] for e in ops.list_entries(root(project), include_ignored=True)["entries"]]
    assert {"build/out.txt", "debug.log", "docs/index.html", "docs/local.md"} <= set(everything)
    assert not any(path.startswith(".git/") for path in everything)


def test_list_matches_globs_by_name_or_by_path_and_excludes_with_bang(project: Path) -> None:
    def listed(*globs: str) -> list[str]:
        return [e["path"] for e in ops.list_entries(root(project), globs=list(globs))["entries"]]

    assert listed("*.py") == ["calc/__init__.py", "calc/ops.py", "tests/test_ops.py"]
    assert listed("calc/*.py") == ["calc/__init__.py", "calc/ops.py"]
    assert listed("**/test_*.py") == ["tests/test_ops.py"]
    assert listed("*.py", "!tests/**") == ["calc/__init__.py", "calc/ops.py"]
    directories = ops.list_entries(root(project), kind="dir")["entries"]
    assert [e["path"] for e in directories] == ["calc", "tests"]


def test_list_reports_links_without_following_them_and_caps_results(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not the project's\n")
    (project / "escape").symlink_to(outside)
    listed = ops.list_entries(root(project), kind="any")
    assert {"path": "escape", "type": "link", "size": 0} in listed["entries"]
    assert not any("secret" in e["path"] for e in listed["entries"])
    capped = ops.list_entries(root(project), max_results=2)
    assert capped["count"] == 2 and capped["truncated"] is True


@pytest.mark.parametrize(
    ("rules", "path", "is_dir", "expected"),
    [
        ("*.log", "a/b/x.log", False, True),
        ("/top.txt", "top.txt", False, True),
        ("/top.txt", "sub/top.txt", False, False),
        ("build/", "build", True, True),
        ("build/", "build", False, False),
        ("doc/*.txt", "doc/a.txt", False, True),
        ("doc/*.txt", "doc/x/a.txt", False, False),
        ("doc/**/*.txt", "doc/x/y/a.txt", False, True),
        ("**/cache", "a/b/cache", True, True),
        ("a/**", "a/b/c", False, True),
        ("*.txt\n!keep.txt", "keep.txt", False, False),
        ("\\#hash", "#hash", False, True),
        ("# a comment", "# a comment", False, False),
        ("trailing   ", "trailing", False, True),
        ("[ab].c", "b.c", False, True),
        ("[!ab].c", "b.c", False, False),
        ("?.c", "ab.c", False, False),
    ],
)
def test_gitignore_rules_follow_gits_semantics(rules: str, path: str, is_dir: bool, expected: bool) -> None:
    assert gitignore.ignored(gitignore.parse_rules(rules), path, is_dir) is expected


# --- search -------------------------------------------------------------------------------------


def test_search_returns_matches_with_context_lines_and_skips_binary_files(project: Path) -> None:
    (project / "logo.png").write_bytes(b"\x89PNG\x00\x00return a")
    result = ops.search_project(root(project), r"return a [+-] b", context=1)
    assert [(m["path"], m["line"], m["column"], m["text"]) for m in result["matches"]] == [
        ("calc/ops.py", 6, 5, "    return a + b"),
        ("calc/ops.py", 11, 5, "    return a - b"),
    ]
    assert result["matches"][0]["before"] == ['    """The sum of a and b."""']
    assert result["matches"][0]["after"] == [""]
    assert result["files_with_matches"] == 1
    assert result["skipped"] == [{"path": "logo.png", "reason": "binary"}]
    assert result["truncated"] is False and result["stopped"] is None


def test_search_narrows_by_globs_case_and_literal_text(project: Path) -> None:
    found = ops.search_project(root(project), "def TEST_", ignore_case=True, globs=["tests/**"], context=0)
    assert [m["line"] for m in found["matches"]] == [4, 8, 12]
    literal = ops.search_project(root(project), "range(5)", literal=True, context=0)
    assert [(m["path"], m["line"]) for m in literal["matches"]] == [("tests/test_ops.py", 13)]
    assert ops.search_project(root(project), "add", path="tests/test_ops.py")["match_count"] == 3


def test_search_stops_at_max_matches_and_at_its_time_budget(project: Path) -> None:
    capped = ops.search_project(root(project), "a", max_matches=3)
    assert (capped["match_count"], capped["truncated"], capped["stopped"]) == (3, True, "max_matches")

    ticks = iter(range(1000))
    timed = search.search_files(
        root(project),
        ["calc/ops.py"],
        regex_guard.compile_pattern("a", ignore_case=False, literal=False),
        context=0,
        max_matches=100,
        time_budget=3,
        clock=lambda: float(next(ticks)),
    )
    assert timed.stopped == "time_budget" and timed.truncated
    assert len(timed.matches) <= 3


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a+)+$",
        r"(a*)*b",
        r"(\w+\s?)+$",
        r"(.*a){20}",
        r"(a{1,2})+",
        r"(a|aa)*c",
        r"(x|xy)*z",
        r".*.*x",
        r"\w+\w*",
        r"\d+\s*\d+",
        r"(?i)A+a+",
    ],
)
def test_search_refuses_patterns_whose_matching_time_can_explode(project: Path, pattern: str) -> None:
    message = refused(Invalid, lambda: ops.search_project(root(project), pattern), project)
    assert "exponential time" in message and "Rewrite it" in message


@pytest.mark.parametrize(
    "pattern",
    [
        r"def \w+\(",
        r"\s*\w+\s*=\s*\w+",
        r"(\w+\.)+\w+",
        r"(,\s*\w+)*",
        r"(\d{1,3}\.){3}\d{1,3}",
        r".*foo.*bar",
        r"(foo|bar)+",
        r"(ab?)+",
        r"^\s*import\s+\w+",
    ],
)
def test_search_accepts_ordinary_patterns(project: Path, pattern: str) -> None:
    assert regex_guard.explosive(pattern) == ""
    ops.search_project(root(project), pattern)


def test_search_refuses_an_invalid_regular_expression_with_the_reason(project: Path) -> None:
    refused(Invalid, lambda: ops.search_project(root(project), "def (unclosed"), project, match="not a valid regular")


# --- edit ---------------------------------------------------------------------------------------


def test_edit_replaces_exactly_one_occurrence_and_returns_its_diff(project: Path) -> None:
    result = ops.edit(root(project), "calc/ops.py", "return a - b", "return a - b  # never negative?")
    assert (result["replacements"], result["changed"], result["additions"], result["deletions"]) == (1, True, 1, 1)
    assert "-    return a - b\n+    return a - b  # never negative?\n" in result["diff"]
    assert result["diff"].startswith("diff --git a/calc/ops.py b/calc/ops.py\n--- a/calc/ops.py\n+++ b/calc/ops.py\n")
    assert "return a - b  # never negative?" in (project / "calc" / "ops.py").read_text()
    if HAS_GIT:  # the diff is git's format: git sees the same change
        assert (
            result["diff"].split("@@\n", 1)[1]
            in subprocess.run(["git", "diff"], cwd=project, capture_output=True, text=True, check=True).stdout
        )


def test_edit_fails_changing_nothing_when_the_text_is_missing_or_not_unique(project: Path) -> None:
    message = refused(Invalid, lambda: ops.edit(root(project), "calc/ops.py", "return", "yield"), project)
    assert "occurs 3 times in calc/ops.py (at lines 6, 11, 19)" in message and "replace_all" in message
    missing = refused(Invalid, lambda: ops.edit(root(project), "calc/ops.py", "return a * b", "x"), project)
    assert "not found in calc/ops.py" in missing
    spaced = refused(Invalid, lambda: ops.edit(root(project), "calc/ops.py", "return a+b", "x"), project)
    assert "not found" in spaced
    padded = refused(Invalid, lambda: ops.edit(root(project), "calc/ops.py", "result = 0  \n", "x"), project)
    assert "other surrounding whitespace" in padded
    refused(Invalid, lambda: ops.edit(root(project), "calc/ops.py", "add", "add"), project, match="the same")


def test_edit_replace_all_changes_every_occurrence(project: Path) -> None:
    result = ops.edit(root(project), "calc/ops.py", "result", "acc", replace_all=True)
    assert result["replacements"] == 4
    assert "result" not in (project / "calc" / "ops.py").read_text()


def test_edit_keeps_crlf_line_endings_and_a_byte_order_mark(project: Path) -> None:
    (project / "win.txt").write_bytes(b"\xef\xbb\xbfone\r\ntwo\r\nthree\r\n")
    result = ops.edit(root(project), "win.txt", "two\nthree", "2\n3")
    assert (project / "win.txt").read_bytes() == b"\xef\xbb\xbfone\r\n2\r\n3\r\n"
    assert result["additions"] == 2 and result["deletions"] == 2


# --- write --------------------------------------------------------------------------------------


def test_write_creates_a_file_and_its_directories_and_returns_a_new_file_diff(project: Path) -> None:
    result = ops.write(root(project), "calc/extra/util.py", "X = 1\n")
    assert result == {
        "path": "calc/extra/util.py",
        "created": True,
        "bytes": 6,
        "changed": True,
        "additions": 1,
        "deletions": 0,
        "diff": "diff --git a/calc/extra/util.py b/calc/extra/util.py\nnew file mode 100644\n"
        "--- /dev/null\n+++ b/calc/extra/util.py\n@@ -0,0 +1 @@\n+X = 1\n",
        "diff_truncated": False,
    }
    assert (project / "calc" / "extra" / "util.py").read_text() == "X = 1\n"
    assert not [p for p in (project / "calc" / "extra").iterdir() if p.name.endswith(".acc-tmp")]


def test_write_overwrites_with_a_diff_and_says_when_nothing_changed(project: Path) -> None:
    result = ops.write(root(project), "README.md", "# calc\n\nA better calculator.\n")
    assert result["created"] is False and "-A calculator.\n+A better calculator.\n" in result["diff"]
    same = ops.write(root(project), "README.md", "# calc\n\nA better calculator.\n")
    assert same["changed"] is False and same["diff"] == ""


def test_write_refuses_overwriting_when_asked_not_to_and_binary_targets(project: Path) -> None:
    refused(Invalid, lambda: ops.write(root(project), "README.md", "x", overwrite=False), project, match="already")
    (project / "icon.ico").write_bytes(b"\x00\x00\x01\x00")
    refused(Invalid, lambda: ops.write(root(project), "icon.ico", "text"), project, match="binary")
    refused(Invalid, lambda: ops.write(root(project), "calc", "text"), project, match="is a directory")


# --- apply-patch --------------------------------------------------------------------------------

MULTI_FILE_PATCH = """diff --git a/calc/ops.py b/calc/ops.py
--- a/calc/ops.py
+++ b/calc/ops.py
@@ -9,4 +9,4 @@ def add(a, b):

 def subtract(a, b):
     \"\"\"a minus b.\"\"\"
-    return a - b
+    return a + -b
diff --git a/calc/mul.py b/calc/mul.py
new file mode 100644
--- /dev/null
+++ b/calc/mul.py
@@ -0,0 +1,2 @@
+def mul(a, b):
+    return a * b
diff --git a/README.md b/README.md
deleted file mode 100644
--- a/README.md
+++ /dev/null
@@ -1,3 +0,0 @@
-# calc
-
-A calculator.
diff --git a/calc/__init__.py b/calc/package.py
similarity index 100%
rename from calc/__init__.py
rename to calc/package.py
"""


def test_apply_patch_modifies_creates_deletes_and_renames_in_one_go(project: Path) -> None:
    result = ops.apply_patch(root(project), MULTI_FILE_PATCH)
    assert [(f["path"], f["action"], f["additions"], f["deletions"]) for f in result["files"]] == [
        ("calc/ops.py", "modify", 1, 1),
        ("calc/mul.py", "create", 2, 0),
        ("README.md", "delete", 0, 3),
        ("calc/package.py", "rename", 0, 0),
    ]
    assert result["applied"] is True
    assert "return a + -b" in (project / "calc" / "ops.py").read_text()
    assert (project / "calc" / "mul.py").read_text() == "def mul(a, b):\n    return a * b\n"
    assert not (project / "README.md").exists() and not (project / "calc" / "__init__.py").exists()
    assert (project / "calc" / "package.py").read_text() == '"""A calculator."""\n'


def test_apply_patch_finds_a_hunk_that_moved_and_handles_missing_final_newlines(project: Path) -> None:
    (project / "calc" / "ops.py").write_text("# a header line\n# and another\n" + OPS)
    (project / "notes.txt").write_text("first\nlast")
    text = (
        '--- calc/ops.py\n+++ calc/ops.py\n@@ -5,2 +5,2 @@\n def add(a, b):\n-    """The sum of a and b."""\n'
        '+    """a + b"""\n'
        "--- notes.txt\n+++ notes.txt\n@@ -1,2 +1,2 @@\n first\n-last\n\\ No newline at end of file\n+last\n"
    )
    result = ops.apply_patch(root(project), text)
    assert [f["action"] for f in result["files"]] == ["modify", "modify"]
    assert '    """a + b"""\n' in (project / "calc" / "ops.py").read_text()
    assert (project / "notes.txt").read_text() == "first\nlast\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MULTI_FILE_PATCH.replace("-    return a - b", "-    return a - c"), "hunk 1 of calc/ops.py"),
        (MULTI_FILE_PATCH.replace("/dev/null\n+++ b/calc/mul.py", "/dev/null\n+++ b/calc/ops.py"), "more than once"),
        ("--- /dev/null\n+++ b/README.md\n@@ -0,0 +1 @@\n+new\n", "already exists"),
        ("--- a/missing.py\n+++ b/missing.py\n@@ -1 +1 @@\n-a\n+b\n", "does not exist"),
        ("--- a/README.md\n+++ b/README.md\n@@ -1,3 +1,3 @@\n # calc\n", "cut short"),
        ("diff --git a/logo.png b/logo.png\nBinary files a/logo.png and b/logo.png differ\n", "binary"),
        ("just some text\n", "holds no file diff"),
        ("--- a/README.md\n+++ /dev/null\n@@ -1 +0,0 @@\n-# calc\n", "do not remove all"),
    ],
)
def test_apply_patch_is_all_or_nothing(project: Path, text: str, message: str) -> None:
    refused(Invalid, lambda: ops.apply_patch(root(project), text), project, match=message)


def test_apply_patch_dry_run_checks_and_changes_nothing(project: Path) -> None:
    before = snapshot(project)
    result = ops.apply_patch(root(project), MULTI_FILE_PATCH, dry_run=True)
    assert result["applied"] is False and len(result["files"]) == 4
    assert snapshot(project) == before


def test_apply_patch_takes_the_diffs_files_returns(project: Path) -> None:
    edited = ops.edit(root(project), "calc/ops.py", "return a + b", "return b + a")
    (project / "calc" / "ops.py").write_text(OPS)
    again = ops.apply_patch(root(project), edited["diff"])
    assert again["diff"] == edited["diff"]
    assert "return b + a" in (project / "calc" / "ops.py").read_text()


def test_patch_parse_reads_git_quoted_names_and_strips_prefixes() -> None:
    parsed = patch.parse(
        'diff --git "a/tab\\there.txt" "b/tab\\there.txt"\n--- "a/tab\\there.txt"\n+++ "b/tab\\there.txt"\n'
        "@@ -1 +1 @@\n-x\n+y\n"
    )
    assert parsed[0].path == "tab\there.txt"
    plain = patch.parse("--- src/a.py\n+++ src/a.py\n@@ -1 +1 @@\n-x\n+y\n")
    assert plain[0].path == "src/a.py"
    assert patch.parse("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-x\n+y\n", strip=0)[0].path == "b/x"


# --- move and delete ----------------------------------------------------------------------------


def test_move_renames_into_new_directories_and_refuses_to_clobber(project: Path) -> None:
    result = ops.move(root(project), "calc/ops.py", "calc/core/arith.py")
    assert result["type"] == "file" and "rename from calc/ops.py\nrename to calc/core/arith.py\n" in result["diff"]
    assert (project / "calc" / "core" / "arith.py").read_text() == OPS
    refused(Invalid, lambda: ops.move(root(project), "README.md", "pyproject.toml"), project, match="already exists")
    refused(Invalid, lambda: ops.move(root(project), "calc", "calc/inner/calc"), project, match="into itself")
    refused(Invalid, lambda: ops.move(root(project), "nothing.txt", "b.txt"), project, match="does not exist")
    replaced = ops.move(root(project), "README.md", "pyproject.toml", overwrite=True)
    assert replaced["replaced"] is True and (project / "pyproject.toml").read_text().startswith("# calc")


def test_delete_removes_files_and_directories_with_the_diff_of_what_went(project: Path) -> None:
    result = ops.delete(root(project), "README.md")
    assert "deleted file mode 100644\n--- a/README.md\n+++ /dev/null\n" in result["diff"]
    assert not (project / "README.md").exists()
    refused(Invalid, lambda: ops.delete(root(project), "tests"), project, match="set recursive")
    tree = ops.delete(root(project), "tests", recursive=True)
    assert tree["deleted"] == ["tests/test_ops.py"] and not (project / "tests").exists()


def test_delete_and_move_act_on_a_link_not_on_what_it_points_to(project: Path) -> None:
    (project / "alias.py").symlink_to("calc/ops.py")
    ops.move(root(project), "alias.py", "calc/alias.py")
    assert os.readlink(project / "calc" / "alias.py") == "calc/ops.py"
    ops.delete(root(project), "calc/alias.py")
    assert (project / "calc" / "ops.py").read_text() == OPS


def test_delete_refuses_a_directory_holding_a_repository_and_the_project_itself(project: Path) -> None:
    (project / "vendor" / "lib").mkdir(parents=True)
    (project / "vendor" / "lib" / ".git").mkdir()
    (project / "vendor" / "lib" / "x.py").write_text("x\n")
    refused(Invalid, lambda: ops.delete(root(project), "vendor", recursive=True), project, match="git repository")
    refused(Invalid, lambda: ops.delete(root(project), ".", recursive=True), project, match="project directory")


# --- refusals: nothing outside the project, nothing in .git ---------------------------------------

WRITERS: dict[str, Callable[[str, str], Any]] = {
    "edit": lambda r, p: ops.edit(r, p, "secret", "changed"),
    "write": lambda r, p: ops.write(r, p, "changed\n"),
    "apply-patch": lambda r, p: ops.apply_patch(r, f"--- a/{p}\n+++ b/{p}\n@@ -1 +1 @@\n-secret\n+changed\n"),
    "move": lambda r, p: ops.move(r, p, "moved.txt"),
    "move-to": lambda r, p: ops.move(r, "README.md", p, overwrite=True),
    "delete": lambda r, p: ops.delete(r, p),
}
READERS: dict[str, Callable[[str, str], Any]] = {
    "read": lambda r, p: ops.read(r, p),
    "search": lambda r, p: ops.search_project(r, "secret", path=p),
    "list": lambda r, p: ops.list_entries(r, path=p),
}


@pytest.fixture
def escapes(project: Path, tmp_path: Path) -> Path:
    """Links that lead out of the project, to a file and a directory the tests must not touch."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret\n")
    (project / "to-file").symlink_to(outside / "secret.txt")
    (project / "to-dir").symlink_to(outside)
    (project / "up").symlink_to("..")
    (project / "calc" / "deep").symlink_to("../../outside")
    return outside


OUTSIDE_PATHS = {
    "/etc/passwd": Invalid,
    "../outside/secret.txt": Invalid,
    "calc/../../outside/secret.txt": Invalid,
    "to-file": Denied,
    "to-dir/secret.txt": Denied,
    "up/outside/secret.txt": Denied,
    "calc/deep/secret.txt": Denied,
}


@pytest.mark.parametrize("command", sorted(WRITERS))
@pytest.mark.parametrize("path", sorted(OUTSIDE_PATHS))
def test_no_command_writes_outside_the_project(
    project: Path, escapes: Path, tmp_path: Path, command: str, path: str
) -> None:
    if command in ("move", "move-to", "delete") and path == "to-file":
        pytest.skip("moving, replacing or deleting the link itself stays inside the project (tested below)")
    outside_before = snapshot(escapes)
    refused(OUTSIDE_PATHS[path], lambda: WRITERS[command](str(project), path), project)
    assert snapshot(escapes) == outside_before


@pytest.mark.parametrize("command", sorted(READERS))
@pytest.mark.parametrize("path", ["../outside", "to-dir", "up/outside", "calc/deep"])
def test_no_command_reads_outside_the_project(project: Path, escapes: Path, command: str, path: str) -> None:
    with pytest.raises((Invalid, Denied)):
        READERS[command](str(project), path)


@pytest.mark.parametrize("command", sorted(WRITERS))
@pytest.mark.parametrize("path", [".git/config", ".GIT/HEAD", "calc/.git/hooks/pre-commit"])
def test_no_command_writes_inside_git(project: Path, command: str, path: str) -> None:
    refused(Invalid, lambda: WRITERS[command](str(project), path), project, match=r"inside \.git")


def test_links_that_stay_inside_are_followed_for_reading_and_editing(project: Path) -> None:
    (project / "ops-link.py").symlink_to("calc/ops.py")
    (project / "calc-link").symlink_to("calc")
    assert ops.read(str(project), "ops-link.py")["total_lines"] == len(OPS.splitlines())
    ops.edit(str(project), "calc-link/ops.py", "a minus b.", "a take away b.")
    assert "a take away b." in (project / "calc" / "ops.py").read_text()
    assert os.readlink(project / "ops-link.py") == "calc/ops.py", "the link itself is untouched"


# --- the diffs: what every write returns --------------------------------------------------------


def _random_edit(rng: random.Random) -> tuple[str, str]:
    old = [f"line {rng.randint(0, 8)}\n" for _ in range(rng.randint(0, 40))]
    new = list(old)
    for _ in range(rng.randint(1, 4)):
        change = rng.choice(["insert", "delete", "change"])
        if change == "insert" or not new:
            new.insert(rng.randint(0, len(new)), f"new {rng.randint(0, 9)}\n")
        elif change == "delete":
            del new[rng.randrange(len(new))]
        else:
            new[rng.randrange(len(new))] = f"changed {rng.randint(0, 9)}\n"
    before, after = "".join(old), "".join(new)
    if rng.random() < 0.2:
        before = before.rstrip("\n")
    if rng.random() < 0.2:
        after = after.rstrip("\n")
    return before, after


@pytest.mark.skipif(not HAS_GIT, reason="needs the git binary")
def test_every_diff_applies_with_this_plugin_and_with_git_apply(tmp_path: Path) -> None:
    """Random edits (repeated lines, missing final newlines): the diff files returns turns the
    old text into the new one, through apply-patch and through `git apply`."""
    rng = random.Random(16)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    target = tmp_path / "f.txt"
    checked = 0
    while checked < 150:
        before, after = _random_edit(rng)
        if before == after:
            continue
        diff = diffs.file_diff("f.txt", before, after)
        assert patch.apply(before, patch.parse(diff)[0]) == after, diff
        target.write_text(before)
        applied = subprocess.run(["git", "apply", "-"], input=diff.encode(), cwd=tmp_path, capture_output=True)
        assert applied.returncode == 0, (applied.stderr, diff)
        assert target.read_text() == after
        checked += 1


def test_a_one_line_edit_of_a_long_file_gives_a_one_hunk_diff() -> None:
    long_text = "".join(f"line {i}\n" for i in range(50_000))
    diff = diffs.file_diff("big.txt", long_text, long_text.replace("line 25000\n", "LINE\n"))
    assert diff.splitlines()[3:] == [
        "@@ -24998,7 +24998,7 @@",
        " line 24997",
        " line 24998",
        " line 24999",
        "-line 25000",
        "+LINE",
        " line 25001",
        " line 25002",
        " line 25003",
    ]
