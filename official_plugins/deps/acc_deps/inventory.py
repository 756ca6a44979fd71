"""Find and read a project's dependency files into one model. IO only through `Reader`.

Found by default at the project's top: pyproject.toml, uv.lock, poetry.lock, and every
`*.txt` whose name holds "requirements" or "constraints" (also in a `requirements/`
directory), with the files they include. A caller may name the files instead.
"""

from __future__ import annotations

import functools
import os
import posixpath
import stat
import tomllib
from dataclasses import dataclass, field
from typing import Any

from acc_plugin import Invalid

from acc_deps import locks, pyproject, requirements
from acc_deps.pep508 import Requirement

MAX_FILE_BYTES = 4 * 1024 * 1024
REQUIREMENTS_DIR = "requirements"


class Reader:
    """Reads project files by relative path: inside the project, no links, size-capped, UTF-8."""

    def __init__(self, root: str) -> None:
        self.root = root

    def read(self, relative: str) -> str:
        try:
            full = posixpath.join(self.root, self.check(relative))
        except Invalid as e:  # an include that leaves the project: reported for that line
            raise ValueError(str(e)) from None
        info = os.lstat(full)
        if stat.S_ISLNK(info.st_mode):
            raise ValueError("it is a symbolic link (deps reads only the project's own files)")
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("it is not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise ValueError(f"it is larger than {MAX_FILE_BYTES} bytes")
        with open(full, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
        return data.decode("utf-8")

    @staticmethod
    def check(relative: str) -> str:
        normal = posixpath.normpath(relative)
        if relative.startswith("/") or normal == ".." or normal.startswith("../") or "\0" in relative:
            raise Invalid(f"{relative!r} is not a path inside the project")
        return normal

    def exists(self, relative: str) -> bool:
        return os.path.lexists(posixpath.join(self.root, relative))

    def listdir(self, relative: str) -> list[str]:
        try:
            return sorted(os.listdir(posixpath.join(self.root, relative) if relative else self.root))
        except OSError:
            return []


@dataclass
class Direct:
    """A declared dependency, from pyproject.toml or a requirements file."""

    requirement: Requirement | None
    text: str
    file: str
    line: int | None
    group: str
    hashes: int = 0
    editable: bool = False
    constraint: bool = False

    @property
    def key(self) -> str | None:
        return self.requirement.key if self.requirement else None

    @property
    def pinned_version(self) -> str | None:
        return self.requirement.pinned_version if self.requirement and not self.editable else None

    def to_json(self) -> dict[str, Any]:
        r = self.requirement
        return {
            "name": r.name if r else None,
            "specifier": r.specifier if r else None,
            "pinned": self.pinned_version is not None,
            "version": self.pinned_version,
            "extras": list(r.extras) if r else [],
            "marker": r.marker if r else None,
            "url": r.url if r else None,
            "group": self.group,
            "file": self.file,
            "line": self.line,
            "hashes": self.hashes,
            "editable": self.editable,
            "constraint": self.constraint,
            "text": self.text,
        }


@dataclass
class Inventory:
    sources: list[dict[str, str]] = field(default_factory=list)
    direct: list[Direct] = field(default_factory=list)
    locks: list[locks.LockFile] = field(default_factory=list)
    hashed_files: set[str] = field(default_factory=set)
    errors: list[dict[str, Any]] = field(default_factory=list)
    project: str | None = None

    def locked_versions(self) -> dict[str, str]:
        """Each locked package's version, by normalised name (the first lock file wins)."""
        versions: dict[str, str] = {}
        for lock in self.locks:
            for package in lock.packages:
                if package.version is not None:
                    versions.setdefault(package.key, package.version)
        return versions


def discover(reader: Reader) -> list[str]:
    found = [name for name in ("pyproject.toml", "uv.lock", "poetry.lock") if reader.exists(name)]
    for name in reader.listdir(""):
        if _is_requirements_name(name):
            found.append(name)
    for name in reader.listdir(REQUIREMENTS_DIR):
        if name.endswith(".txt"):
            found.append(f"{REQUIREMENTS_DIR}/{name}")
    return found


def _is_requirements_name(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(".txt") and ("requirements" in lower or "constraints" in lower)


def read_inventory(reader: Reader, paths: list[str] | None = None) -> Inventory:
    inventory = Inventory()
    chosen = list(dict.fromkeys(Reader.check(p) for p in paths)) if paths else discover(reader)
    others = [p for p in chosen if posixpath.basename(p) in ("pyproject.toml", "uv.lock", "poetry.lock")]
    for path in others:
        _guarded(inventory, path, functools.partial(_read_other, reader, path, inventory))
    texts = [p for p in chosen if p not in others]
    seen: set[str] = set()
    for path in _roots(reader, texts):
        if path not in seen:
            constraint = "constraints" in posixpath.basename(path).lower()
            _guarded(inventory, path, functools.partial(_read_requirements, reader, path, inventory, seen, constraint))
    return inventory


def _guarded(inventory: Inventory, path: str, read: Any) -> None:
    try:
        read()
    except FileNotFoundError:
        inventory.errors.append({"file": path, "line": None, "error": "it does not exist"})
    except (OSError, ValueError, tomllib.TOMLDecodeError) as e:
        inventory.errors.append({"file": path, "line": None, "error": f"cannot read it: {e}"})


def _read_other(reader: Reader, path: str, inventory: Inventory) -> None:
    name = posixpath.basename(path)
    if name == "pyproject.toml":
        _read_pyproject(reader, path, inventory)
    elif name == "uv.lock":
        inventory.locks.append(locks.parse_uv_lock(reader.read(path), path))
        inventory.sources.append({"path": path, "kind": "uv.lock"})
    else:
        inventory.locks.append(locks.parse_poetry_lock(reader.read(path), path))
        inventory.sources.append({"path": path, "kind": "poetry.lock"})


def _roots(reader: Reader, texts: list[str]) -> list[str]:
    """The requirements files no other chosen file includes, then the rest (a cycle)."""
    included: set[str] = set()
    for path in texts:
        try:
            parsed = requirements.parse_file(path, reader.read(path))
        except (OSError, ValueError):
            continue
        included.update(target for _, target in requirements.result_includes(parsed) if target != path)
    return [p for p in texts if p not in included] + [p for p in texts if p in included]


def _read_pyproject(reader: Reader, path: str, inventory: Inventory) -> None:
    declared, name = pyproject.parse(reader.read(path), path)
    inventory.project = inventory.project or name
    inventory.sources.append({"path": path, "kind": "pyproject.toml"})
    for item in declared:
        if item.error:
            inventory.errors.append({"file": path, "line": item.line, "error": item.error})
            continue
        inventory.direct.append(Direct(item.requirement, item.text, path, item.line, item.group))


def _read_requirements(reader: Reader, path: str, inventory: Inventory, seen: set[str], constraint: bool) -> None:
    tree = requirements.parse_tree(path, reader.read, constraint=constraint)
    # pip's hash-checking mode covers the whole install: one hash anywhere needs them all.
    hashed = any(parsed.uses_hashes for parsed in tree)
    for parsed in tree:
        if parsed.path in seen and parsed.path != path:
            continue
        seen.add(parsed.path)
        kind = "constraints" if any(e.constraint for e in parsed.entries) else "requirements"
        inventory.sources.append({"path": parsed.path, "kind": kind})
        if hashed:
            inventory.hashed_files.add(parsed.path)
        for error in parsed.errors:
            inventory.errors.append({"file": parsed.path, **error})
        for entry in parsed.entries:
            inventory.direct.append(
                Direct(
                    entry.requirement,
                    entry.text,
                    entry.file,
                    entry.line,
                    group=path,
                    hashes=len(entry.hashes),
                    editable=entry.editable,
                    constraint=entry.constraint,
                )
            )
