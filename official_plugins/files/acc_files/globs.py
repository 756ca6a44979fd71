"""File-name globs for `list` and `search`. Pure.

A glob without a slash matches a file's name at any depth (`*.py`); one with a slash
matches the path from the project's top (`src/**/*.py`, `docs/*.md`). `**` matches any
number of directories, `*` and `?` stay within one name, `[abc]` is a class, and a
leading `!` excludes what it matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from acc_plugin import Invalid

from acc_files.gitignore import glob_regex


@dataclass(frozen=True)
class GlobSet:
    include: tuple[re.Pattern[str], ...]
    exclude: tuple[re.Pattern[str], ...]

    def matches(self, relative: str) -> bool:
        if self.include and not any(p.fullmatch(relative) for p in self.include):
            return False
        return not any(p.fullmatch(relative) for p in self.exclude)


def compile_globs(globs: list[str] | None) -> GlobSet:
    include: list[re.Pattern[str]] = []
    exclude: list[re.Pattern[str]] = []
    for glob in globs or []:
        if not glob or "\0" in glob:
            raise Invalid(f"glob {glob!r} is empty or holds a NUL character")
        negated = glob.startswith("!")
        body = glob[1:] if negated else glob
        if body.startswith("/"):
            body = body[1:]
        if not body:
            raise Invalid(f"glob {glob!r} matches nothing")
        regex = glob_regex(body)
        if "/" not in body.rstrip("/"):
            regex = "(?:.*/)?" + regex
        (exclude if negated else include).append(re.compile(regex, re.DOTALL))
    return GlobSet(tuple(include), tuple(exclude))
