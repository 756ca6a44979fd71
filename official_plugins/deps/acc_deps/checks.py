"""What is wrong with a project's declared dependencies. Pure over an `Inventory`.

Findings, each with a severity (`error` fails the check, `warning` fails it only with
`fail_on_unpinned` for unpinned ones, `info` never):

- `unparsable`: a line that is not a requirement (error);
- `duplicate`: the same project twice in one install set (a requirements file with its
  includes, or one pyproject group): an error when the two differ, else a warning;
- `conflicting-pins`: pinned to different versions in different places (error);
- `missing-hash`: a requirement without `--hash` in a file that uses hashes: pip refuses
  to install such a file (error);
- `unpinned`: not pinned to one version: a warning, or `info` when a lock file pins it;
- `not-locked`: a direct dependency that the lock file does not have: the lock is stale
  (warning).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from acc_deps.inventory import Direct, Inventory


def check(inventory: Inventory, *, fail_on_unpinned: bool = False) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = []
    for error in inventory.errors:
        findings.append({"check": "unparsable", "severity": "error", **error})
    locked = inventory.locked_versions()
    findings += _duplicates(inventory.direct)
    findings += _conflicting_pins(inventory.direct, locked)
    for entry in inventory.direct:
        where = {"name": _name(entry), "file": entry.file, "line": entry.line, "requirement": entry.text}
        if entry.requirement is None:
            findings.append({"check": "unpinned", "severity": _unpinned(fail_on_unpinned), **where,
                             "detail": "a path or URL without a project name or version"})  # fmt: skip
            continue
        if entry.file in inventory.hashed_files and not entry.hashes and not entry.constraint:
            findings.append({"check": "missing-hash", "severity": "error", **where,
                             "detail": "the file uses --hash, so pip refuses a requirement without one"})  # fmt: skip
        if entry.pinned_version is None and not entry.constraint:
            version = locked.get(entry.key or "")
            if version is not None:
                findings.append({"check": "unpinned", "severity": "info", **where, "locked_version": version,
                                 "detail": f"not pinned here, but the lock file pins {version}"})  # fmt: skip
            else:
                findings.append({"check": "unpinned", "severity": _unpinned(fail_on_unpinned), **where,
                                 "locked_version": None, "detail": _unpinned_detail(entry)})  # fmt: skip
    findings += _not_locked(inventory)
    return findings


def passed(findings: list[dict[str, Any]]) -> bool:
    return not any(f["severity"] == "error" for f in findings)


def _unpinned(strict: bool) -> str:
    return "error" if strict else "warning"


def _unpinned_detail(entry: Direct) -> str:
    if entry.editable:
        return "an editable install tracks whatever the source holds"
    if entry.requirement and entry.requirement.url:
        return "installed from a URL, not pinned to a version"
    spec = entry.requirement.specifier if entry.requirement else ""
    return f"any version matching {spec!r} may be installed" if spec else "any version may be installed"


def _name(entry: Direct) -> str | None:
    return entry.requirement.name if entry.requirement else None


def _duplicates(direct: list[Direct]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, bool], list[Direct]] = defaultdict(list)
    for entry in direct:
        if entry.key is not None:
            groups[(entry.group, entry.key, entry.constraint)].append(entry)
    findings = []
    for (group, _, _), entries in groups.items():
        if len(entries) < 2:
            continue
        differ = len({(e.requirement.specifier, e.requirement.url) for e in entries if e.requirement}) > 1
        findings.append(
            {
                "check": "duplicate",
                "severity": "error" if differ else "warning",
                "name": _name(entries[0]),
                "group": group,
                "places": [{"file": e.file, "line": e.line, "requirement": e.text} for e in entries],
                "detail": "declared more than once" + (" with different requirements" if differ else ""),
            }
        )
    return findings


def _conflicting_pins(direct: list[Direct], locked: dict[str, str]) -> list[dict[str, Any]]:
    pins: dict[str, dict[str, list[Direct]]] = defaultdict(lambda: defaultdict(list))
    for entry in direct:
        if entry.key is not None and entry.pinned_version is not None:
            pins[entry.key][entry.pinned_version].append(entry)
    findings = []
    for key, versions in pins.items():
        lock_version = locked.get(key)
        if len(versions) < 2 and (lock_version is None or lock_version in versions):
            continue
        places = [
            {"file": e.file, "line": e.line, "version": version}
            for version, entries in versions.items()
            for e in entries
        ]
        if lock_version is not None and lock_version not in versions:
            places.append({"file": "lock", "line": None, "version": lock_version})
        findings.append(
            {
                "check": "conflicting-pins",
                "severity": "error",
                "name": next(iter(versions.values()))[0].requirement.name,  # type: ignore[union-attr]
                "places": places,
                "detail": "pinned to different versions: " + ", ".join(sorted({p["version"] for p in places})),
            }
        )
    return findings


def _not_locked(inventory: Inventory) -> list[dict[str, Any]]:
    if not inventory.locks:
        return []
    locked = inventory.locked_versions()
    findings = []
    for entry in inventory.direct:
        if entry.file.endswith("pyproject.toml") and entry.key and entry.key not in locked:
            if inventory.project and entry.key == inventory.project.lower():
                continue
            findings.append(
                {
                    "check": "not-locked",
                    "severity": "warning",
                    "name": _name(entry),
                    "file": entry.file,
                    "line": entry.line,
                    "requirement": entry.text,
                    "detail": f"not in {', '.join(lock.path for lock in inventory.locks)}: update the lock file",
                }
            )
    return findings
