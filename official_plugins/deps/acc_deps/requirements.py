"""pip's requirements files: requirements, includes, constraints, hashes and options. Pure
over a `read(path) -> text` function the caller gives (it decides what may be read).

Understood: `name[extras] specifiers ; marker`, `name @ url`, `-e/--editable`, plain
paths and URLs (`./pkg`, `https://.../x.whl`), `--hash=ALGO:DIGEST` (repeatable, also on
continuation lines), `-r/--requirement` and `-c/--constraint` (followed, relative to the
file that names them), and pip's other options (recorded, otherwise ignored). Comments
(`#` at the start or after whitespace) and line continuations (`\\`) as pip reads them.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from acc_deps import pep508

MAX_INCLUDE_DEPTH = 10
_COMMENT = re.compile(r"(^|\s+)#.*$")


@dataclass
class Entry:
    """One requirement line of a requirements file."""

    file: str
    line: int
    requirement: pep508.Requirement | None  # None: a plain path or URL without a name
    text: str
    hashes: tuple[str, ...] = ()
    editable: bool = False
    constraint: bool = False

    @property
    def key(self) -> str | None:
        return self.requirement.key if self.requirement else None


@dataclass
class ParsedFile:
    path: str
    entries: list[Entry] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)

    @property
    def uses_hashes(self) -> bool:
        return any(entry.hashes for entry in self.entries) or "--require-hashes" in self.options


def parse_tree(path: str, read: Callable[[str], str], *, constraint: bool = False) -> list[ParsedFile]:
    """`path` and every file it includes, each once, in the order pip reads them."""
    seen: set[str] = set()
    parsed: list[ParsedFile] = []

    def visit(current: str, as_constraint: bool, depth: int) -> None:
        if current in seen:
            return
        seen.add(current)
        text = read(current)
        result = parse_file(current, text, constraint=as_constraint)
        parsed.append(result)
        for kind, target in result_includes(result):
            if depth >= MAX_INCLUDE_DEPTH:
                result.errors.append({"line": None, "error": f"includes nested deeper than {MAX_INCLUDE_DEPTH}"})
                continue
            try:
                visit(target, kind == "constraint", depth + 1)
            except (OSError, ValueError) as e:
                result.errors.append({"line": None, "error": f"cannot read {target}: {e}"})

    visit(path, constraint, 0)
    return parsed


def result_includes(parsed: ParsedFile) -> list[tuple[str, str]]:
    return [(kind, target) for kind, _, target in (i.partition(":") for i in parsed.includes)]


def parse_file(path: str, text: str, *, constraint: bool = False) -> ParsedFile:
    result = ParsedFile(path)
    for number, line in _logical_lines(text):
        try:
            _parse_line(result, number, line, constraint)
        except (pep508.RequirementError, ValueError) as e:
            result.errors.append({"line": number, "error": str(e)})
    return result


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, line) with comments removed and continuations joined."""
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _COMMENT.sub("", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.strip():
            out.append((start, line.strip()))
    if pending.strip():
        out.append((start, pending.strip()))
    return out


def _parse_line(result: ParsedFile, number: int, line: str, constraint: bool) -> None:
    tokens = shlex.split(line, posix=True)
    head = tokens[0]
    if head in ("-r", "--requirement", "-c", "--constraint") or head.startswith(
        ("--requirement=", "--constraint=", "-r", "-c")
    ):
        kind = "constraint" if head.startswith(("-c", "--constraint")) else "requirement"
        target = _option_value(tokens, head)
        result.includes.append(f"{kind}:{posixpath.normpath(posixpath.join(posixpath.dirname(result.path), target))}")
        return
    if head in ("-e", "--editable") or head.startswith("--editable="):
        target = _option_value(tokens, head)
        result.entries.append(Entry(result.path, number, _named(target), line, editable=True, constraint=constraint))
        return
    if head.startswith("-"):
        name = head.split("=", 1)[0]
        result.options.append(name)
        return
    requirement_text, hashes = _split_hashes(line)
    requirement = _named(requirement_text)
    result.entries.append(Entry(result.path, number, requirement, requirement_text, hashes, constraint=constraint))


def _option_value(tokens: list[str], head: str) -> str:
    if "=" in head and head.startswith("--"):
        return head.split("=", 1)[1]
    if head in ("-r", "-c", "-e", "--requirement", "--constraint", "--editable"):
        if len(tokens) < 2:
            raise ValueError(f"{head} needs a value")
        return tokens[1]
    return head[2:]  # -rfile.txt


def _split_hashes(line: str) -> tuple[str, tuple[str, ...]]:
    hashes = tuple(re.findall(r"--hash[=\s]+([A-Za-z0-9]+:[A-Fa-f0-9]+)", line))
    text = re.sub(r"\s*--hash[=\s]+\S+", "", line)
    text = re.sub(r"\s+--\S+.*$", "", text)  # other per-requirement options (--config-settings ...)
    return text.strip(), hashes


def _named(text: str) -> pep508.Requirement | None:
    """A requirement with a name, or None for a plain path or URL (`./pkg`, `https://...whl`)."""
    stripped = text.strip()
    if stripped.startswith((".", "/", "file:")) or re.match(r"^[a-z+]+://", stripped):
        egg = re.search(r"[#&]egg=([A-Za-z0-9._-]+)", stripped)
        return pep508.Requirement(egg[1], url=stripped, text=stripped) if egg else None
    return pep508.parse(stripped)
