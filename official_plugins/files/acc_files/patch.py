"""Unified diffs in, new file contents out: parse a patch and apply it in memory. Pure.

Accepted: `diff -u` and `git diff` output (several files, new files from /dev/null,
deletions to /dev/null, git's renames with `rename from`/`rename to`, and `\\ No newline
at end of file`). A hunk applies where its context and removed lines match the file
exactly; it may sit at another line than its header says (the file changed above it),
never with fuzz. Binary patches are refused. Nothing here touches a file: the caller
writes only when every hunk of every file applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from acc_plugin import Invalid

MAX_PATCH_FILES = 200
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_GIT_HEADER = re.compile(r"^diff --git (\"?a/.*\"?) (\"?b/.*\"?)$")
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "r": "\r", "v": "\v"}


class PatchError(Invalid):
    """The patch is malformed, or does not apply to the files as they are."""


@dataclass
class Hunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    header_line: int
    #: (tag, text) with tag " ", "-" or "+"; text ends with "\n" unless the line has none.
    lines: list[tuple[str, str]] = field(default_factory=list)

    @property
    def old_lines(self) -> list[str]:
        return [text for tag, text in self.lines if tag in " -"]

    @property
    def new_lines(self) -> list[str]:
        return [text for tag, text in self.lines if tag in " +"]


@dataclass
class FilePatch:
    """One file's part of a patch. `old_path` None: created; `new_path` None: deleted."""

    old_path: str | None
    new_path: str | None
    hunks: list[Hunk] = field(default_factory=list)
    rename: bool = False
    binary: bool = False

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""

    @property
    def action(self) -> str:
        if self.old_path is None:
            return "create"
        if self.new_path is None:
            return "delete"
        if self.old_path != self.new_path:
            return "rename"
        return "modify"


def parse(text: str, *, strip: int | None = None) -> list[FilePatch]:
    """The files of a unified diff. `strip` is patch's -p (None: 1 for a/ b/ paths, else 0)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    patches: list[FilePatch] = []
    git_style = False
    index = 0
    while index < len(lines):
        line = lines[index]
        header = _GIT_HEADER.match(line)
        if header:
            git_style = True
            index = _parse_git_file(lines, index, patches)
            continue
        if line.startswith("--- ") and index + 1 < len(lines) and lines[index + 1].startswith("+++ "):
            patch = FilePatch(_header_path(line[4:]), _header_path(lines[index + 1][4:]))
            patches.append(patch)
            index = _parse_hunks(lines, index + 2, patch)
            continue
        if line.startswith("@@ "):
            raise PatchError(f"line {index + 1} of the patch starts a hunk before any '--- file' / '+++ file' header")
        index += 1  # text around the diffs (a commit message, "Only in ...") is ignored
    if not patches:
        raise PatchError("the patch holds no file diff: expected '--- a/FILE' and '+++ b/FILE' lines and hunks")
    if len(patches) > MAX_PATCH_FILES:
        raise PatchError(f"the patch changes {len(patches)} files; at most {MAX_PATCH_FILES} at once")
    strip_count = strip if strip is not None else (1 if git_style or _all_prefixed(patches) else 0)
    for patch in patches:
        patch.old_path = _strip(patch.old_path, strip_count)
        patch.new_path = _strip(patch.new_path, strip_count)
        if patch.binary:
            raise PatchError(f"the patch of {patch.path} is binary: files applies text patches only")
        if patch.old_path is None and patch.new_path is None:
            raise PatchError("a file diff goes from /dev/null to /dev/null")
    return patches


def _parse_git_file(lines: list[str], index: int, patches: list[FilePatch]) -> int:
    header = _GIT_HEADER.match(lines[index])
    assert header is not None
    old: str | None = _unquote(header[1])
    new: str | None = _unquote(header[2])
    patch = FilePatch(old, new)
    patches.append(patch)
    index += 1
    while index < len(lines) and not lines[index].startswith(("diff --git ", "@@ ")):
        line = lines[index]
        if line.startswith("--- "):
            patch.old_path = _header_path(line[4:])
        elif line.startswith("+++ "):
            patch.new_path = _header_path(line[4:])
            index += 1
            break
        elif line.startswith("new file mode"):
            patch.old_path = None
        elif line.startswith("deleted file mode"):
            patch.new_path = None
        elif line.startswith("rename from "):
            patch.old_path, patch.rename = "a/" + _unquote(line[len("rename from ") :]), True
        elif line.startswith("rename to "):
            patch.new_path, patch.rename = "b/" + _unquote(line[len("rename to ") :]), True
        elif line.startswith(("copy from ", "copy to ")):
            raise PatchError("git copy patches are not supported: create the copy with write")
        elif line.startswith(("Binary files ", "GIT binary patch")):
            patch.binary = True
        index += 1
    return _parse_hunks(lines, index, patch)


def _parse_hunks(lines: list[str], index: int, patch: FilePatch) -> int:
    while index < len(lines):
        match = _HUNK.match(lines[index])
        if not match:
            break
        hunk = Hunk(
            old_start=int(match[1]),
            old_count=int(match[2]) if match[2] is not None else 1,
            new_start=int(match[3]),
            new_count=int(match[4]) if match[4] is not None else 1,
            header_line=index + 1,
        )
        index += 1
        old_left, new_left = hunk.old_count, hunk.new_count
        while index < len(lines) and (old_left > 0 or new_left > 0):
            line = lines[index]
            tag, text = (line[:1], line[1:]) if line else (" ", "")  # an empty context line lost its space
            if tag == "\\":
                _no_newline(hunk, index)
                index += 1
                continue
            if tag not in " -+":
                raise PatchError(
                    f"line {index + 1} of the patch is not part of the hunk at line {hunk.header_line} "
                    f"(expected {old_left} more old and {new_left} more new lines): {line[:80]!r}"
                )
            if (tag in " -" and old_left == 0) or (tag in " +" and new_left == 0):
                raise PatchError(
                    f"the hunk at line {hunk.header_line} of the patch has more lines than its header says"
                )
            old_left -= tag in " -"
            new_left -= tag in " +"
            hunk.lines.append((tag, text + "\n"))
            index += 1
        if old_left or new_left:
            raise PatchError(f"the hunk at line {hunk.header_line} of the patch ends early: the patch is cut short")
        if index < len(lines) and lines[index].startswith("\\"):
            _no_newline(hunk, index)
            index += 1
        patch.hunks.append(hunk)
    return index


def _no_newline(hunk: Hunk, index: int) -> None:
    if not hunk.lines:
        raise PatchError(f"line {index + 1} of the patch: '\\ No newline at end of file' follows no line")
    tag, text = hunk.lines[-1]
    hunk.lines[-1] = (tag, text[:-1] if text.endswith("\n") else text)


def _header_path(raw: str) -> str | None:
    path = raw.split("\t", 1)[0].rstrip()  # diff -u appends a tab and a timestamp
    path = _unquote(path)
    return None if path == "/dev/null" else path


def _unquote(path: str) -> str:
    """git's C-style quoting of unusual file names ("a/tab\\there.txt")."""
    if not (len(path) >= 2 and path.startswith('"') and path.endswith('"')):
        return path
    body, out, index = path[1:-1], bytearray(), 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            following = body[index + 1]
            if following in _ESCAPES:
                out += _ESCAPES[following].encode()
                index += 2
                continue
            octal = body[index + 1 : index + 4]
            if len(octal) == 3 and all(c in "01234567" for c in octal):
                out.append(int(octal, 8))
                index += 4
                continue
        out += char.encode()
        index += 1
    return out.decode("utf-8", "replace")


