"""Lock files: every package pinned, with what depends on what. Pure over the file's text.

- `uv.lock` (TOML): `[[package]]` with `name`, `version`, `source` and `dependencies`.
  The project itself is the package whose source is `editable`/`virtual` "."; its
  dependencies (and optional and dev ones) are the direct dependencies.
- `poetry.lock` (TOML): `[[package]]` with `name`, `version` and `[package.dependencies]`;
  which are direct comes from pyproject.toml.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

from acc_deps.pep508 import normalise


@dataclass
class Locked:
    name: str
    version: str | None
    source: str | None
    depends_on: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return normalise(self.name)


@dataclass
class LockFile:
    path: str
    kind: str
    packages: list[Locked]
    #: Direct dependencies when the lock itself says (uv.lock); None otherwise.
    direct: set[str] | None = None
    project: str | None = None


def parse_uv_lock(text: str, path: str = "uv.lock") -> LockFile:
    data = tomllib.loads(text)
    packages: list[Locked] = []
    direct: set[str] | None = None
    project: str | None = None
    for raw in _tables(data.get("package")):
        source = raw.get("source") if isinstance(raw.get("source"), dict) else {}
        deps = _names(raw.get("dependencies"))
        is_project = source.get("editable") == "." or source.get("virtual") == "."
        if is_project:
            project = str(raw.get("name"))
            direct = set(deps)
            for table in ("optional-dependencies", "dev-dependencies"):
                groups = raw.get(table)
                for items in groups.values() if isinstance(groups, dict) else []:
                    direct.update(_names(items))
            continue
        packages.append(Locked(str(raw.get("name")), _version(raw), _source(source), deps))
    return LockFile(path, "uv.lock", packages, direct, project)


def parse_poetry_lock(text: str, path: str = "poetry.lock") -> LockFile:
    data = tomllib.loads(text)
    packages = []
    for raw in _tables(data.get("package")):
        deps = raw.get("dependencies")
        names = [normalise(name) for name in deps] if isinstance(deps, dict) else []
        source = raw.get("source") if isinstance(raw.get("source"), dict) else {}
        packages.append(Locked(str(raw.get("name")), _version(raw), _source(source) or "pypi", names))
    return LockFile(path, "poetry.lock", packages)


def _tables(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict) and "name" in item] if isinstance(value, list) else []


def _names(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [normalise(str(item["name"])) for item in value if isinstance(item, dict) and "name" in item]


def _version(raw: dict[str, Any]) -> str | None:
    version = raw.get("version")
    return str(version) if isinstance(version, str) else None


def _source(source: dict[str, Any]) -> str | None:
    if "registry" in source:
        registry = str(source["registry"])
        return "pypi" if "pypi.org" in registry else registry
    for kind in ("git", "url", "path", "directory", "editable", "virtual"):
        if kind in source:
            return f"{kind}:{source[kind]}"
    if source.get("type"):  # poetry: {type = "git", url = "..."}
        return f"{source['type']}:{source.get('url', '')}"
    return None
