"""The deps commands as plain functions over a project directory (and, for `audit`, OSV)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from acc_plugin import Invalid

from acc_deps import checks
from acc_deps.inventory import Inventory, Reader, read_inventory
from acc_deps.osv import Cache, Osv, Transport

MAX_LISTED = 5000


def list_dependencies(root: str, paths: list[str] | None = None, include_transitive: bool = True) -> dict[str, Any]:
    inventory = _inventory(root, paths)
    direct = [entry.to_json() for entry in inventory.direct]
    result: dict[str, Any] = {
        "project": inventory.project,
        "sources": inventory.sources,
        "direct": direct[:MAX_LISTED],
        "direct_truncated": len(direct) > MAX_LISTED,
        "locks": [lock.path for lock in inventory.locks],
        "errors": inventory.errors,
    }
    if include_transitive:
        transitive = _locked_packages(inventory)
        result["transitive"] = transitive[:MAX_LISTED]
        result["transitive_truncated"] = len(transitive) > MAX_LISTED
    return result


def check(root: str, paths: list[str] | None = None, fail_on_unpinned: bool = False) -> dict[str, Any]:
    inventory = _inventory(root, paths)
    findings = checks.check(inventory, fail_on_unpinned=fail_on_unpinned)
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding["check"]] = counts.get(finding["check"], 0) + 1
    return {
        "passed": checks.passed(findings),
        "findings": findings,
        "counts": counts,
        "sources": inventory.sources,
    }


def audit(
    root: str,
    transport: Transport,
    cache: Cache | None,
    now: Callable[[], float],
    *,
    paths: list[str] | None = None,
    base_url: str = "https://api.osv.dev",
    max_age_hours: float = 24,
    refresh: bool = False,
) -> dict[str, Any]:
    inventory = _inventory(root, paths)
    pinned, not_audited = _versions(inventory)
    osv = Osv(base_url, transport, cache, now, max_age_hours * 3600)
    found = osv.audit(pinned, refresh=refresh)
    return {
        "passed": not found.vulnerable,
        "vulnerable": found.vulnerable,
        "audited": found.audited,
        "not_audited": not_audited,
        "from": "lock files" if inventory.locks else "pinned requirements",
        "cache": {
            "used": cache is not None,
            "hits": found.from_cache,
            "queried": found.queried,
            "details_fetched": found.details_fetched,
            "errors": found.cache_errors,
        },
        "details_missing": found.details_missing,
        "sources": inventory.sources,
    }


def _inventory(root: str, paths: list[str] | None) -> Inventory:
    inventory = read_inventory(Reader(root), paths)
    if not inventory.sources and not inventory.errors:
        raise Invalid(
            "the project has no dependency files deps reads (pyproject.toml, requirements*.txt, uv.lock, "
            "poetry.lock): name them with paths"
        )
    return inventory


def _locked_packages(inventory: Inventory) -> list[dict[str, Any]]:
    declared = {entry.key for entry in inventory.direct if entry.key}
    packages = []
    seen: set[str] = set()
    for lock in inventory.locks:
        direct = lock.direct if lock.direct is not None else declared
        for package in lock.packages:
            if package.key in seen:
                continue
            seen.add(package.key)
            packages.append(
                {
                    "name": package.name,
                    "version": package.version,
                    "source": package.source,
                    "direct": package.key in direct,
                    "depends_on": package.depends_on,
                    "lock": lock.path,
                }
            )
    return sorted(packages, key=lambda p: p["name"].lower())


def _versions(inventory: Inventory) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """What to audit: every locked package when there is a lock file, else the pinned requirements."""
    if inventory.locks:
        pinned = [(p.name, p.version) for lock in inventory.locks for p in lock.packages if p.version]
        unversioned = [
            {"name": p.name, "reason": f"no version in {lock.path}"}
            for lock in inventory.locks
            for p in lock.packages
            if not p.version
        ]
        return pinned, unversioned
    pinned, not_audited = [], []
    for entry in inventory.direct:
        if entry.requirement is None:
            not_audited.append({"name": None, "requirement": entry.text, "reason": "a path or URL"})
        elif entry.pinned_version is None:
            not_audited.append(
                {"name": entry.requirement.name, "requirement": entry.text, "reason": "not pinned to one version"}
            )
        else:
            pinned.append((entry.requirement.name, entry.pinned_version))
    return pinned, not_audited