def _all_prefixed(patches: list[FilePatch]) -> bool:
    olds = [p.old_path for p in patches if p.old_path is not None]
    news = [p.new_path for p in patches if p.new_path is not None]
    return all(p.startswith("a/") for p in olds) and all(p.startswith("b/") for p in news)


def _strip(path: str | None, count: int) -> str | None:
    if path is None or count == 0:
        return path
    parts = path.split("/")
    if len(parts) <= count:
        raise PatchError(f"cannot strip {count} leading directories from {path!r}")
    return "/".join(parts[count:])


# --- applying -----------------------------------------------------------------------------------


def apply(text: str, patch: FilePatch) -> str:
    """`text` with every hunk of `patch` applied, or PatchError naming the hunk that does not fit."""
    lines = text.splitlines(keepends=True)
    result: list[str] = []
    position = 0  # lines of `lines` consumed so far
    offset = 0  # how far the hunks sit from where their headers say
    for number, hunk in enumerate(patch.hunks, start=1):
        old = hunk.old_lines
        # A pure insertion (-N,0) goes after line N; other hunks start at their line N.
        expected = (hunk.old_start if hunk.old_count == 0 else hunk.old_start - 1) + offset
        found = _find(lines, old, expected, position)
        if found is None:
            raise PatchError(_misfit(patch, hunk, number, lines, expected))
        result.extend(lines[position:found])
        result.extend(hunk.new_lines)
        position = found + len(old)
        offset = found - (hunk.old_start if hunk.old_count == 0 else hunk.old_start - 1)
    result.extend(lines[position:])
    return "".join(result)


def _find(lines: list[str], old: list[str], expected: int, earliest: int) -> int | None:
    """Where `old` occurs in `lines` at or after `earliest`, nearest to `expected`."""
    latest = len(lines) - len(old)
    if latest < earliest:
        return None
    expected = min(max(expected, earliest), latest)
    for distance in range(0, max(expected - earliest, latest - expected) + 1):
        for start in (expected - distance, expected + distance) if distance else (expected,):
            if (
                earliest <= start <= latest
                and (not old or lines[start] == old[0])
                and lines[start : start + len(old)] == old
            ):
                return start
    return None


def _misfit(patch: FilePatch, hunk: Hunk, number: int, lines: list[str], expected: int) -> str:
    where = f"hunk {number} of {patch.old_path} (@@ -{hunk.old_start},{hunk.old_count} @@)"
    old = hunk.old_lines
    if not old:
        return f"{where} does not apply: the file has only {len(lines)} lines"
    first = old[0]
    near = next((i for i in range(len(lines)) if lines[i] == first), None)
    detail = f"its first line {first.rstrip()!r} "
    detail += f"is at line {near + 1}, but the lines after it differ" if near is not None else "is not in the file"
    return f"{where} does not match the file ({detail}): re-read the file and make the patch again"
