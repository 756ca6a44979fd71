"""The official git plugin's commands, run on CPython: its own Python, the host's git policy, real git.

`CPythonHost` (cpython_host.py) runs git.py and gitparse.py in this process and hands
their `process.run` calls to the host's `run_program`, so git runs under the same policy
(allowlist, scrubbed environment, repository vetting, output cap) as for the component.
test_git_component.py runs every command in the real component once, with the checks
only the sandbox makes (input schemas, a missing grant, options reaching the host).

Repositories are made with the git binary under a clean environment (git_repos.py). The
plugin runs with `user_config_environment` empty unless a test gives it a stand-in user
home, so the commit identity is always the one the test chose.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from host.errors import PluginFailed
from sdk.manifest import load_manifest
from tests.helpers import PLUGIN_SOURCES
from tests.official.cpython_host import CPythonHost
from tests.official.git_repos import ODD_NAMES, clean_status, git, head, make_conflicted, make_repo

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")

RunPlugin = Callable[..., Any]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunPlugin:
    """run(project, command, input, user_config_environment={}) -> the command's JSON result."""

    def call(
        project: Path,
        command: str,
        value: dict[str, Any] | None = None,
        *,
        user_config_environment: dict[str, str] | None = None,
    ) -> Any:
        host = CPythonHost(
            project,
            tmp_path / "state",
            monkeypatch,
            installed=("git",),
            user_config_environment=user_config_environment or {},
        )
        return host.run("git", command, value or {})

    return call


def refused(
    run: RunPlugin, project: Path, command: str, value: dict[str, Any] | None = None, **options: Any
) -> PluginFailed:
    with pytest.raises(PluginFailed) as failure:
        run(project, command, value, **options)
    return failure.value


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


@pytest.fixture
def conflicted(repo: Path) -> Path:
    return make_conflicted(repo)


# --- the manifest -------------------------------------------------------------------------------


def test_manifest_asks_only_for_git_and_every_input_is_a_complete_tool_schema() -> None:
    manifest = load_manifest((PLUGIN_SOURCES["git"] / "plugin.toml").read_text())
    assert set(manifest.capabilities) == {"process"}
    assert manifest.capabilities["process"].programs == ("git",)
    assert "your git config" in manifest.capabilities["process"].reason
    assert {c.name for c in manifest.commands} == {"status", "diff", "log", "branches", "commit", "conflicts"}
    for command in manifest.commands:
        schema = command.input_schema
        assert schema["additionalProperties"] is False, command.name
        assert command.description, command.name
        for name, prop in schema.get("properties", {}).items():
            assert prop.get("description"), f"{command.name}.{name} has no description"
            assert prop.get("type"), f"{command.name}.{name} has no type"
            if prop["type"] == "integer":
                assert "minimum" in prop and "maximum" in prop, f"{command.name}.{name} is unbounded"
            if prop["type"] == "string" and "enum" not in prop:
                assert "maxLength" in prop, f"{command.name}.{name} is unbounded"
            if prop["type"] == "array":
                assert "maxItems" in prop and prop["items"]["maxLength"], f"{command.name}.{name}"


# --- status --------------------------------------------------------------------------------------


def test_status_of_a_clean_repository_names_branch_and_commit(run: RunPlugin, repo: Path) -> None:
    assert run(repo, "status") == clean_status(head(repo))


def test_status_is_capped_at_max_files_and_says_truncated(run: RunPlugin, repo: Path) -> None:
    for index in range(30):
        (repo / f"new-{index:02}.txt").write_text("x")
    result = run(repo, "status", {"max_files": 10})
    assert result["untracked"] == [f"new-{index:02}.txt" for index in range(10)]
    assert result["truncated"] is True


def test_status_reports_upstream_with_ahead_and_behind(run: RunPlugin, repo: Path) -> None:
    git(repo, "branch", "base")
    git(repo, "commit", "-q", "--allow-empty", "-m", "ahead 1")
    git(repo, "commit", "-q", "--allow-empty", "-m", "ahead 2")
    git(repo, "switch", "-q", "base")
    git(repo, "commit", "-q", "--allow-empty", "-m", "behind 1")
    git(repo, "switch", "-q", "main")
    git(repo, "branch", "-q", "--set-upstream-to=base")
    result = run(repo, "status")
    assert (result["upstream"], result["ahead"], result["behind"]) == ("base", 2, 1)


