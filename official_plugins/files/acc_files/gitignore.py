"""`.gitignore` rules, as git reads them: per directory, last match wins, `!` re-includes. Pure.

A pattern without a slash (other than a trailing one) matches a name at any depth below
its `.gitignore`; one with a slash is anchored to that directory. `**` matches across
directories (`**/x`, `a/**`, `a/**/b`), `*` and `?` never match `/`, a trailing `/`
matches directories only, `\\` escapes. As in git, a file inside an ignored directory
stays ignored whatever a later `!` says: the walk never enters that directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_IGNORE_FILE_BYTES = 256 * 1024


@dataclass(frozen=True)
class Rule:
    base: str  # the directory of the .gitignore, relative to the project ("" for the top)
    regex: re.Pattern[str]
    negated: bool
    directories_only: bool

    def matches(self, relative: str, is_dir: bool) -> bool:
        if self.directories_only and not is_dir:
            return False
        if self.base:
            if not relative.startswith(self.base + "/"):
                return False
            relative = relative[len(self.base) + 1 :]
        return self.regex.fullmatch(relative) is not None


def parse_rules(text: str, base: str = "") -> list[Rule]:
    """The rules of one ignore file whose directory is `base` (relative to the project)."""
    rules = []
    for raw in text.splitlines():
        rule = _parse_line(raw, base)
        if rule is not None:
            rules.append(rule)
    return rules


def _parse_line(raw: str, base: str) -> Rule | None:
    line = raw.rstrip("\r")
    # Trailing spaces are dropped unless escaped with a backslash.
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(line) > len(stripped):
        stripped += " "
    line = stripped
    if not line or line.startswith("#"):
        return None
    negated = line.startswith("!")
    if negated or line.startswith(("\\!", "\\#")):
        line = line[1:]  # the negation mark, or the backslash of an escaped ! or #
    directories_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    body = glob_regex(line)
    if not anchored and not line.startswith("**"):
        body = "(?:.*/)?" + body
    return Rule(base, re.compile(body, re.DOTALL), negated, directories_only)


def glob_regex(pattern: str) -> str:
    """The regular expression (for fullmatch) of a gitignore-style glob."""
    out: list[str] = []
    index = 0
    size = len(pattern)
    while index < size:
        char = pattern[index]
        if char == "*" and pattern.startswith("**", index):
            before_ok = index == 0 or pattern[index - 1] == "/"
            after = index + 2
            if before_ok and after == size:
                out.append(".*")  # `a/**`: everything inside
                index = after
                continue
            if before_ok and pattern.startswith("/", after):
                out.append("(?:.*/)?")  # `**/` and `a/**/b`: zero or more directories
                index = after + 1
                continue
            out.append("[^/]*")  # other runs of asterisks are one asterisk
            while index < size and pattern[index] == "*":
                index += 1
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = _class_end(pattern, index)
            if end is None:
                out.append(re.escape(char))
            else:
                inner = pattern[index + 1 : end]
                if inner.startswith("!"):
                    inner = "^" + inner[1:]
                out.append("[" + inner.replace("\\", "\\\\") + "]")
                index = end
        elif char == "\\" and index + 1 < size:
            index += 1
            out.append(re.escape(pattern[index]))
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _class_end(pattern: str, start: int) -> int | None:
    index = start + 1
    if index < len(pattern) and pattern[index] in "!^":
        index += 1
    if index < len(pattern) and pattern[index] == "]":
        index += 1
    end = pattern.find("]", index)
    return None if end < 0 else end


def ignored(rules: list[Rule], relative: str, is_dir: bool) -> bool:
    """Whether the last rule that matches `relative` ignores it."""
    verdict = False
    for rule in rules:
        if rule.matches(relative, is_dir):
            verdict = not rule.negated
    return verdict
