"""Search the project's text files for a pattern, with context lines. Pure over `root`.

Bounded on every side: at most `max_matches` matches are listed, files larger than
`MAX_SEARCH_FILE_BYTES` and binary files are skipped (and counted), each line is matched
on its first `MAX_LINE_CHARS` characters, and the search stops when it has run for
`time_budget` seconds (checked after every line, so one slow line can overrun it by its
own matching time; `regex_guard` keeps that time small, the plugin's limit stops the rest).
"""

from __future__ import annotations

import os
import posixpath
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from acc_files.textfile import is_binary

MAX_SEARCH_FILE_BYTES = 2 * 1024 * 1024
MAX_LINE_CHARS = 2000
#: Characters of a matched or context line given back (the rest is cut with "…").
MAX_SHOWN_LINE_CHARS = 500


@dataclass
class SearchResult:
    matches: list[dict[str, Any]] = field(default_factory=list)
    files_searched: int = 0
    files_with_matches: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    truncated: bool = False
    stopped: str | None = None
    long_lines: int = 0


def search_files(
    root: str,
    files: Iterable[str],
    pattern: re.Pattern[str],
    *,
    context: int,
    max_matches: int,
    time_budget: float,
    clock: Callable[[], float] = time.monotonic,
    max_skipped: int = 100,
) -> SearchResult:
    """Search each project-relative file of `files` (already filtered) for `pattern`."""
    result = SearchResult()
    deadline = clock() + time_budget
    for relative in files:
        if result.stopped:
            break
        full = posixpath.join(root, relative)
        reason = _unsearchable(full)
        if reason is None:
            with open(full, "rb") as file:
                data = file.read(MAX_SEARCH_FILE_BYTES + 1)
            reason = "binary" if is_binary(data) else None
        if reason is not None:
            if len(result.skipped) < max_skipped:
                result.skipped.append({"path": relative, "reason": reason})
            continue
        result.files_searched += 1
        lines = data.decode("utf-8").splitlines()
        found_here = False
        for index, line in enumerate(lines):
            searched = line
            if len(line) > MAX_LINE_CHARS:
                searched = line[:MAX_LINE_CHARS]
                result.long_lines += 1
            match = pattern.search(searched)
            if match is not None:
                if len(result.matches) >= max_matches:
                    result.truncated = True
                    result.stopped = "max_matches"
                    break
                found_here = True
                result.matches.append(_match(relative, lines, index, match, context))
            if clock() > deadline:
                result.truncated = True
                result.stopped = "time_budget"
                break
        result.files_with_matches += found_here
    return result


def _unsearchable(full: str) -> str | None:
    try:
        size = os.stat(full).st_size
    except OSError:
        return "unreadable"
    if size > MAX_SEARCH_FILE_BYTES:
        return f"larger than {MAX_SEARCH_FILE_BYTES} bytes"
    return None


def _match(relative: str, lines: list[str], index: int, match: re.Match[str], context: int) -> dict[str, Any]:
    first = max(0, index - context)
    return {
        "path": relative,
        "line": index + 1,
        "column": match.start() + 1,
        "text": _shown(lines[index]),
        "before": [_shown(line) for line in lines[first:index]],
        "after": [_shown(line) for line in lines[index + 1 : index + 1 + context]],
    }


def _shown(line: str) -> str:
    return line if len(line) <= MAX_SHOWN_LINE_CHARS else line[:MAX_SHOWN_LINE_CHARS] + "…"