def test_status_of_a_detached_head_gives_the_commit_and_no_branch(run: RunPlugin, repo: Path) -> None:
    first = head(repo)
    git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    git(repo, "switch", "-q", "--detach", first)
    result = run(repo, "status")
    assert (result["branch"], result["detached"], result["commit"]) == (None, True, first)


def test_status_before_the_first_commit_has_a_branch_but_no_commit(run: RunPlugin, tmp_path: Path) -> None:
    project = tmp_path / "fresh"
    project.mkdir()
    git(project, "init", "-q")
    (project / "a.txt").write_text("a")
    assert run(project, "status") == clean_status(None, untracked=["a.txt"])


# --- diff ----------------------------------------------------------------------------------------


def test_diff_staged_shows_the_index_and_paths_filter_it(run: RunPlugin, repo: Path) -> None:
    (repo / "greeting.txt").write_text("Hello\n")
    (repo / "README.md").write_text("# renamed demo\n")
    (repo / "notes.txt").write_text("one\ntwo\n")
    git(repo, "add", "notes.txt", "README.md")
    git(repo, "rm", "-q", "--cached", "greeting.txt")

    unstaged = run(repo, "diff")
    assert unstaged["files"] == []  # greeting.txt is untracked now: not part of a diff
    staged = run(repo, "diff", {"staged": True})
    summary = [(f["path"], f["status"], f["additions"], f["deletions"]) for f in staged["files"]]
    assert summary == [("README.md", "M", 1, 1), ("greeting.txt", "D", 0, 2), ("notes.txt", "A", 2, 0)]
    assert (staged["file_count"], staged["additions"], staged["deletions"]) == (3, 3, 3)
    assert staged["files"][2]["patch"].endswith("@@ -0,0 +1,2 @@\n+one\n+two\n")

    only = run(repo, "diff", {"staged": True, "paths": ["notes.txt", "*.md"]})
    assert [f["path"] for f in only["files"]] == ["README.md", "notes.txt"]


def test_diff_keeps_renames_and_odd_names_exact(run: RunPlugin, repo: Path) -> None:
    for name in ODD_NAMES:
        (repo / name).write_text("one line\n")
    git(repo, "add", "--", *ODD_NAMES)
    git(repo, "mv", "--", "greeting.txt", "--greeting\n.txt")
    result = run(repo, "diff", {"staged": True})
    by_path = {f["path"]: f for f in result["files"]}
    assert set(by_path) == {*ODD_NAMES, "--greeting\n.txt"}
    renamed = by_path["--greeting\n.txt"]
    assert (renamed["status"], renamed["old_path"], renamed["additions"]) == ("R", "greeting.txt", 0)
    assert {name: (by_path[name]["status"], by_path[name]["additions"]) for name in ODD_NAMES} == {
        name: ("A", 1) for name in ODD_NAMES
    }
    # Each patch belongs to its own file (git C-quotes the special names in the header).
    assert by_path["-rf"]["patch"].startswith("diff --git a/-rf b/-rf\nnew file mode 100644\n")
    assert by_path["new\nline.txt"]["patch"].startswith('diff --git "a/new\\nline.txt" "b/new\\nline.txt"\n')

    filtered = run(repo, "diff", {"staged": True, "paths": ["--orphan", "-rf"]})
    assert [f["path"] for f in filtered["files"]] == ["--orphan", "-rf"]


def test_diff_flags_binary_files_without_a_text_patch(run: RunPlugin, repo: Path) -> None:
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00" + bytes(range(256)))
    git(repo, "add", "logo.png")
    [entry] = run(repo, "diff", {"staged": True})["files"]
    assert entry["binary"] is True
    assert (entry["additions"], entry["deletions"], entry["status"]) == (0, 0, "A")
    assert entry["patch"].endswith("Binary files /dev/null and b/logo.png differ\n")


