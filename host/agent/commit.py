"""`acc agent run --commit`: the agent's changes committed through the git plugin when a run succeeds.

    before the run  `take_baseline`: the project's git status, through the git plugin.
                    Uncommitted changes to tracked files (or a merge under way) refuse the
                    run: a commit of "the agent's changes" would take the user's along.
                    Untracked files already there are remembered and left out.
    after the run   `commit_changes`, only when the model ended its turn (a run stopped by a
                    budget, Ctrl-C, its own max_tokens or an error commits nothing):
                    1. git status again. The agent's changes are every changed tracked file
                       and every untracked file that was not there before. None: nothing to
                       commit, said plainly.
                    2. The message: one more request to the model, without tools, showing it
                       the task, its final answer, the changed files and their diff, and
                       asking for a subject line and a body. It is a request like the run's
                       others: it needs a turn and tokens left in the run's budgets, and
                       counts in them.
                    3. git commit through the git plugin, of exactly those paths (literal
                       pathspecs: a file named `*.py` is that file, not a glob). The author
                       and committer are the user, from their git config: the git profile
                       sets them, and neither the plugin nor the model can choose them.

Why a request of its own rather than the final answer: the answer is written to the user
(what was done, what is left, in any shape), while a commit message has git's shape and
describes the diff. Asking for it with the diff in hand gets that shape, and an empty
answer is caught before anything is committed.

The host runs no git of its own: every git command is the git plugin's, in its sandbox,
under the user's `process` grant. Whatever stops the commit after the run (a budget, the
API, the git plugin) leaves the changes in the work tree and says why.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from host.agent.budget import Spent
from host.agent.transcript import Transcript
from host.errors import AgentError, InputError
from host.messages import OutOfTime
from sdk.errors import AccError
from sdk.terminal_text import printable

if TYPE_CHECKING:
    from host.messages import MessagesClient
    from host.runner import PluginHost

GIT = "git"
#: The git plugin's commit and diff take at most this many paths (their input schemas).
MAX_COMMIT_PATHS = 100
#: Files a status may list; a project with more untracked files than this cannot be told apart.
MAX_STATUS_FILES = 10_000
#: How much of the diff and of the final answer the message request shows the model.
MAX_DIFF_CHARS = 40_000
MAX_ANSWER_CHARS = 8_000
#: A commit message needs no more; the run's own output budget may allow less.
MESSAGE_MAX_TOKENS = 1_024

COMMITTED = "committed"
NOTHING_TO_COMMIT = "nothing to commit"
NOT_COMMITTED = "not committed"

NO_COMMIT_HINT = "--commit needs the git plugin installed with its process grant, in a git repository"
#: git status letters (of `staged` and `unstaged` entries) in words, for the message request.
CHANGE_WORDS = {"M": "modified", "A": "added", "D": "deleted", "R": "renamed", "C": "copied", "T": "type changed"}

MESSAGE_SYSTEM = "You write git commit messages. Answer with the commit message only."
MESSAGE_INSTRUCTIONS = (
    "Write the git commit message for these changes: a subject line of at most 72 characters in the "
    'imperative mood ("Fix ...", "Add ..."), a blank line, then a short body saying what changed and why, '
    "wrapped at 72 characters. Answer with the message only: no preamble, no code fence."
)


@dataclass(frozen=True)
class Baseline:
    """The project's git state before the run: the untracked files that are not the agent's."""

    untracked: frozenset[str]


@dataclass(frozen=True)
class Change:
    path: str
    what: str  # "modified", "deleted", "new file", "renamed to X", ...


@dataclass(frozen=True)
class CommitOutcome:
    """What `--commit` did: `status` is COMMITTED, NOTHING_TO_COMMIT or NOT_COMMITTED."""

    status: str
    detail: str = ""
    #: Why nothing was committed: "run" (the run did not finish), "budget", "interrupted" or
    #: "error"; "" when committed or when there was nothing to commit.
    reason: str = ""
    commit: str = ""
    branch: str = ""
    message: str = ""
    files: tuple[str, ...] = ()
    author: str = ""

    @property
    def subject(self) -> str:
        return self.message.partition("\n")[0]

    def record(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "detail": self.detail or None,
            "reason": self.reason or None,
            "commit": self.commit or None,
            "branch": self.branch or None,
            "message": self.message or None,
            "files": list(self.files),
            "author": self.author or None,
        }


def take_baseline(host: PluginHost) -> Baseline:
    """The project's state before a `--commit` run; refuses a project the commit would mix up.

    Raises InputError (before anything else of the run happens) when the git plugin cannot
    read the status (not installed, not granted, not a repository) or the work tree has
    uncommitted changes to tracked files, conflicts, a merge under way, or too many files."""
    try:
        status = _status(host)
    except AccError as e:
        raise InputError(
            f"--commit commits through the git plugin, which could not read the project's status: {e.message}",
            hint=e.hint or f"{NO_COMMIT_HINT}; or run without --commit",
        ) from e
    dirty = sorted(
        {entry["path"] for side in ("staged", "unstaged") for entry in status[side]}
        | {entry["path"] for entry in status["conflicted"]}
    )
    if dirty:
        raise InputError(
            f"--commit: the project has uncommitted changes ({_some(dirty)}), and a commit of the agent's "
            "changes would take them along",
            hint="commit or stash them first (git stash -u), or run without --commit",
        )
    if status["merge_in_progress"]:
        raise InputError("--commit: a merge is under way in the project", hint="finish or abort it first")
    if status["truncated"]:
        raise InputError(
            f"--commit: the project has more than {MAX_STATUS_FILES:,} untracked files, too many to tell the "
            "agent's new files from them",
            hint="list what should not be committed in .gitignore, or run without --commit",
        )
    return Baseline(frozenset(status["untracked"]))


def changes_since(baseline: Baseline, status: dict[str, Any]) -> list[Change]:
    """The agent's changes: every changed tracked path (both sides of a rename) and every
    untracked file that the baseline did not have, in path order."""
    changes: dict[str, str] = {}
    for side in ("staged", "unstaged"):
        for entry in status[side]:
            letter = entry["status"]
            old = entry.get("renamed_from")
            if letter in ("R", "C") and isinstance(old, str):
                changes.setdefault(entry["path"], f"{CHANGE_WORDS[letter]} from {old}")
                if letter == "R":
                    changes.setdefault(old, f"renamed to {entry['path']}")
            else:
                changes.setdefault(entry["path"], CHANGE_WORDS.get(letter, "changed"))
    for path in status["untracked"]:
        if path not in baseline.untracked:
            changes.setdefault(path, "new file")
    return [Change(path, what) for path, what in sorted(changes.items())]


def literal(path: str) -> str:
    """`path` as a literal git pathspec: no glob or other magic in the name is obeyed."""
    return f":(literal){path}"


def message_request(
    model: str, task: str, answer: str, changes: list[Change], diff: str, max_tokens: int
) -> dict[str, Any]:
    """The Messages request that asks for the commit message (no tools: one answer)."""
    files = "\n".join(f"- {change.path} ({change.what})" for change in changes)
    shown_diff = diff if len(diff) <= MAX_DIFF_CHARS else diff[:MAX_DIFF_CHARS] + "\n[the diff is cut here]"
    shown_answer = answer if len(answer) <= MAX_ANSWER_CHARS else answer[:MAX_ANSWER_CHARS] + "\n[cut]"
    prompt = (
        f"An agent carried out this task on a git repository:\n\n<task>\n{task}\n</task>\n\n"
        f"Its final answer was:\n\n<answer>\n{shown_answer}\n</answer>\n\n"
        f"The files it changed:\n{files}\n\n"
        f"The diff of the changed tracked files (new files are listed above):\n\n<diff>\n{shown_diff}\n</diff>\n\n"
        f"{MESSAGE_INSTRUCTIONS}"
    )
    return {
        "model": model,
        "max_tokens": max_tokens,
        "system": MESSAGE_SYSTEM,
        "messages": [{"role": "user", "content": prompt}],
    }


def message_from(text: str) -> str:
    """The commit message in the model's answer: a code fence around it removed, control
    characters made visible (a message must not drive the terminal of whoever reads the
    log), trailing spaces dropped. "" when there is none."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n")]
    if len(lines) >= 2 and lines[0].startswith("```") and lines[-1] == "```":
        lines = lines[1:-1]
    return printable("\n".join(lines).strip(), multiline=True)


