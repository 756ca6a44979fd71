"""Walk a directory of the project in name order, honouring `.gitignore` files.

`.git` is never entered. Symbolic links are reported, not followed, so a walk cannot
loop or leave the project. Ignore rules come from `.git/info/exclude` and every
`.gitignore` from the project's top down to the directory being read (git's order:
deeper files win); the user's global excludes file is outside the sandbox and unread.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from acc_files.gitignore import MAX_IGNORE_FILE_BYTES, Rule, ignored, parse_rules


@dataclass(frozen=True)
class Entry:
    relative: str
    kind: str  # "file", "dir", "link" or "other"
    size: int


@dataclass
class WalkStats:
    ignored: int = 0
    unreadable: int = 0


def walk(
    root: str, start: str, *, honour_gitignore: bool = True, include_hidden: bool = True, stats: WalkStats | None = None
) -> Iterator[Entry]:
    """Every entry under the project-relative directory `start` ("" for the top), depth first."""
    stats = stats if stats is not None else WalkStats()
    rules: list[Rule] = []
    if honour_gitignore:
        rules = _read_rules(root, posixpath.join(".git", "info", "exclude"), "")
        # Rules of the directories above `start` apply to it too.
        parts = start.split("/") if start else []
        for depth in range(len(parts)):
            base = "/".join(parts[:depth])
            rules = rules + _read_rules(root, posixpath.join(base, ".gitignore") if base else ".gitignore", base)
    yield from _walk_dir(root, start, rules, honour_gitignore, include_hidden, stats)


def _walk_dir(
    root: str, relative: str, rules: list[Rule], honour: bool, hidden: bool, stats: WalkStats
) -> Iterator[Entry]:
    full = posixpath.join(root, relative) if relative else root
    if honour:
        own = posixpath.join(relative, ".gitignore") if relative else ".gitignore"
        rules = rules + _read_rules(root, own, relative)
    try:
        with os.scandir(full) as scan:
            children = sorted(scan, key=lambda e: e.name)
    except OSError:
        stats.unreadable += 1
        return
    for child in children:
        name = child.name
        if name == ".git" or (not hidden and name.startswith(".")):
            continue
        child_relative = posixpath.join(relative, name) if relative else name
        try:
            info = child.stat(follow_symlinks=False)
        except OSError:
            stats.unreadable += 1
            continue
        mode = info.st_mode
        is_dir = stat.S_ISDIR(mode)
        if honour and ignored(rules, child_relative, is_dir):
            stats.ignored += 1
            continue
        if is_dir:
            yield Entry(child_relative, "dir", 0)
            yield from _walk_dir(root, child_relative, rules, honour, hidden, stats)
        elif stat.S_ISLNK(mode):
            yield Entry(child_relative, "link", 0)
        elif stat.S_ISREG(mode):
            yield Entry(child_relative, "file", info.st_size)
        else:
            yield Entry(child_relative, "other", 0)


def _read_rules(root: str, relative: str, base: str) -> list[Rule]:
    path = posixpath.join(root, relative)
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return []
        with open(path, "rb") as file:
            data = file.read(MAX_IGNORE_FILE_BYTES)
    except OSError:
        return []
    return parse_rules(data.decode("utf-8", "replace"), base)