def test_huge_diff_comes_back_capped_and_marked_truncated(run: RunPlugin, repo: Path) -> None:
    # ~6 MB of patch: beyond max_bytes, and beyond the host's 4 MiB cap on git's output (git
    # is stopped there, and what arrived is still used).
    lines = "".join(f"line {index:07} of a large generated file, padded out to sixty-four\n" for index in range(90_000))
    (repo / "big.txt").write_text(lines)
    (repo / "small.txt").write_text("small\n")
    git(repo, "add", "big.txt", "small.txt")

    capped = run(repo, "diff", {"staged": True, "max_bytes": 4096})
    big, small = capped["files"]
    assert capped["truncated"] is True
    assert (big["path"], big["additions"], big["patch_truncated"]) == ("big.txt", 90_000, True)
    assert 3000 < len(big["patch"].encode()) <= 4096
    assert big["patch"].startswith("diff --git a/big.txt b/big.txt\nnew file mode 100644\n")
    assert big["patch"].endswith("padded out to sixty-four\n"), "cut at a line end"
    assert (small["path"], small["additions"], small["patch"], small["patch_truncated"]) == ("small.txt", 1, "", True)
    assert (capped["file_count"], capped["additions"], capped["deletions"]) == (2, 90_001, 0)


def test_diff_within_max_bytes_is_whole_and_past_it_cut_between_files(run: RunPlugin, repo: Path) -> None:
    for name in ("a.txt", "b.txt", "c.txt"):
        (repo / name).write_text("".join(f"{name} line {i}\n" for i in range(100)))
    git(repo, "add", "a.txt", "b.txt", "c.txt")
    whole = run(repo, "diff", {"staged": True})
    sizes = [len(f["patch"].encode()) for f in whole["files"]]
    assert whole["truncated"] is False and min(sizes) > 1500
    budget = sizes[0] + sizes[1] // 2
    cut = run(repo, "diff", {"staged": True, "max_bytes": budget})
    a, b, c = cut["files"]
    assert (a["patch"], a["patch_truncated"]) == (whole["files"][0]["patch"], False)
    assert b["patch_truncated"] is True and whole["files"][1]["patch"].startswith(b["patch"])
    assert b["patch"].endswith("\n") and len(b["patch"].encode()) <= budget - sizes[0]
    assert (c["patch"], c["patch_truncated"], c["additions"]) == ("", True, 100)
    assert cut["truncated"] is True


def test_diff_paths_outside_the_project_are_invalid(run: RunPlugin, repo: Path) -> None:
    for path in ["../elsewhere", "/etc/passwd", "src/../../x"]:
        failure = refused(run, repo, "diff", {"paths": [path]})
        assert failure.kind == "invalid"
        assert path in failure.detail


# --- log -----------------------------------------------------------------------------------------


def test_log_pages_follows_a_ref_and_filters_by_path(run: RunPlugin, repo: Path) -> None:
    for index in range(5):
        (repo / "counter.txt").write_text(f"{index}\n")
        git(repo, "add", "counter.txt")
        git(repo, "commit", "-q", "-m", f"count {index}")
    git(repo, "branch", "old", "HEAD~3")

    page = run(repo, "log", {"n": 2})
    assert [c["subject"] for c in page["commits"]] == ["count 4", "count 3"]
    assert page["has_more"] is True
    last = run(repo, "log", {"n": 2, "skip": 4})
    assert ([c["subject"] for c in last["commits"]], last["has_more"]) == (["count 0", "Add greeting"], False)
    assert [c["subject"] for c in run(repo, "log", {"ref": "old"})["commits"]] == ["count 1", "count 0", "Add greeting"]
    assert [c["subject"] for c in run(repo, "log", {"ref": "old..main", "n": 5})["commits"]] == [
        "count 4",
        "count 3",
        "count 2",
    ]
    assert [c["subject"] for c in run(repo, "log", {"paths": ["greeting.txt"]})["commits"]] == ["Add greeting"]


def test_log_of_a_repository_without_commits_is_empty(run: RunPlugin, tmp_path: Path) -> None:
    project = tmp_path / "fresh"
    project.mkdir()
    git(project, "init", "-q")
    assert run(project, "log") == {"commits": [], "has_more": False}


