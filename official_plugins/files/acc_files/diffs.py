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
    old_lines = (before or "").splitlines(keepends=True)
    new_lines = (after or "").splitlines(keepends=True)
    body = _hunks(old_lines, new_lines, context)
    if not body:  # both empty, one of them absent: a new or deleted empty file
        return "\n".join([*header, ""])
    return "\n".join([*header, f"--- {old_name}", f"+++ {new_name}"]) + "\n" + "".join(_marked(body))


def _hunks(old: list[str], new: list[str], context: int) -> list[str]:
    """Hunk lines of a unified diff (headers included), as difflib.unified_diff makes them,
    but cheap for a small change in a long file.

    The lines the two sides share at the start and at the end are matched as they are
    (an edit touches a few lines of a long file), and difflib's matcher compares only the
    middle; a middle still too large to compare in reasonable time is one replacement.
    The opcodes are then grouped into hunks exactly as difflib groups them.
    """
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    old_mid, new_mid = old[prefix : len(old) - suffix], new[prefix : len(new) - suffix]
    if len(old_mid) * len(new_mid) > _MAX_COMPARED:
        middle = [("replace", 0, len(old_mid), 0, len(new_mid))]
    else:
        middle = difflib.SequenceMatcher(None, old_mid, new_mid).get_opcodes()
    codes: list[tuple[str, int, int, int, int]] = []
    if prefix:
        codes.append(("equal", 0, prefix, 0, prefix))
    codes += [(tag, i1 + prefix, i2 + prefix, j1 + prefix, j2 + prefix) for tag, i1, i2, j1, j2 in middle]
    if suffix:
        codes.append(("equal", len(old) - suffix, len(old), len(new) - suffix, len(new)))
    lines: list[str] = []
    for group in _grouped(_merged(codes), context):
        first, last = group[0], group[-1]
        lines.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [" " + line for line in old[i1:i2]]
                continue
            lines += ["-" + line for line in old[i1:i2]]
            lines += ["+" + line for line in new[j1:j2]]
    return lines


#: Above this many line pairs difflib can take seconds; the middle becomes one replacement.
_MAX_COMPARED = 50_000_000


def _merged(codes: list[tuple[str, int, int, int, int]]) -> list[tuple[str, int, int, int, int]]:
    merged: list[tuple[str, int, int, int, int]] = []
    for code in codes:
        if code[1] == code[2] and code[3] == code[4]:
            continue
        if merged and merged[-1][0] == code[0] == "equal":
            merged[-1] = ("equal", merged[-1][1], code[2], merged[-1][3], code[4])
        else:
            merged.append(code)
    return merged


def _grouped(codes: list[tuple[str, int, int, int, int]], n: int) -> list[list[tuple[str, int, int, int, int]]]:
    """difflib's SequenceMatcher.get_grouped_opcodes, over opcodes given."""
    if not codes:
        return []
    if codes[0][0] == "equal":
        tag, i1, i2, j1, j2 = codes[0]
        codes[0] = (tag, max(i1, i2 - n), i2, max(j1, j2 - n), j2)
    if codes[-1][0] == "equal":
        tag, i1, i2, j1, j2 = codes[-1]
        codes[-1] = (tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n))
    groups: list[list[tuple[str, int, int, int, int]]] = []
    group: list[tuple[str, int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > 2 * n:
            group.append((tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)))
            groups.append(group)
            group = []
            i1, j1 = max(i1, i2 - n), max(j1, j2 - n)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        groups.append(group)
    return groups


def _range(start: int, stop: int) -> str:
    """difflib's hunk range: 1-based start and length; an empty range names the line before."""
    length = stop - start
    beginning = start + 1
    if length == 1:
        return str(beginning)
    if not length:
        beginning -= 1
    return f"{beginning},{length}"


def _marked(lines: list[str]) -> list[str]:
    """Lines without a final newline get git's marker after them."""
    return [line if line.endswith("\n") else line + "\n" + NO_NEWLINE + "\n" for line in lines]


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
