"""Marked sections of a Markdown file, regenerated in place.

A section is everything between two marker lines:

    <!-- acc:docs:NAME start -->
    ...generated, replaced on each run...
    <!-- acc:docs:NAME end -->

A marker counts only when it is alone on its line and outside fenced code blocks, so
a README may show the markers in an example without being rewritten there. The rest
of the file is kept byte for byte, and the result of a second run equals the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SECTION_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


class SectionError(Exception):
    """The file's markers for the section are missing, repeated or out of order."""


@dataclass(frozen=True)
class Replaced:
    text: str
    changed: bool
    #: 1-based line numbers of the start and end markers in the original text.
    start_line: int
    end_line: int


def markers(name: str) -> tuple[str, str]:
    return f"<!-- acc:docs:{name} start -->", f"<!-- acc:docs:{name} end -->"


def replace_section(text: str, name: str, content: str, *, file: str = "README.md") -> Replaced:
    """Put `content` between the section's markers; raise `SectionError` when they are unusable."""
    if not SECTION_NAME.match(name):
        raise SectionError(f"section name {name!r} must be lowercase letters, digits, '.', '_' or '-'")
    start_marker, end_marker = markers(name)
    lines = text.splitlines(keepends=True)
    starts, ends = _marker_lines(lines, name)
    hint = f"put a line `{start_marker}` where the section begins and `{end_marker}` where it ends"
    if not starts and not ends:
        raise SectionError(f"{file} has no markers for the section {name!r}; {hint}")
    for kind, found, marker in (("start", starts, start_marker), ("end", ends, end_marker)):
        if not found:
            raise SectionError(f"{file} has no {kind} marker for the section {name!r} (`{marker}`); {hint}")
        if len(found) > 1:
            where = ", ".join(str(i + 1) for i in found)
            raise SectionError(
                f"{file} has the {kind} marker of the section {name!r} more than once (lines {where}); keep exactly one"
            )
    start, end = starts[0], ends[0]
    if end < start:
        raise SectionError(
            f"{file}: the end marker of the section {name!r} (line {end + 1}) comes before "
            f"its start marker (line {start + 1})"
        )
    if start_marker in content or end_marker in content:
        raise SectionError(f"the new content of the section {name!r} contains its own markers")
    newline = "\r\n" if lines[start].endswith("\r\n") else "\n"
    body = content.strip("\r\n")
    body = newline.join(body.splitlines()) + newline if body else ""
    start_line = lines[start] if lines[start].endswith(("\n", "\r")) else lines[start] + newline
    new_text = "".join([*lines[:start], start_line, body, *lines[end:]])
    return Replaced(text=new_text, changed=new_text != text, start_line=start + 1, end_line=end + 1)


def _marker_lines(lines: list[str], name: str) -> tuple[list[int], list[int]]:
    pattern = re.compile(rf"^\s*<!--\s*acc:docs:{re.escape(name)}\s+(start|end)\s*-->\s*$")
    starts: list[int] = []
    ends: list[int] = []
    fence: str | None = None
    for index, line in enumerate(lines):
        opening = _FENCE.match(line)
        if fence is not None:
            # A fence closes with the same character, at least as long, and nothing after it.
            if (
                opening
                and opening.group(1)[0] == fence[0]
                and len(opening.group(1)) >= len(fence)
                and not line.strip()[len(opening.group(1)) :].strip()
            ):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        match = pattern.match(line)
        if match:
            (starts if match.group(1) == "start" else ends).append(index)
    return starts, ends