def test_log_of_an_unknown_ref_is_invalid(run: RunPlugin, repo: Path) -> None:
    failure = refused(run, repo, "log", {"ref": "no-such-branch"})
    assert failure.kind == "invalid"
    assert "unknown revision 'no-such-branch'" in failure.detail


def test_log_refs_that_look_like_options_are_refused(run: RunPlugin, repo: Path, tmp_path: Path) -> None:
    for ref in ["--output=" + str(tmp_path / "written"), "-p", "--all", "main --all"]:
        failure = refused(run, repo, "log", {"ref": ref})
        assert failure.kind == "invalid"
        assert "not a valid revision" in failure.detail
    assert not (tmp_path / "written").exists()


# --- branches ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "--orphan",
        "-D",
        "-f",
        "--force",
        "a..b",
        "HEAD",
        "x.lock",
        "with space",
        "ends/",
        ".hidden",
        "a:b",
        "@",
        "x@{1}",
        "back\\slash",
    ],
)
def test_branch_names_git_would_refuse_or_read_as_options_are_invalid(run: RunPlugin, repo: Path, name: str) -> None:
    before = git(repo, "for-each-ref", "refs/heads/")
    for action in ("create", "switch"):
        failure = refused(run, repo, "branches", {"action": action, "name": name})
        assert failure.kind == "invalid"
        assert f"{name!r} is not a valid branch name" in failure.detail
    assert git(repo, "for-each-ref", "refs/heads/") == before
    assert git(repo, "branch", "--show-current") == "main\n"


def test_option_like_names_are_refused_with_the_reason(run: RunPlugin, repo: Path) -> None:
    failure = refused(run, repo, "branches", {"action": "create", "name": "--orphan"})
    assert failure.detail == (
        "'--orphan' is not a valid branch name: it starts with '-', so git would read it as an option"
    )
    failure = refused(run, repo, "branches", {"action": "create", "name": "ok", "start_point": "--all"})
    assert failure.kind == "invalid"
    assert "start_point '--all' is not a valid revision" in failure.detail


def test_branch_errors_from_git_are_clear(run: RunPlugin, repo: Path) -> None:
    missing = refused(run, repo, "branches", {"action": "switch", "name": "nope"})
    assert (missing.kind, "invalid reference: nope" in missing.detail) == ("failed", True)
    run(repo, "branches", {"action": "create", "name": "twice"})
    again = refused(run, repo, "branches", {"action": "create", "name": "twice"})
    assert "already exists" in again.detail
    unknown = refused(run, repo, "branches", {"action": "create", "name": "x", "start_point": "nowhere"})
    assert unknown.kind == "invalid"
    assert "names no commit" in unknown.detail
    nameless = refused(run, repo, "branches", {"action": "create"})
    assert (nameless.kind, nameless.detail) == ("invalid", "action create needs the branch name in `name`")


def test_switch_that_would_overwrite_changes_fails_and_changes_nothing(run: RunPlugin, repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "other")
    (repo / "greeting.txt").write_text("Other\n")
    git(repo, "commit", "-q", "-am", "other")
    git(repo, "switch", "-q", "main")
    (repo / "greeting.txt").write_text("Uncommitted\n")
    failure = refused(run, repo, "branches", {"action": "switch", "name": "other"})
    assert failure.kind == "failed"
    assert "would be overwritten" in failure.detail
    assert (repo / "greeting.txt").read_text() == "Uncommitted\n"
    assert git(repo, "branch", "--show-current") == "main\n"


# --- commit --------------------------------------------------------------------------------------


def test_commit_of_staged_changes_returns_the_new_commit(run: RunPlugin, repo: Path) -> None:
    git(repo, "config", "user.name", "Repo Owner")
    git(repo, "config", "user.email", "owner@example.com")
    (repo / "greeting.txt").write_text("Hello\nthere\n")
    git(repo, "add", "greeting.txt")
    result = run(repo, "commit", {"message": "Greet differently\n\nMore friendly.\n\n\n"})
    new = head(repo)
    assert result == {
        "hash": new,
        "short_hash": new[:7],
        "author_name": "Repo Owner",
        "author_email": "owner@example.com",
        "committer_name": "Repo Owner",
        "committer_email": "owner@example.com",
        "subject": "Greet differently",
        "files": [{"path": "greeting.txt", "status": "M", "renamed_from": None}],
        "branch": "main",
    }
    assert git(repo, "log", "-1", "--format=%B") == "Greet differently\n\nMore friendly.\n\n"
    assert git(repo, "status", "--porcelain") == ""


