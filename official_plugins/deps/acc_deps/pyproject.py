"""The dependencies a pyproject.toml declares: PEP 621 `[project]`, PEP 735
`[dependency-groups]` and Poetry's `[tool.poetry]` tables. Pure over the file's text.

Each declared dependency becomes a `Declared` with its group: `main`, `extra:NAME` (an
optional-dependencies extra) or `group:NAME` (a dependency group; Poetry's dev
dependencies are `group:dev`). Line numbers are found by searching the text, since
`tomllib` does not keep them: the first line from the table's header on that mentions
the name (null when it cannot be told).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any

from acc_deps import pep508


@dataclass
class Declared:
    requirement: pep508.Requirement | None
    group: str
    file: str
    line: int | None
    text: str
    error: str | None = None

    @property
    def key(self) -> str | None:
        return self.requirement.key if self.requirement else None


def parse(text: str, path: str = "pyproject.toml") -> tuple[list[Declared], str | None]:
    """The dependencies of a pyproject.toml, and the project's own name (if it has one)."""
    data = tomllib.loads(text)
    lines = text.splitlines()
    found: list[Declared] = []
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    for item in _strings(project.get("dependencies")):
        found.append(_pep508(item, "main", path, lines, "[project]"))
    extras = project.get("optional-dependencies")
    for extra, items in extras.items() if isinstance(extras, dict) else []:
        for item in _strings(items):
            found.append(_pep508(item, f"extra:{extra}", path, lines, "[project.optional-dependencies]"))
    groups = data.get("dependency-groups")
    for group, items in groups.items() if isinstance(groups, dict) else []:
        for item in _strings(items):  # {include-group = "..."} tables are references, not dependencies
            found.append(_pep508(item, f"group:{group}", path, lines, "[dependency-groups]"))
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    if isinstance(poetry, dict):
        found += _poetry_table(poetry.get("dependencies"), "main", path, lines, "[tool.poetry.dependencies]")
        found += _poetry_table(
            poetry.get("dev-dependencies"), "group:dev", path, lines, "[tool.poetry.dev-dependencies]"
        )
        poetry_groups = poetry.get("group")
        for group, table in poetry_groups.items() if isinstance(poetry_groups, dict) else []:
            deps = table.get("dependencies") if isinstance(table, dict) else None
            header = f"[tool.poetry.group.{group}.dependencies]"
            found += _poetry_table(deps, f"group:{group}", path, lines, header)
    name = project.get("name") if isinstance(project.get("name"), str) else poetry.get("name")
    return found, name if isinstance(name, str) else None


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _pep508(item: str, group: str, path: str, lines: list[str], header: str) -> Declared:
    try:
        requirement: pep508.Requirement | None = pep508.parse(item)
        error = None
    except pep508.RequirementError as e:
        requirement, error = None, str(e)
    return Declared(requirement, group, path, _line_of(lines, item, header), item, error)


def _poetry_table(table: Any, group: str, path: str, lines: list[str], header: str) -> list[Declared]:
    if not isinstance(table, dict):
        return []
    found = []
    for name, spec in table.items():
        if name.lower() == "python":
            continue
        requirement = poetry_requirement(name, spec)
        text = f"{name} = {spec!r}" if not isinstance(spec, str) else f'{name} = "{spec}"'
        found.append(Declared(requirement, group, path, _line_of(lines, name, header), text))
    return found


def poetry_requirement(name: str, spec: Any) -> pep508.Requirement:
    """Poetry's `name = "^1.2"` or `name = {version = "1.2.3", extras = [...]}` as a Requirement.

    Only what decides pinning is translated: an exact version (`"1.2.3"` or `"==1.2.3"`)
    is `==`; a caret, tilde, wildcard or range is kept as written (not pinned); git,
    path and url dependencies carry their source as the URL.
    """
    extras: tuple[str, ...] = ()
    version: str | None = None
    url: str | None = None
    if isinstance(spec, str):
        version = spec
    elif isinstance(spec, dict):
        version = spec.get("version") if isinstance(spec.get("version"), str) else None
        extras = tuple(e for e in spec.get("extras", []) if isinstance(e, str))
        for source in ("git", "path", "url"):
            if isinstance(spec.get(source), str):
                url = spec[source]
    elif isinstance(spec, list):  # multiple constraints by marker: never a single pin
        return pep508.Requirement(name, text=f"{name} (several constraints)", specifiers=(("", "several"),))
    specifiers: tuple[tuple[str, str], ...] = ()
    if version and version.strip() not in ("*", ""):
        exact = re.fullmatch(r"\s*(?:==)?\s*([0-9][A-Za-z0-9_.+!-]*)\s*", version)
        specifiers = (("==", exact[1]),) if exact else (("", version.strip()),)
    return pep508.Requirement(name, extras, specifiers, url, None, f"{name} {version or url or '*'}")


def _line_of(lines: list[str], needle: str, header: str) -> int | None:
    start = next((i for i, line in enumerate(lines) if line.strip().startswith(header.rstrip("]"))), 0)
    quoted = needle.split(";")[0].strip()
    for index in range(start, len(lines)):
        if quoted and quoted in lines[index]:
            return index + 1
    return None
