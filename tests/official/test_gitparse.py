"""gitparse, the git plugin's pure core, on its own: output cut anywhere is parsed, never guessed.

The host stops git at its output cap and hands the plugin what arrived, so each parser
must turn any prefix of git's output into a prefix of what the whole output says: every
record it returns is one git printed in full, and the first one cut short ends the list.
The output here is real git's, from a repository with the names parsers get wrong.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.official.cpython_host import load_plugin
from tests.official.git_repos import ODD_NAMES, git, make_repo

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")

load_plugin("git")  # cpython_host put the plugin's directory on sys.path; gitparse imports from there
import gitparse  # noqa: E402


@pytest.fixture(scope="module")
def busy_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Staged, unstaged, renamed and untracked files with odd names, and commits with bodies."""
    repo = make_repo(tmp_path_factory.mktemp("gitparse"))
    for index in range(3):
        git(repo, "commit", "-q", "--allow-empty", "-F", "-", stdin=f"Subject {index}\n\nBody\nline {index}\n".encode())
    for index, name in enumerate(ODD_NAMES):
        (repo / name).write_text(f"{name}\n")
        if index % 2:
            git(repo, "add", "--", name)
    git(repo, "mv", "README.md", "READ ME.md")
    (repo / "greeting.txt").write_text("Hello\nthere\n")
    return repo


def cuts(out: bytes) -> range:
    """Every length at which the host could have stopped git."""
    return range(len(out) + 1)


def test_status_cut_anywhere_lists_only_whole_records_in_order(busy_repo: Path) -> None:
    out = git(busy_repo, "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=all").encode()
    whole = gitparse.parse_status(out, truncated=False, max_files=1000)
    assert len(whole["untracked"]) >= 3 and any(e["renamed_from"] for e in whole["staged"])
    for cut in cuts(out):
        part = gitparse.parse_status(out[:cut], truncated=True, max_files=1000)
        assert part["truncated"] is True
        for side in ("staged", "unstaged", "untracked", "conflicted"):
            assert part[side] == whole[side][: len(part[side])], (cut, side)


def test_log_cut_anywhere_gives_whole_commits_newest_first(busy_repo: Path) -> None:
    out = git(busy_repo, "log", "-z", f"--format={gitparse.LOG_FORMAT}", "--encoding=UTF-8").encode()
    whole = gitparse.parse_log(out)
    assert [c["subject"] for c in whole] == ["Subject 2", "Subject 1", "Subject 0", "Add greeting"]
    for cut in cuts(out):
        part: list[dict[str, Any]] = gitparse.parse_log(out[:cut])
        assert part == whole[: len(part)], cut


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("feature/login", None),
        ("ünï/branch", None),
        ("-D", "it starts with '-', so git would read it as an option"),
        ("a..b", "it contains '..'"),
        ("x@{1}", "it contains '@{'"),
        ("a//b", "it has an empty path component (a leading, trailing or doubled '/')"),
        ("sub/.hidden", "its component '.hidden' starts with '.'"),
        ("x.lock", "its component 'x.lock' ends with '.lock'"),
        ("tab\there", "it contains '\\t' (no spaces, control characters or ~^:?*[\\)"),
        ("é" * 128, "it is longer than 255 bytes"),
    ],
)
def test_branch_names_are_checked_as_git_check_ref_format_would(name: str, problem: str | None) -> None:
    assert gitparse.branch_name_problem(name) == problem


@pytest.mark.parametrize(
    ("path", "acceptable"),
    [
        ("src/app.py", True),
        ("--orphan", True),  # a path, not an option: it always follows `--`
        ("with space.txt", True),
        ("../elsewhere", False),
        ("/etc/passwd", False),
        ("src/../../x", False),
        ("nul\0byte", False),
        ("", False),
    ],
)
def test_paths_must_stay_inside_the_project(path: str, acceptable: bool) -> None:
    assert (gitparse.path_problem(path) is None) is acceptable
