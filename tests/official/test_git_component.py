"""The official git plugin, end to end: the real component in the real host, real git.

One test per command, plus what only the sandbox decides: the host's input checks, a
missing process grant, and the user's git config reaching git through RunOptions. The
rest of the plugin's behaviour is tested on CPython (test_git.py), against the same
host git policy.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from host.errors import InputError, PluginFailed
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from tests.helpers import TEST_CACHE, install_unsigned
from tests.official.git_repos import DATE, ODD_NAMES, blob, clean_status, git, head, make_conflicted, make_repo

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary"),
]

RunPlugin = Callable[..., Any]


@pytest.fixture(scope="module")
def git_home(tmp_path_factory: pytest.TempPathFactory, built_archives: Callable[[str], Path]) -> HostPaths:
    """The git plugin installed once for this module, its process capability granted."""
    paths = HostPaths(home=tmp_path_factory.mktemp("git-home"), cache=TEST_CACHE)
    install_unsigned(paths, built_archives("git"), grant=("process",))
    return paths


@pytest.fixture
def run(git_home: HostPaths) -> Iterator[RunPlugin]:
    """run(project, command, input, user_config_environment={}) -> the command's JSON result."""
    hosts: list[PluginHost] = []

    def call(
        project: Path,
        command: str,
        value: dict[str, Any] | None = None,
        *,
        user_config_environment: dict[str, str] | None = None,
    ) -> Any:
        options = RunOptions(project_dir=project, user_config_environment=user_config_environment or {})
        host = PluginHost(git_home, options)
        hosts.append(host)
        return host.run("git", command, value or {})

    yield call
    for host in hosts:
        host.close()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


@pytest.fixture
def conflicted(repo: Path) -> Path:
    return make_conflicted(repo)


# --- the manifest -------------------------------------------------------------------------------


def test_unknown_input_properties_are_refused_before_the_plugin_runs(run: RunPlugin, repo: Path) -> None:
    with pytest.raises(InputError, match="Additional properties"):
        run(repo, "status", {"untracked": "all", "porcelain": "v1"})
    with pytest.raises(InputError, match="greater than the maximum of 200"):
        run(repo, "log", {"n": 100000})


# --- status --------------------------------------------------------------------------------------


def test_status_lists_staged_unstaged_and_untracked_files_with_exact_names(run: RunPlugin, repo: Path) -> None:
    for name in ODD_NAMES:
        (repo / name).write_text(f"{name}\n")
    git(repo, "add", "--", *ODD_NAMES[:4])
    git(repo, "mv", "README.md", "READ ME.md")
    (repo / "greeting.txt").write_text("Hello\nthere\n")
    (repo / "with space.txt").write_text("changed after staging\n")
    (repo / "build").mkdir()
    (repo / "build" / "out.o").write_text("x")

    result = run(repo, "status")
    staged = [{"path": name, "status": "A", "renamed_from": None} for name in ODD_NAMES[:4]]
    staged.append({"path": "READ ME.md", "status": "R", "renamed_from": "README.md"})
    assert result == clean_status(
        head(repo),
        staged=sorted(staged, key=lambda e: e["path"].encode()),
        unstaged=[
            {"path": "greeting.txt", "status": "M", "renamed_from": None},
            {"path": "with space.txt", "status": "M", "renamed_from": None},
        ],
        untracked=["-rf", "build/", "tab\there.txt", "ünï.txt"],
    )
    everything = run(repo, "status", {"untracked": "all"})
    assert everything["untracked"] == ["-rf", "build/out.o", "tab\there.txt", "ünï.txt"]
    assert run(repo, "status", {"untracked": "no"})["untracked"] == []


# --- diff ----------------------------------------------------------------------------------------


def test_diff_gives_each_files_counts_and_exact_patch(run: RunPlugin, repo: Path) -> None:
    old = blob(repo, "HEAD:greeting.txt")
    (repo / "greeting.txt").write_text("Hello\nthere\nWorld\n!\n")
    new = git(repo, "hash-object", "greeting.txt").strip()[:7]
    assert run(repo, "diff") == {
        "staged": False,
        "files": [
            {
                "path": "greeting.txt",
                "old_path": None,
                "status": "M",
                "additions": 2,
                "deletions": 0,
                "binary": False,
                "patch_truncated": False,
                "patch": (
                    f"diff --git a/greeting.txt b/greeting.txt\nindex {old}..{new} 100644\n"
                    "--- a/greeting.txt\n+++ b/greeting.txt\n@@ -1,2 +1,4 @@\n Hello\n+there\n World\n+!\n"
                ),
            }
        ],
        "file_count": 1,
        "additions": 2,
        "deletions": 0,
        "truncated": False,
    }


# --- log -----------------------------------------------------------------------------------------


