"""Parsing a Python file once for every analysis, with positions users can act on."""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass


@dataclass(frozen=True)
class ParseError:
    line: int
    column: int
    message: str


@dataclass
class Source:
    """A parsed file: its text, lines and tree."""

    path: str
    text: str
    lines: list[str]
    tree: ast.Module

    def column(self, line: int, col_offset: int) -> int:
        """ast's column (a UTF-8 byte offset, 0-based) as a 1-based character column."""
        if 1 <= line <= len(self.lines):
            prefix = self.lines[line - 1].encode("utf-8")[:col_offset]
            return len(prefix.decode("utf-8", "replace")) + 1
        return col_offset + 1

    def line_text(self, line: int) -> str:
        return self.lines[line - 1] if 1 <= line <= len(self.lines) else ""


def parse(path: str, text: str) -> Source | ParseError:
    """Parse `text`; a file Python cannot parse is reported, never raised."""
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences and the like warn on stderr, which is the plugin's log.
            warnings.simplefilter("ignore")
            tree = ast.parse(text, filename=path, type_comments=False)
    except SyntaxError as e:
        line = e.lineno or 1
        column = e.offset or 1
        return ParseError(line=line, column=max(1, column), message=f"syntax error: {e.msg}")
    except (ValueError, RecursionError, MemoryError) as e:
        # NUL bytes (ValueError) or nesting deeper than the parser's stack.
        return ParseError(line=1, column=1, message=f"cannot parse: {type(e).__name__}: {e}"[:300])
    return Source(path=path, text=text, lines=text.splitlines(), tree=tree)


_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z0-9_-]+(?:[\s,]+[A-Za-z0-9_-]+)*))?", re.IGNORECASE)


def noqa_codes(line: str) -> frozenset[str] | None:
    """None without a `# noqa`; an empty set for a bare `# noqa` (everything); else its codes."""
    if "#" not in line:
        return None
    match = _NOQA.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    if not codes:
        return frozenset()
    return frozenset(c.upper() for c in re.split(r"[\s,]+", codes) if c)


_FILE_NOQA = re.compile(
    r"^\s*#\s*(?:ruff|flake8)\s*:\s*noqa\b(?::\s*(?P<codes>[A-Za-z0-9_-]+(?:[\s,]+[A-Za-z0-9_-]+)*))?", re.IGNORECASE
)


def file_noqa_codes(lines: list[str]) -> frozenset[str] | None:
    """A file-wide `# ruff: noqa[: CODES]` or `# flake8: noqa`, merged like `noqa_codes`."""
    codes: set[str] = set()
    found = False
    for line in lines:
        if "noqa" not in line:
            continue
        match = _FILE_NOQA.match(line)
        if match is None:
            continue
        found = True
        listed = match.group("codes")
        if not listed:
            return frozenset()
        codes |= {c.upper() for c in re.split(r"[\s,]+", listed) if c}
    return frozenset(codes) if found else None
