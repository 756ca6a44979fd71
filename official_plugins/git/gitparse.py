"""The pure core of the git plugin: parse git's machine-readable output, check names.

Nothing here runs git or touches files: each function takes what git printed (bytes)
or what the caller asked for (strings) and returns plain data, so it runs the same on a
normal CPython as inside the component. `git.py` is the shell that runs git.

Every parser is written for output that may have been cut short (the host caps a
program's output and says so): a record that is not complete is dropped, never guessed.
Names are decoded as UTF-8; bytes that are not UTF-8 become U+FFFD.
"""

from __future__ import annotations

import re
from typing import Any

# --- names -------------------------------------------------------------------------------

#: Characters git refuses in ref names (`git check-ref-format`): controls, space and
#: the revision syntax characters ~ ^ : ? * [ and backslash.
_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
_MAX_REF_BYTES = 255  # the usual file-name limit: a longer branch could not be stored
_MAX_REVISION_CHARS = 256


def branch_name_problem(name: str) -> str | None:
    """Why `name` cannot be a branch name, or None (`git check-ref-format --branch`).

    Checked before git sees the name, so a name such as `--orphan` or `-D` is refused
    with a clear message instead of being read as an option.
    """
    if not name:
        return "it is empty"
    if name.startswith("-"):
        return "it starts with '-', so git would read it as an option"
    if name == "HEAD":
        return "HEAD is git's name for the current commit"
    if len(name.encode("utf-8", "surrogatepass")) > _MAX_REF_BYTES:
        return f"it is longer than {_MAX_REF_BYTES} bytes"
    forbidden = _REF_FORBIDDEN.search(name)
    if forbidden:
        return f"it contains {forbidden.group()!r} (no spaces, control characters or ~^:?*[\\)"
    if ".." in name:
        return "it contains '..'"
    if "@{" in name:
        return "it contains '@{'"
    if name == "@":
        return "'@' alone is git's shorthand for HEAD"
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return "it has an empty path component (a leading, trailing or doubled '/')"
    if name.endswith("."):
        return "it ends with '.'"
    for component in name.split("/"):
        if component.startswith("."):
            return f"its component {component!r} starts with '.'"
        if component.endswith(".lock"):
            return f"its component {component!r} ends with '.lock'"
    return None


def revision_problem(revision: str) -> str | None:
    """Why `revision` is not acceptable as a revision (HEAD~2, main, v1.0, a hash), or None."""
    if not revision:
        return "it is empty"
    if revision.startswith("-"):
        return "it starts with '-', so git would read it as an option"
    if len(revision) > _MAX_REVISION_CHARS:
        return f"it is longer than {_MAX_REVISION_CHARS} characters"
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in revision):
        return "it contains whitespace or a control character"
    return None


def path_problem(path: str) -> str | None:
    """Why `path` is not a path (or git pathspec) relative to the project, or None."""
    if not path:
        return "it is empty"
    if "\0" in path:
        return "it contains a NUL byte"
    if path.startswith("/"):
        return "it is absolute; give paths relative to the project's top directory"
    depth = 0
    for part in path.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return "it leads outside the project"
        elif part not in ("", "."):
            depth += 1
    return None


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


# --- git status --porcelain=v2 --branch -z --------------------------------------------------


def parse_status(out: bytes, *, truncated: bool, max_files: int) -> dict[str, Any]:
    """Parse `git status --porcelain=v2 --branch -z` into branch and file lists.

    Each file appears once per side it changed on: `staged` (index against HEAD, git's X
    letter), `unstaged` (work tree against index, the Y letter), `untracked`, or
    `conflicted` (unmerged, with both letters, e.g. "UU" or "DU").
    """
    fields = out.split(b"\0")
    # The last field is empty after a complete record, or a record cut short.
    fields.pop()
    result: dict[str, Any] = {
        "branch": None,
        "detached": False,
        "commit": None,
        "upstream": None,
        "ahead": None,
        "behind": None,
        "staged": [],
        "unstaged": [],
        "untracked": [],
        "conflicted": [],
    }
    listed = 0
    index = 0
    while index < len(fields):
        record = fields[index]
        index += 1
        kind = record[:2]
        if kind == b"# ":
            _status_header(_text(record[2:]), result)
            continue
        if listed >= max_files:
            truncated = True
            break
        if kind == b"1 ":
            parts = record.split(b" ", 8)
            if len(parts) < 9:
                continue
            _status_change(result, _text(parts[1]), _text(parts[8]), None)
        elif kind == b"2 ":
            parts = record.split(b" ", 9)
            if len(parts) < 10 or index >= len(fields):
                truncated = True
                break
            original = fields[index]
            index += 1
            _status_change(result, _text(parts[1]), _text(parts[9]), _text(original))
        elif kind == b"u ":
            parts = record.split(b" ", 10)
            if len(parts) < 11:
                continue
            result["conflicted"].append({"path": _text(parts[10]), "status": _text(parts[1])})
        elif kind == b"? ":
            result["untracked"].append(_text(record[2:]))
        else:
            continue  # "! ignored" (not asked for) or a future record type
        listed += 1
    result["truncated"] = truncated
    return result


