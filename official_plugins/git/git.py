"""git: the project's repository as structured JSON, for people and for agents.

Every command runs the real git through the `process` capability, where the host's git
policy applies (allowlisted subcommands, no options that run programs or reach outside
the project, a vetted repository, no network, the commit identity chosen by the host).
This module adds what the plugin owes on top: names a caller gives (paths, branches,
revisions) never reach git where it would read them as options. Paths always follow
`--`; branch names and revisions are checked first and follow `--end-of-options`.

Parsing lives in `gitparse` (pure, no IO); this module runs git and maps its failures
to clear errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import acc_plugin
import gitparse
from acc_plugin import Denied, Failed, Invalid

if TYPE_CHECKING:
    from acc_plugin._capabilities import Completed

NOT_A_REPOSITORY = (
    "the project is not a git repository: run `git init` in the project directory, or open "
    "the repository's top directory as the project (acc never uses a repository above it)"
)
_MAX_MESSAGE = 2000


# --- running git ----------------------------------------------------------------------------


def _git(args: list[str], *, stdin: bytes = b"", ok: tuple[int, ...] = (0,)) -> Completed:
    """Run git; a status outside `ok` becomes a clear error."""
    try:
        result = acc_plugin.process.run("git", args, stdin)
    except Denied as error:
        # The host refuses `git diff` outside a work tree (git would compare arbitrary
        # files there); for this plugin's callers that simply means "not a repository".
        if "work tree" in str(error):
            raise Failed(NOT_A_REPOSITORY) from None
        raise
    # Output past the host's cap is cut and git stopped (a negative status): what arrived
    # is a valid prefix, and each parser reports it as truncated.
    if result.status not in ok and not result.truncated:
        raise _git_failure(args, result)
    return result


def _git_failure(args: list[str], result: Completed) -> Exception:
    message = _message(result)
    if "not a git repository" in message:
        return Failed(NOT_A_REPOSITORY)
    return Failed(f"git {args[0]} failed: {message}")


def _message(result: Completed) -> str:
    text = result.stderr.decode("utf-8", "replace").strip() or result.text.strip()
    lines = [line.removeprefix("fatal: ").removeprefix("error: ") for line in text.splitlines()]
    return " ".join(line.strip() for line in lines if line.strip())[-_MAX_MESSAGE:] or (f"exit status {result.status}")


def _check_paths(paths: list[str] | None) -> list[str]:
    for path in paths or []:
        problem = gitparse.path_problem(path)
        if problem:
            raise Invalid(f"path {path!r} is not usable: {problem}")
    return list(paths or [])


def _check_branch(name: str) -> str:
    problem = gitparse.branch_name_problem(name)
    if problem:
        raise Invalid(f"{name!r} is not a valid branch name: {problem}")
    return name


def _check_revision(revision: str, what: str) -> str:
    problem = gitparse.revision_problem(revision)
    if problem:
        raise Invalid(f"{what} {revision!r} is not a valid revision: {problem}")
    return revision


def _merge_in_progress() -> bool:
    return _git(["rev-parse", "--quiet", "--verify", "MERGE_HEAD"], ok=(0, 1)).status == 0


def _current_branch() -> str | None:
    head = _git(["symbolic-ref", "--quiet", "HEAD"], ok=(0, 1))
    ref = head.text.strip()
    return ref.removeprefix("refs/heads/") if head.status == 0 and ref.startswith("refs/heads/") else None


# --- status ---------------------------------------------------------------------------------


@acc_plugin.command("status")
def status(untracked: str = "normal", max_files: int = 1000) -> dict[str, Any]:
    if untracked not in ("normal", "all", "no"):  # the schema says so; an option must not slip in
        raise Invalid(f"untracked must be normal, all or no, not {untracked!r}")
    out = _git(
        ["status", "--porcelain=v2", "--branch", "-z", "--ahead-behind", "--renames", f"--untracked-files={untracked}"]
    )
    result = gitparse.parse_status(out.stdout, truncated=out.truncated, max_files=max_files)
    result["merge_in_progress"] = _merge_in_progress()
    result["clean"] = not any(result[key] for key in ("staged", "unstaged", "untracked", "conflicted"))
    return result


# --- diff -----------------------------------------------------------------------------------


@acc_plugin.command("diff")
def diff(
    staged: bool = False, paths: list[str] | None = None, max_bytes: int = 262144, max_files: int = 1000
) -> dict[str, Any]:
    selected = _check_paths(paths)
    args = [
        "diff",
        "--raw",
        "--numstat",
        "--patch",
        "-z",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--find-renames",
        "--src-prefix=a/",
        "--dst-prefix=b/",
    ]
    if staged:
        args.append("--cached")
    out = _git([*args, "--", *selected])
    result = gitparse.parse_diff(out.stdout, truncated=out.truncated, max_bytes=max_bytes, max_files=max_files)
    return {"staged": staged, **result}


# --- log ------------------------------------------------------------------------------------


@acc_plugin.command("log")
def log(n: int = 20, ref: str | None = None, paths: list[str] | None = None, skip: int = 0) -> dict[str, Any]:
    selected = _check_paths(paths)
    args = [
        "log",
        "-z",
        f"--format={gitparse.LOG_FORMAT}",
        "--encoding=UTF-8",
        "--no-color",
        f"--max-count={n + 1}",
        f"--skip={skip}",
    ]
    if ref is not None:
        args += ["--end-of-options", _check_revision(ref, "ref")]
    out = acc_plugin.process.run("git", [*args, "--", *selected])
    if out.status != 0:
        message = _message(out)
        if "does not have any commits yet" in message:
            return {"commits": [], "has_more": False}
        if "unknown revision" in message or "bad revision" in message:
            raise Invalid(f"unknown revision {ref!r}: {message}")
        raise _git_failure(args, out)
    commits = gitparse.parse_log(out.stdout)
    return {"commits": commits[:n], "has_more": len(commits) > n or out.truncated}


# --- branches -------------------------------------------------------------------------------


@acc_plugin.command("branches")
def branches(action: str = "list", name: str | None = None, start_point: str | None = None) -> dict[str, Any]:
    if action == "list":
        if name is not None or start_point is not None:
            raise Invalid("action list takes no name or start_point")
        listed = _git(["for-each-ref", f"--format={gitparse.BRANCH_FORMAT}", "refs/heads/"])
        current = _current_branch()
        has_commit = _git(["rev-parse", "--verify", "--quiet", "HEAD"], ok=(0, 1)).status == 0
        return {
            "action": "list",
            "current": current,
            "detached": current is None and has_commit,
            "branches": gitparse.parse_branches(listed.stdout),
        }
    if name is None:
        raise Invalid(f"action {action} needs the branch name in `name`")
    _check_branch(name)
    if action == "create":
        args = ["branch", "--end-of-options", name]
        if start_point is not None:
            args.append(_check_revision(start_point, "start_point"))
        created = acc_plugin.process.run("git", args)
        if created.status != 0:
            if "not a valid object name" in _message(created):
                raise Invalid(f"start_point {start_point!r} names no commit: {_message(created)}")
            raise _git_failure(args, created)
    elif action == "switch":
        if start_point is not None:
            raise Invalid("action switch takes no start_point (create the branch first)")
        _git(["switch", "--no-guess", "--end-of-options", name])
    else:  # the schema allows only the three actions
        raise Invalid(f"unknown action {action!r}: use list, create or switch")
    commit = _git(["rev-parse", "--verify", "--end-of-options", f"refs/heads/{name}"]).text.strip()
    return {"action": action, "branch": name, "commit": commit, "current": _current_branch()}


# --- commit ---------------------------------------------------------------------------------


@acc_plugin.command("commit")
def commit(message: str, paths: list[str] | None = None) -> dict[str, Any]:
    if not message.strip():
        raise Invalid("the commit message is empty")
    selected = _check_paths(paths)
    if selected:
        _git(["add", "--", *selected])
    args = ["commit", "--quiet", "--cleanup=whitespace", "-F", "-"]
    if selected:
        args += ["--", *selected]
    try:
        result = acc_plugin.process.run("git", args, message.encode("utf-8"))
    except Failed as error:
        staged_note = " (the paths were staged with git add, but nothing was committed)" if selected else ""
        raise Failed(f"{error}{staged_note}") from None
    if result.status != 0:
        text = _message(result)
        if any(
            phrase in text for phrase in ("nothing to commit", "nothing added to commit", "no changes added to commit")
        ):
            raise Failed("nothing to commit: stage changes first, or give the paths to commit")
        raise _git_failure(args, result)
    shown = _git(
        [
            "log",
            "-1",
            "-z",
            "--name-status",
            "--find-renames",
            "--encoding=UTF-8",
            f"--format={gitparse.COMMIT_FORMAT}",
            "HEAD",
            "--",
        ]
    )
    summary = gitparse.parse_commit_summary(shown.stdout)
    summary["branch"] = _current_branch()
    return summary


# --- conflicts ------------------------------------------------------------------------------


@acc_plugin.command("conflicts")
def conflicts(paths: list[str] | None = None, max_bytes: int = 262144) -> dict[str, Any]:
    selected = _check_paths(paths)
    listed = _git(["status", "--porcelain=v2", "-z", "--untracked-files=no", "--", *selected])
    state = gitparse.parse_status(listed.stdout, truncated=listed.truncated, max_files=100000)
    unmerged = state["conflicted"]
    lines: dict[str, list[str]] = {}
    truncated = state["truncated"]
    if unmerged:
        # git grep reads the work tree's copy of each file, markers and all; the empty
        # pattern matches every line, -I skips binary files (git writes no markers in
        # those), :(literal) keeps names with * or [ from being read as globs.
        grep = _git(
            [
                "grep",
                "--no-color",
                "-I",
                "-n",
                "-z",
                "--full-name",
                "-F",
                "-e",
                "",
                "--",
                *(f":(literal){entry['path']}" for entry in unmerged),
            ],
            ok=(0, 1),
        )
        lines = gitparse.parse_grep_lines(grep.stdout)
        truncated = truncated or grep.truncated
    budget = max_bytes
    files = []
    for entry in unmerged:
        hunks, cut = gitparse.find_conflict_hunks(lines.get(entry["path"], []), budget)
        budget -= sum(len(s["text"].encode()) for h in hunks for s in (h["ours"], h["base"], h["theirs"]) if s)
        truncated = truncated or cut
        files.append({"path": entry["path"], "status": entry["status"], "hunks": hunks})
    return {"merge_in_progress": _merge_in_progress(), "files": files, "truncated": truncated}
