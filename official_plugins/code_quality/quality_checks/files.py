"""Which files to analyse: a bounded, sorted walk of the project that says what it left out."""

from __future__ import annotations

import fnmatch
import io
import os
import posixpath
import tokenize
from dataclasses import dataclass, field

PROJECT = "/project"

#: How many skipped entries a result lists by name (the total is always reported).
MAX_LISTED_SKIPS = 100
#: Bytes read to decide whether a file is binary (a NUL byte in them means it is).
BINARY_SNIFF_BYTES = 8192

_DEPENDENCY_DIRS = frozenset({"node_modules", "site-packages", "dist-packages", "__pypackages__", "bower_components"})
_VIRTUALENV_DIRS = frozenset({"venv", "virtualenv"})
_BUILD_DIRS = frozenset({"__pycache__", "build", "dist", "htmlcov"})


class PathProblem(ValueError):
    """The requested path cannot be analysed (outside the project, missing)."""


@dataclass
class Scan:
    """The files a walk found, and what it left out and why."""

    files: list[str] = field(default_factory=list)  # paths relative to the project root
    skipped: list[dict[str, str]] = field(default_factory=list)
    skipped_total: int = 0
    truncated: bool = False

    def skip(self, path: str, reason: str) -> None:
        self.skipped_total += 1
        if len(self.skipped) < MAX_LISTED_SKIPS:
            self.skipped.append({"path": path, "reason": reason})

    def summary(self, analysed: int) -> dict[str, object]:
        return {
            "files": analysed,
            "skipped": self.skipped,
            "skipped_total": self.skipped_total,
            "truncated": self.truncated,
        }


def resolve(path: str) -> str:
    """Normalise a user's path to one relative to the project root ("." for the root).

    Absolute paths and paths that climb out of the project are refused before anything
    is opened: the sandbox would refuse them too, but with a less helpful message.
    """
    raw = path.strip() or "."
    if "\x00" in raw:
        raise PathProblem("the path contains a NUL character")
    candidate = raw.replace("\\", "/")
    if candidate.startswith("/") or (len(candidate) > 1 and candidate[1] == ":"):
        raise PathProblem(
            f"path {path!r} is absolute; give a path relative to the project root, such as "
            '"src" or "." for the whole project'
        )
    normal = posixpath.normpath(candidate)
    if normal == ".." or normal.startswith("../"):
        raise PathProblem(f"path {path!r} leads outside the project; give a path inside it, relative to its root")
    return normal


def absolute(relative: str) -> str:
    return PROJECT if relative == "." else f"{PROJECT}/{relative}"


def walk(relative: str, *, wanted: tuple[str, ...] | None, exclude: tuple[str, ...], max_files: int) -> Scan:
    """Files under `relative` (a file or a directory), sorted, at most `max_files`.

    `wanted` lists the file suffixes to keep (None keeps every file). Hidden directories,
    virtualenvs, dependency trees and build output are skipped and reported; so are
    symbolic links, which could lead out of the project or count a file twice.
    """
    scan = Scan()
    root = absolute(relative)
    if not os.path.lexists(root):
        raise PathProblem(f"there is no file or directory {relative!r} in the project")
    if os.path.islink(root):
        scan.skip(relative, "symlink")
    elif not os.path.isdir(root):
        scan.files.append(relative)  # a file named explicitly is read whatever its name
    else:
        stack = [relative]
        while stack and not scan.truncated:
            stack.extend(reversed(_walk_directory(stack.pop(), scan, wanted, exclude, max_files)))
    return scan


def _walk_directory(
    directory: str, scan: Scan, wanted: tuple[str, ...] | None, exclude: tuple[str, ...], max_files: int
) -> list[str]:
    """Record one directory's files in `scan`; return its subdirectories to visit, in name order."""
    try:
        with os.scandir(absolute(directory)) as entries:
            listing = sorted(entries, key=lambda e: e.name)
    except OSError:
        scan.skip(directory, "unreadable")
        return []
    subdirectories = []
    for entry in listing:
        rel = entry.name if directory == "." else f"{directory}/{entry.name}"
        reason = _skip_reason(rel, entry, exclude)
        if reason:
            scan.skip(rel, reason)
        elif entry.is_dir(follow_symlinks=False):
            subdirectories.append(rel)
        elif entry.is_file(follow_symlinks=False) and (wanted is None or entry.name.endswith(wanted)):
            if len(scan.files) >= max_files:
                scan.truncated = True
                return []
            scan.files.append(rel)
    return subdirectories


def _skip_reason(rel: str, entry: os.DirEntry[str], exclude: tuple[str, ...]) -> str | None:
    if _excluded(rel, entry.name, exclude):
        return "excluded"
    if entry.is_symlink():
        return "symlink"
    if entry.is_dir(follow_symlinks=False):
        return _directory_skip_reason(entry)
    return None


def _excluded(rel: str, name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def _directory_skip_reason(entry: os.DirEntry[str]) -> str | None:
    name = entry.name
    if name.startswith("."):
        return "hidden"
    if name in _DEPENDENCY_DIRS:
        return "dependencies"
    if name in _BUILD_DIRS or name.endswith(".egg-info"):
        return "build-output"
    if name in _VIRTUALENV_DIRS or os.path.isfile(os.path.join(entry.path, "pyvenv.cfg")):
        return "virtualenv"
    return None


def read_bytes(relative: str, max_bytes: int) -> tuple[bytes | None, str | None]:
    """A file's bytes, or None and why it was not read (too large, binary, unreadable)."""
    path = absolute(relative)
    try:
        size = os.stat(path).st_size
        if size > max_bytes:
            return None, "too-large"
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError:
        return None, "unreadable"
    if len(data) > max_bytes:  # grew while we looked
        return None, "too-large"
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        return None, "binary"
    return data, None


def python_text(data: bytes) -> str | None:
    """Decode Python source the way the interpreter does (BOM, PEP 263 coding line)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return None


def any_text(data: bytes) -> str:
    """Decode any text file for pattern scans; undecodable bytes must not hide the rest."""
    return data.decode("utf-8", "replace")