def _status_header(line: str, result: dict[str, Any]) -> None:
    key, _, value = line.partition(" ")
    if key == "branch.oid":
        result["commit"] = None if value == "(initial)" else value
    elif key == "branch.head":
        if value == "(detached)":
            result["detached"] = True
        else:
            result["branch"] = value
    elif key == "branch.upstream":
        result["upstream"] = value
    elif key == "branch.ab":
        match = re.fullmatch(r"\+(\d+) -(\d+)", value)
        if match:
            result["ahead"], result["behind"] = int(match[1]), int(match[2])


def _status_change(result: dict[str, Any], xy: str, path: str, original: str | None) -> None:
    for side, letter in (("staged", xy[:1]), ("unstaged", xy[1:2])):
        if letter and letter != ".":
            renamed_from = original if letter in "RC" else None
            result[side].append({"path": path, "status": letter, "renamed_from": renamed_from})


# --- git diff --raw --numstat --patch -z -------------------------------------------------------

_CHUNK_START = re.compile(rb"^(?:diff --git |diff --cc |diff --combined |\* Unmerged path )", re.M)


def parse_diff(out: bytes, *, truncated: bool, max_bytes: int, max_files: int) -> dict[str, Any]:
    """Parse `git diff --raw --numstat --patch -z` into one entry per file.

    Git prints three sections: raw records (`:modes hashes STATUS\\0path\\0`, with the old
    path too for renames and copies), numstat records in the same order, a NUL, then the
    patch text. Paths come from the raw records (exact, NUL-separated); each file's patch
    is the next `diff --git` chunk. Unmerged paths (during a conflict) have no patch of
    their own here and are listed with status "U".

    At most `max_bytes` of patch text is returned: the patch that crosses the limit is
    cut at a line end, later ones are empty, and each cut file says `patch_truncated`.
    """
    files: list[dict[str, Any]] = []
    position = 0
    size = len(out)

    def field() -> bytes | None:
        nonlocal position
        end = out.find(b"\0", position)
        if end < 0:
            return None
        value = out[position:end]
        position = end + 1
        return value

    complete = True
    # Raw records.
    while position < size and out[position : position + 1] == b":":
        meta = field()
        if meta is None:
            complete = False
            break
        if meta.startswith(b"::"):  # a combined (unmerged) record: one path, no numstat
            path = field()
            if path is None:
                complete = False
                break
            files.append(_diff_file(_text(path), None, "U", combined=True))
            continue
        status = _text(meta.rsplit(b" ", 1)[-1])
        letter = status[:1] or "?"
        first = field()
        second = field() if letter in ("R", "C") else b""
        if first is None or second is None:
            complete = False
            break
        if letter in ("R", "C"):
            files.append(_diff_file(_text(second), _text(first), letter, combined=False))
        else:
            files.append(_diff_file(_text(first), None, letter, combined=False))

    # Numstat records, one per non-combined raw record.
    combined = [entry.pop("_combined") for entry in files]
    for entry, is_combined in zip(files, combined, strict=True):
        if is_combined:
            continue
        if not complete:
            break
        counts = _numstat(out, position)
        if counts is None:
            complete = False
            break
        added, deleted, position = counts
        entry["binary"] = added is None
        entry["additions"] = added or 0
        entry["deletions"] = deleted or 0

    if complete and out[position : position + 1] == b"\0":
        position += 1
    chunks = _git_chunks(out[position:]) if complete else []

    budget = max_bytes
    listed: list[dict[str, Any]] = []
    for entry in files:
        patch = b""
        cut = False
        if entry["status"] != "U":
            if chunks:
                patch = chunks.pop(0)
                # The chunk git was writing when its output was capped is incomplete.
                cut = truncated and not chunks
            else:
                cut = truncated or not complete
        if len(patch) > budget:
            keep = patch.rfind(b"\n", 0, budget) + 1
            patch, cut = patch[:keep], True
        budget -= len(patch)
        entry["patch"] = _text(patch)
        entry["patch_truncated"] = cut
        if len(listed) < max_files:
            listed.append(entry)
    any_cut = any(entry["patch_truncated"] for entry in files)
    return {
        "files": listed,
        "file_count": len(files),
        "additions": sum(entry["additions"] for entry in files),
        "deletions": sum(entry["deletions"] for entry in files),
        "truncated": any_cut or len(files) > len(listed) or not complete,
    }