def commit_changes(
    host: PluginHost,
    client: MessagesClient,
    *,
    model: str,
    task: str,
    answer: str,
    baseline: Baseline,
    spent: Spent,
    transcript: Transcript,
    deadline: float,
    stop: threading.Event,
) -> CommitOutcome:
    """After a run that finished: commit what it changed (see the module docstring). Never
    raises for what goes wrong; the outcome says it."""
    try:
        status = _status(host)
    except AccError as e:
        return _not_committed(f"the git plugin could not read the project's status: {e.diagnostics()}")
    if status["conflicted"] or status["merge_in_progress"]:
        return _not_committed("the project has merge conflicts")
    if status["truncated"]:
        return _not_committed(f"the project has more than {MAX_STATUS_FILES:,} changed or untracked files")
    changes = changes_since(baseline, status)
    if not changes:
        return CommitOutcome(NOTHING_TO_COMMIT, "the run changed no files")
    paths = [literal(change.path) for change in changes]
    if len(paths) > MAX_COMMIT_PATHS:
        return _not_committed(
            f"the run changed {len(paths)} files, more than the git plugin commits at once ({MAX_COMMIT_PATHS})"
        )
    try:
        diff = _diff(host, paths)
    except AccError as e:
        return _not_committed(f"the git plugin could not show the diff: {e.diagnostics()}")

    hit = spent.before_turn()
    if hit:
        return _not_committed(
            f"the run's budget is spent ({hit}), and the commit message needs one more request", reason="budget"
        )
    if stop.is_set():
        return _not_committed("interrupted before the commit message was asked for", reason="interrupted")
    body = message_request(model, task, answer, changes, diff, min(MESSAGE_MAX_TOKENS, spent.max_tokens()))
    transcript.write("commit_request", body=body)
    try:
        response = client.create(deadline, **body)
    except OutOfTime:
        return _not_committed(
            f"the run's wall time ({spent.budgets.max_seconds:g} s) ran out while the model wrote the commit message",
            reason="budget",
        )
    except AgentError as e:
        return _not_committed(f"the model could not be asked for the commit message: {e.diagnostics()}")
    spent.turns += 1
    spent.add_usage(response)
    transcript.write("commit_response", body=response.model_dump(mode="json"))
    if response.stop_reason == "max_tokens":
        return _not_committed("the commit message the model wrote was cut at max_tokens", reason="budget")
    written = "\n".join(block.text for block in response.content if block.type == "text")
    message = message_from(written)
    if not message:
        return _not_committed("the model wrote no commit message")

    if stop.is_set():
        return _not_committed("interrupted before the commit", reason="interrupted")
    try:
        done = host.run(GIT, "commit", {"message": message, "paths": paths})
    except AccError as e:
        return _not_committed(f"git commit failed: {e.diagnostics()}")
    if not isinstance(done, dict) or not isinstance(done.get("hash"), str):
        return _not_committed("the git plugin's commit result has no commit hash")
    committed = done.get("files")
    return CommitOutcome(
        COMMITTED,
        commit=done["hash"],
        branch=str(done.get("branch") or ""),
        message=message,
        files=tuple(str(f["path"]) for f in committed if isinstance(f, dict) and isinstance(f.get("path"), str))
        if isinstance(committed, list)
        else (),
        author=f"{done.get('author_name', '')} <{done.get('author_email', '')}>",
    )


