"""Git repositories for the official plugins' tests, made with the git binary as a user would.

Always under a clean environment (no system or global config, fixed dates, identity
given with -c), never with the developer's ~/.gitconfig.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from host.capabilities.process.engine import SAFE_PATH

DATE = "2024-05-01T12:00:00+02:00"
ADA = ("-c", "user.name=Ada Lovelace", "-c", "user.email=ada@example.com")
# Names a shell, a careless parser or git's option parser would get wrong.
ODD_NAMES = ["with space.txt", "new\nline.txt", "quo\"te's.txt", "--orphan", "-rf", "tab\there.txt", "ünï.txt"]


def git(repo: Path, *args: str, check: bool = True, stdin: bytes = b"") -> str:
    """Set a repository up as a user would, with a fixed identity and date, and no one's config."""
    env = {
        "PATH": SAFE_PATH,
        "HOME": str(repo.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_AUTHOR_DATE": DATE,
        "GIT_COMMITTER_DATE": DATE,
        "LC_ALL": "C.UTF-8",
    }
    done = subprocess.run(
        ["git", *ADA, "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        env=env,
        input=stdin,
        capture_output=True,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {args} failed: {done.stderr.decode()}")
    return done.stdout.decode()


def head(repo: Path, rev: str = "HEAD") -> str:
    return git(repo, "rev-parse", rev).strip()


def blob(repo: Path, spec: str) -> str:
    """The short blob hash git prints on a patch's index line."""
    return git(repo, "rev-parse", "--short=7", spec).strip()


def make_repo(tmp_path: Path) -> Path:
    """A project with one commit: greeting.txt (two lines) and a README."""
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    (project / "greeting.txt").write_text("Hello\nWorld\n")
    (project / "README.md").write_text("# demo\n")
    git(project, "add", "greeting.txt", "README.md")
    git(project, "commit", "-q", "-m", "Add greeting")
    return project


def make_conflicted(repo: Path) -> Path:
    """A merge of `feature` into `main` stopped by a conflict in greeting.txt (diff3 style)."""
    git(repo, "switch", "-q", "-c", "feature")
    (repo / "greeting.txt").write_text("Bonjour\nWorld\n")
    git(repo, "commit", "-q", "-am", "French")
    git(repo, "switch", "-q", "main")
    (repo / "greeting.txt").write_text("Hi\nWorld\n")
    (repo / "README.md").write_text("# demo\nmain side\n")
    git(repo, "commit", "-q", "-am", "Casual")
    merged = subprocess.run(
        ["git", *ADA, "-c", "merge.conflictStyle=diff3", "merge", "feature"],
        cwd=repo,
        env={"PATH": SAFE_PATH, "HOME": str(repo.parent), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"},
        capture_output=True,
        check=False,
    )
    assert merged.returncode == 1, "the merge must stop on the conflict"
    return repo


def clean_status(commit: str | None, **changes: Any) -> dict[str, Any]:
    """What `git status` returns for a repository on main, with `changes` on top."""
    return {
        "branch": "main",
        "detached": False,
        "commit": commit,
        "upstream": None,
        "ahead": None,
        "behind": None,
        "staged": [],
        "unstaged": [],
        "untracked": [],
        "conflicted": [],
        "truncated": False,
        "merge_in_progress": False,
        "clean": not changes,
        **changes,
    }