def _diff_file(path: str, old_path: str | None, status: str, *, combined: bool) -> dict[str, Any]:
    return {
        "path": path,
        "old_path": old_path,
        "status": status,
        "additions": 0,
        "deletions": 0,
        "binary": False,
        "_combined": combined,
    }


def _numstat(out: bytes, position: int) -> tuple[int | None, int | None, int] | None:
    """One `added\\tdeleted\\tpath\\0` (or `...\\t\\0old\\0new\\0`) record at `position`."""
    first_tab = out.find(b"\t", position)
    second_tab = out.find(b"\t", first_tab + 1) if first_tab >= 0 else -1
    if second_tab < 0:
        return None
    added, deleted = out[position:first_tab], out[first_tab + 1 : second_tab]
    position = second_tab + 1
    names = 2 if out[position : position + 1] == b"\0" else 1  # a rename: empty, old, new
    if names == 2:
        position += 1
    for _ in range(names):
        end = out.find(b"\0", position)
        if end < 0:
            return None
        position = end + 1
    if added == b"-":
        return None, None, position  # binary
    if not (added.isdigit() and deleted.isdigit()):
        return None
    return int(added), int(deleted), position


def _git_chunks(patch: bytes) -> list[bytes]:
    """The `diff --git` chunks of a patch, in order (combined and unmerged ones skipped)."""
    starts = [match.start() for match in _CHUNK_START.finditer(patch)]
    chunks = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(patch)
        if patch.startswith(b"diff --git ", start):
            chunks.append(patch[start:end])
    return chunks


# --- git log -z --format=... -----------------------------------------------------------------

#: The fields of LOG_FORMAT, in order; the body comes last because only it may hold newlines.
LOG_FIELDS = ("hash", "short_hash", "author_name", "author_email", "date", "parents", "subject", "body")
LOG_FORMAT = "%H%x00%h%x00%an%x00%ae%x00%aI%x00%P%x00%s%x00%b"
_HASH = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def parse_log(out: bytes) -> list[dict[str, Any]]:
    """Parse `git log -z --format=LOG_FORMAT`: each commit is its fields, then a NUL.

    A commit message cannot contain NUL (git commit refuses one), so the fields of each
    commit are exactly len(LOG_FIELDS) NUL-terminated strings. A record cut short, or one
    that does not start with a full hash, ends the list.
    """
    fields = out.split(b"\0")
    fields.pop()  # empty after the last terminator, or the start of a cut record
    width = len(LOG_FIELDS)
    commits = []
    for start in range(0, len(fields) - width + 1, width):
        values = dict(zip(LOG_FIELDS, (_text(f) for f in fields[start : start + width]), strict=True))
        if not _HASH.fullmatch(values["hash"]):
            break
        commit: dict[str, Any] = dict(values)
        commit["parents"] = values["parents"].split()
        commit["body"] = values["body"].rstrip("\n")
        commits.append(commit)
    return commits


#: `git log -1 -z --name-status --format=COMMIT_FORMAT`: what `commit` reports back.
COMMIT_FIELDS = ("hash", "short_hash", "author_name", "author_email", "committer_name", "committer_email", "subject")
COMMIT_FORMAT = "%H%x00%h%x00%an%x00%ae%x00%cn%x00%ce%x00%s"


def parse_commit_summary(out: bytes) -> dict[str, Any]:
    """Parse one commit's COMMIT_FIELDS (each NUL-terminated), a newline, then its
    `--name-status -z` entries (`STATUS\0path\0`, or `R100\0old\0new\0`)."""
    fields = out.split(b"\0")
    width = len(COMMIT_FIELDS)
    summary: dict[str, Any] = {name: _text(value) for name, value in zip(COMMIT_FIELDS, fields, strict=False)}
    entries = fields[width:]  # the record's terminating NUL is followed by a newline
    if entries and entries[0].startswith(b"\n"):
        entries[0] = entries[0][1:]
    files = []
    index = 0
    while index < len(entries) and entries[index]:
        letter = _text(entries[index])[:1]
        names = 2 if letter in ("R", "C") else 1
        if index + names >= len(entries):
            break  # cut short
        paths = [_text(p) for p in entries[index + 1 : index + 1 + names]]
        index += 1 + names
        files.append(
            {
                "path": paths[-1],
                "status": letter,
                "renamed_from": paths[0] if names == 2 else None,
            }
        )
    summary["files"] = files
    return summary


# --- git for-each-ref refs/heads/ ------------------------------------------------------------

BRANCH_FORMAT = (
    "%(HEAD)%00%(refname)%00%(objectname)%00%(objectname:short)%00%(upstream:short)"
    "%00%(upstream:track,nobracket)%00%(committerdate:iso-strict)%00%(subject)"
)


