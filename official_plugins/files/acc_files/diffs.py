"""Unified diffs of what a write did, in git's format (so `git apply` takes them too)."""

from __future__ import annotations

import difflib

#: The most diff text one command returns; the rest is cut (`diff_truncated`).
MAX_DIFF_CHARS = 256 * 1024
NO_NEWLINE = "\\ No newline at end of file"


def file_diff(path: str, before: str | None, after: str | None, *, context: int = 3) -> str:
    """The diff that turns `before` into `after` (None: the file does not exist)."""
    if before == after:
        return ""
    header = [f"diff --git a/{path} b/{path}"]
    if before is None:
        header.append("new file mode 100644")
    elif after is None:
        header.append("deleted file mode 100644")
    old_name = "/dev/null" if before is None else f"a/{path}"
    new_name = "/dev/null" if after is None else f"b/{path}"
    lines = list(
        difflib.unified_diff(
            (before or "").splitlines(keepends=True),
            (after or "").splitlines(keepends=True),
            fromfile=old_name,
            tofile=new_name,
            n=context,
        )
    )
    if not lines:  # both empty, one of them absent: a new or deleted empty file
        return "\n".join([*header, ""])
    body: list[str] = []
    for line in lines:
        if line.endswith("\n"):
            body.append(line)
        else:
            body.append(line + "\n" + NO_NEWLINE + "\n")
    return "\n".join(header) + "\n" + "".join(body)


def rename_diff(old: str, new: str) -> str:
    return f"diff --git a/{old} b/{new}\nsimilarity index 100%\nrename from {old}\nrename to {new}\n"


def binary_diff(path: str, *, deleted: bool) -> str:
    mode = "deleted file mode 100644" if deleted else "new file mode 100644"
    return f"diff --git a/{path} b/{path}\n{mode}\nBinary files differ\n"


def counts(diff: str) -> tuple[int, int]:
    """(added lines, removed lines) of a unified diff."""
    added = removed = 0
    for line in diff.splitlines():
        if line.startswith("+") and not line.startswith("+++ "):
            added += 1
        elif line.startswith("-") and not line.startswith("--- "):
            removed += 1
    return added, removed


def capped(diff: str, limit: int = MAX_DIFF_CHARS) -> tuple[str, bool]:
    """`diff` cut at a line end within `limit` characters, and whether it was cut."""
    if len(diff) <= limit:
        return diff, False
    cut = diff.rfind("\n", 0, limit)
    return diff[: cut + 1 if cut >= 0 else limit], True