def test_commit_of_given_paths_adds_them_and_commits_only_them(run: RunPlugin, repo: Path) -> None:
    git(repo, "config", "user.name", "Repo Owner")
    git(repo, "config", "user.email", "owner@example.com")
    (repo / "README.md").write_text("# staged but not committed\n")
    git(repo, "add", "README.md")
    for name in ["--orphan", "-rf", "with space.txt", "new\nline.txt"]:
        (repo / name).write_text("x\n")
    (repo / "greeting.txt").unlink()

    result = run(
        repo,
        "commit",
        {
            "message": "--author=Mallory <m@example.com>",
            "paths": ["--orphan", "-rf", "with space.txt", "new\nline.txt", "greeting.txt"],
        },
    )
    assert result["subject"] == "--author=Mallory <m@example.com>"
    assert (result["author_name"], result["author_email"]) == ("Repo Owner", "owner@example.com")
    assert sorted((f["path"], f["status"]) for f in result["files"]) == [
        ("--orphan", "A"),
        ("-rf", "A"),
        ("greeting.txt", "D"),
        ("new\nline.txt", "A"),
        ("with space.txt", "A"),
    ]
    assert git(repo, "status", "--porcelain") == "M  README.md\n", "the other staged change stays staged"


def test_first_commit_of_a_new_repository_lists_its_files(run: RunPlugin, tmp_path: Path) -> None:
    project = tmp_path / "fresh"
    project.mkdir()
    git(project, "init", "-q")
    git(project, "config", "user.name", "Repo Owner")
    git(project, "config", "user.email", "owner@example.com")
    (project / "a.txt").write_text("a\n")
    (project / "b c.txt").write_text("b\n")
    result = run(project, "commit", {"message": "Initial", "paths": ["a.txt", "b c.txt"]})
    assert result["files"] == [
        {"path": "a.txt", "status": "A", "renamed_from": None},
        {"path": "b c.txt", "status": "A", "renamed_from": None},
    ]
    assert (result["hash"], result["branch"]) == (head(project), "main")


def test_commit_without_an_identity_fails_with_instructions_and_commits_nothing(
    run: RunPlugin, repo: Path, tmp_path: Path
) -> None:
    before = head(repo)
    (repo / "greeting.txt").write_text("Hello\n")
    git(repo, "add", "greeting.txt")
    user_home = tmp_path / "user-home"
    user_home.mkdir()  # a user without a ~/.gitconfig
    failure = refused(run, repo, "commit", {"message": "Who am I?"}, user_config_environment={"HOME": str(user_home)})
    assert failure.kind == "failed"
    assert "neither the project's repository nor your global git config sets user.email or user.name" in (
        failure.detail
    )
    assert '`git config user.name "Your Name"` and `git config user.email you@example.com`' in failure.detail
    assert head(repo) == before
    assert git(repo, "status", "--porcelain") == "M  greeting.txt\n"


def test_commit_with_nothing_to_commit_fails_clearly(run: RunPlugin, repo: Path) -> None:
    git(repo, "config", "user.name", "Repo Owner")
    git(repo, "config", "user.email", "owner@example.com")
    failure = refused(run, repo, "commit", {"message": "Nothing"})
    assert (failure.kind, failure.detail) == (
        "failed",
        "nothing to commit: stage changes first, or give the paths to commit",
    )
    missing = refused(run, repo, "commit", {"message": "Missing", "paths": ["no-such-file.txt"]})
    assert missing.kind == "failed"
    assert "pathspec 'no-such-file.txt' did not match any files" in missing.detail
    blank = refused(run, repo, "commit", {"message": "  \n "})
    assert (blank.kind, blank.detail) == ("invalid", "the commit message is empty")


# --- conflicts -----------------------------------------------------------------------------------