def parse_branches(out: bytes) -> list[dict[str, Any]]:
    """Parse `git for-each-ref --format=BRANCH_FORMAT refs/heads/`, one branch per line.

    No field can hold a newline: ref names cannot, and %(subject) joins the subject's lines.
    """
    branches = []
    for line in out.split(b"\n"):
        parts = [_text(p) for p in line.split(b"\0")]
        if len(parts) != 8 or not parts[1].startswith("refs/heads/"):
            continue
        head, ref, commit, short, upstream, track, date, subject = parts
        ahead = re.search(r"ahead (\d+)", track)
        behind = re.search(r"behind (\d+)", track)
        has_upstream = bool(upstream) and track != "gone"
        branches.append(
            {
                "name": ref.removeprefix("refs/heads/"),
                "current": head == "*",
                "upstream": upstream or None,
                "upstream_gone": track == "gone",
                "ahead": int(ahead[1]) if ahead else 0 if has_upstream else None,
                "behind": int(behind[1]) if behind else 0 if has_upstream else None,
                "last_commit": {"hash": commit, "short_hash": short, "date": date, "subject": subject},
            }
        )
    return branches


# --- conflicts: git grep -n -z -e '' over the conflicted files ---------------------------------


def parse_grep_lines(out: bytes) -> dict[str, list[str]]:
    """Parse `git grep -z -n` output (`path\\0line\\0text\\n`) into each file's lines.

    Line numbers are checked to run 1, 2, 3...: every line is printed (the pattern
    matches the empty string), so the list index is the line number minus one.
    """
    files: dict[str, list[str]] = {}
    position = 0
    size = len(out)
    while position < size:
        path_end = out.find(b"\0", position)
        number_end = out.find(b"\0", path_end + 1) if path_end >= 0 else -1
        line_end = out.find(b"\n", number_end + 1) if number_end >= 0 else -1
        if line_end < 0:
            break  # cut short
        path = _text(out[position:path_end])
        number = out[path_end + 1 : number_end]
        lines = files.setdefault(path, [])
        if not number.isdigit() or int(number) != len(lines) + 1:
            break
        lines.append(_text(out[number_end + 1 : line_end]))
        position = line_end + 1
    return files


def find_conflict_hunks(lines: list[str], max_bytes: int) -> tuple[list[dict[str, Any]], bool]:
    """Find `<<<<<<<` ... `=======` ... `>>>>>>>` regions (with an optional `|||||||` base).

    Line numbers are 1-based. Marker lines are recognised by git's default marker length
    (7) or any longer one (the conflict-marker-size attribute), used consistently within
    a hunk. A region left open at the end of the file is not a hunk. Returns the hunks and
    whether their text had to be cut to stay within `max_bytes` (the sections of a hunk
    that does not fit are emptied and marked `truncated`).
    """
    hunks: list[dict[str, Any]] = []
    budget = max_bytes
    cut = False
    current: dict[str, Any] | None = None
    section = ""
    size = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r")
        if current is None:
            opening = _OPENING.fullmatch(line)
            if opening:
                size = len(opening[1])
                current = {
                    "start_line": number,
                    "end_line": None,
                    "ours": _section(opening[2], number + 1),
                    "base": None,
                    "theirs": None,
                }
                section = "ours"
            continue
        closing = _marker(line, ">", size) if section == "theirs" else None
        base = _marker(line, "|", size) if section == "ours" else None
        if section in ("ours", "base") and line == "=" * size:
            current["theirs"] = _section(None, number + 1)
            section = "theirs"
        elif base is not None:
            current["base"] = _section(base, number + 1)
            section = "base"
        elif closing is not None:
            current["theirs"]["label"] = closing
            current["end_line"] = number
            cost = sum(len(current[s]["text"].encode()) for s in ("ours", "base", "theirs") if current[s])
            if cost > budget:
                cut = True
                for name in ("ours", "base", "theirs"):
                    if current[name]:
                        current[name]["text"] = ""
                        current[name]["truncated"] = True
            else:
                budget -= cost
            hunks.append(current)
            current = None
        else:
            part = current[section]
            part["text"] += raw + "\n"
            part["line_count"] += 1
    return hunks, cut


_OPENING = re.compile(r"(<{7,})(?: (.*))?")


def _marker(line: str, char: str, size: int) -> str | None:
    """The label of a `size`-long marker line of `char` (e.g. `>>>>>>> feature`), or None."""
    if not line.startswith(char * size):
        return None
    rest = line[size:]
    if rest == "":
        return ""
    return rest[1:] if rest.startswith(" ") else None


def _section(label: str | None, start_line: int) -> dict[str, Any]:
    return {"label": label or "", "start_line": start_line, "line_count": 0, "text": "", "truncated": False}