def _not_committed(detail: str, reason: str = "error") -> CommitOutcome:
    return CommitOutcome(NOT_COMMITTED, detail, reason=reason)


def _status(host: PluginHost) -> dict[str, Any]:
    """The git plugin's status (untracked files listed one by one), checked for the shape used here."""
    status = host.run(GIT, "status", {"untracked": "all", "max_files": MAX_STATUS_FILES})
    if not isinstance(status, dict):
        raise AgentError("the git plugin's status is not a JSON object", hint="is `git` the official git plugin?")
    checked: dict[str, Any] = {
        "truncated": status.get("truncated") is True,
        "merge_in_progress": status.get("merge_in_progress") is True,
    }
    for side in ("staged", "unstaged", "conflicted"):
        entries = status.get(side, [])
        if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("path"), str) and isinstance(e.get("status", ""), str)
            for e in entries
        ):
            raise AgentError(f"the git plugin's status has a malformed {side!r} list")
        checked[side] = entries
    untracked = status.get("untracked", [])
    if not isinstance(untracked, list) or not all(isinstance(p, str) for p in untracked):
        raise AgentError("the git plugin's status has a malformed 'untracked' list")
    checked["untracked"] = untracked
    return checked


def _diff(host: PluginHost, paths: list[str]) -> str:
    """The staged and unstaged patches of `paths` (untracked files have none)."""
    patches = []
    for staged in (True, False):
        result = host.run(GIT, "diff", {"staged": staged, "paths": paths, "max_bytes": MAX_DIFF_CHARS})
        for entry in result.get("files", []) if isinstance(result, dict) else []:
            patch = entry.get("patch") if isinstance(entry, dict) else None
            if isinstance(patch, str):
                patches.append(patch)
    return "".join(patches)


def _some(paths: list[str], shown: int = 5) -> str:
    more = f" and {len(paths) - shown} more" if len(paths) > shown else ""
    return ", ".join(paths[:shown]) + more