def test_conflicts_in_several_hunks_and_odd_names(run: RunPlugin, repo: Path) -> None:
    name = '-x conflict\n"file".txt'
    base = "".join(f"line {i}\n" for i in range(1, 21))
    (repo / name).write_text(base)
    git(repo, "add", "--", name)
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "switch", "-q", "-c", "theirs")
    (repo / name).write_text(base.replace("line 2\n", "theirs 2\n").replace("line 19\n", "theirs 19\n"))
    git(repo, "commit", "-q", "-am", "theirs")
    git(repo, "switch", "-q", "main")
    (repo / name).write_text(base.replace("line 2\n", "ours 2\nours 2b\n").replace("line 19\n", ""))
    git(repo, "commit", "-q", "-am", "ours")
    git(repo, "merge", "theirs", check=False)

    [entry] = run(repo, "conflicts")["files"]
    assert (entry["path"], entry["status"]) == (name, "UU")
    first, second = entry["hunks"]
    assert (first["start_line"], first["end_line"]) == (2, 7)
    assert (first["ours"]["text"], first["ours"]["start_line"], first["ours"]["line_count"]) == (
        "ours 2\nours 2b\n",
        3,
        2,
    )
    assert (first["theirs"]["text"], first["theirs"]["start_line"]) == ("theirs 2\n", 6)
    assert first["base"] is None
    lines = (repo / name).read_text().splitlines()
    assert lines[second["start_line"] - 1] == "<<<<<<< HEAD"
    assert lines[second["end_line"] - 1] == ">>>>>>> theirs"
    assert (second["ours"]["text"], second["ours"]["line_count"], second["theirs"]["text"]) == ("", 0, "theirs 19\n")


def test_status_and_diff_during_a_merge_show_the_conflict(run: RunPlugin, conflicted: Path) -> None:
    result = run(conflicted, "status")
    assert result["merge_in_progress"] is True
    assert result["conflicted"] == [{"path": "greeting.txt", "status": "UU"}]
    assert result["clean"] is False
    diff = run(conflicted, "diff")
    assert [(f["path"], f["status"], f["patch"]) for f in diff["files"]] == [("greeting.txt", "U", "")]


def test_conflicts_are_empty_when_nothing_conflicts(run: RunPlugin, repo: Path) -> None:
    assert run(repo, "conflicts") == {"merge_in_progress": False, "files": [], "truncated": False}


def test_conflict_text_is_capped_by_max_bytes(run: RunPlugin, repo: Path) -> None:
    (repo / "big.txt").write_text("base\n")
    git(repo, "add", "big.txt")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "switch", "-q", "-c", "theirs")
    (repo / "big.txt").write_text("theirs\n" * 2000)
    git(repo, "commit", "-q", "-am", "theirs")
    git(repo, "switch", "-q", "main")
    (repo / "big.txt").write_text("ours\n" * 2000)
    git(repo, "commit", "-q", "-am", "ours")
    git(repo, "merge", "theirs", check=False)

    result = run(repo, "conflicts", {"max_bytes": 1024})
    [hunk] = result["files"][0]["hunks"]
    assert result["truncated"] is True
    assert (hunk["ours"]["text"], hunk["ours"]["truncated"], hunk["ours"]["line_count"]) == ("", True, 2000)
    assert (hunk["start_line"], hunk["end_line"]) == (1, 4003)


# --- not a repository ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "value"),
    [
        ("status", {}),
        ("diff", {}),
        ("diff", {"staged": True}),
        ("log", {}),
        ("branches", {}),
        ("branches", {"action": "create", "name": "x"}),
        ("commit", {"message": "m", "paths": ["hello.txt"]}),
        ("conflicts", {}),
    ],
)
def test_a_directory_that_is_not_a_repository_gives_a_clear_error(
    run: RunPlugin, project: Path, command: str, value: dict[str, Any]
) -> None:
    failure = refused(run, project, command, value)
    assert failure.kind == "failed"
    assert failure.detail.startswith("the project is not a git repository: run `git init`")
    assert not (project / ".git").exists()


def test_a_project_inside_another_repository_does_not_use_it(run: RunPlugin, repo: Path) -> None:
    inner = repo / "sub"
    inner.mkdir()
    (inner / "file.txt").write_text("x")
    failure = refused(run, inner, "status")
    assert failure.detail.startswith("the project is not a git repository")