def test_log_returns_structured_commits_newest_first(run: RunPlugin, repo: Path) -> None:
    first = head(repo)
    git(repo, "commit", "-q", "--allow-empty", "-F", "-", stdin=b'Second: "quoted"\n\nBody line 1\n\nBody 2\n')
    second = head(repo)
    result = run(repo, "log")
    assert result == {
        "has_more": False,
        "commits": [
            {
                "hash": second,
                "short_hash": second[:7],
                "author_name": "Ada Lovelace",
                "author_email": "ada@example.com",
                "date": DATE,
                "parents": [first],
                "subject": 'Second: "quoted"',
                "body": "Body line 1\n\nBody 2",
            },
            {
                "hash": first,
                "short_hash": first[:7],
                "author_name": "Ada Lovelace",
                "author_email": "ada@example.com",
                "date": DATE,
                "parents": [],
                "subject": "Add greeting",
                "body": "",
            },
        ],
    }


# --- branches ------------------------------------------------------------------------------------


def test_branches_are_listed_created_and_switched(run: RunPlugin, repo: Path) -> None:
    first = head(repo)
    git(repo, "commit", "-q", "--allow-empty", "-m", "Second")
    second = head(repo)

    created = run(repo, "branches", {"action": "create", "name": "feature/login", "start_point": "HEAD~1"})
    assert created == {"action": "create", "branch": "feature/login", "commit": first, "current": "main"}
    git(repo, "branch", "-q", "--set-upstream-to=main", "feature/login")

    listed = run(repo, "branches")
    assert listed == {
        "action": "list",
        "current": "main",
        "detached": False,
        "branches": [
            {
                "name": "feature/login",
                "current": False,
                "upstream": "main",
                "upstream_gone": False,
                "ahead": 0,
                "behind": 1,
                "last_commit": {"hash": first, "short_hash": first[:7], "date": DATE, "subject": "Add greeting"},
            },
            {
                "name": "main",
                "current": True,
                "upstream": None,
                "upstream_gone": False,
                "ahead": None,
                "behind": None,
                "last_commit": {"hash": second, "short_hash": second[:7], "date": DATE, "subject": "Second"},
            },
        ],
    }

    switched = run(repo, "branches", {"action": "switch", "name": "feature/login"})
    assert switched == {"action": "switch", "branch": "feature/login", "commit": first, "current": "feature/login"}
    assert git(repo, "branch", "--show-current") == "feature/login\n"


# --- commit --------------------------------------------------------------------------------------


def test_commit_identity_falls_back_to_the_users_global_git_config(run: RunPlugin, repo: Path, tmp_path: Path) -> None:
    user_home = tmp_path / "user-home"
    user_home.mkdir()
    (user_home / ".gitconfig").write_text("[user]\n\tname = Global Grace\n\temail = grace@example.com\n")
    (repo / "greeting.txt").write_text("Hello\n")
    result = run(
        repo,
        "commit",
        {"message": "From the global identity", "paths": ["greeting.txt"]},
        user_config_environment={"HOME": str(user_home)},
    )
    assert (result["author_name"], result["author_email"]) == ("Global Grace", "grace@example.com")
    assert (result["committer_name"], result["committer_email"]) == ("Global Grace", "grace@example.com")
    assert git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>") == (
        "Global Grace <grace@example.com>|Global Grace <grace@example.com>\n"
    )


# --- conflicts -----------------------------------------------------------------------------------


def test_conflicts_give_each_hunk_with_labels_text_and_line_numbers(run: RunPlugin, conflicted: Path) -> None:
    base = head(conflicted, "main~1")[:7]
    # The work-tree file as git left it (diff3 style, so with the merge base):
    assert (conflicted / "greeting.txt").read_text().splitlines() == [
        "<<<<<<< HEAD",
        "Hi",
        f"||||||| {base}",
        "Hello",
        "=======",
        "Bonjour",
        ">>>>>>> feature",
        "World",
    ]
    assert run(conflicted, "conflicts") == {
        "merge_in_progress": True,
        "truncated": False,
        "files": [
            {
                "path": "greeting.txt",
                "status": "UU",
                "hunks": [
                    {
                        "start_line": 1,
                        "end_line": 7,
                        "ours": {"label": "HEAD", "start_line": 2, "line_count": 1, "text": "Hi\n", "truncated": False},
                        "base": {
                            "label": base,
                            "start_line": 4,
                            "line_count": 1,
                            "text": "Hello\n",
                            "truncated": False,
                        },
                        "theirs": {
                            "label": "feature",
                            "start_line": 6,
                            "line_count": 1,
                            "text": "Bonjour\n",
                            "truncated": False,
                        },
                    }
                ],
            }
        ],
    }


# --- not a repository ----------------------------------------------------------------------------


def test_without_the_process_grant_commands_are_denied(
    built_archives: Callable[[str], Path], acc_home: HostPaths, repo: Path
) -> None:
    install_unsigned(acc_home, built_archives("git"), deny=("process",))
    options = RunOptions(project_dir=repo, user_config_environment={})
    with PluginHost(acc_home, options) as host, pytest.raises(PluginFailed) as failure:
        host.run("git", "status", {})
    assert failure.value.kind == "denied"
