"""Deciding updates and rollbacks from a fresh signed index: plain functions, no IO.

Update: the newest version that is not yanked and runs on this host's ABI. A newer
version is offered; an older one never replaces the installed version silently (that
happens when the installed version was yanked, or is no longer listed): the plan says
why and which version is the newest usable one.

Rollback: an earlier version that is still kept in the store AND listed, not yanked,
with the same archive hash, by the marketplace's *current* signed index. Older metadata
is never consulted. A version the index no longer lists or marks yanked is chosen only
when named explicitly, and then only after the user confirms `confirm_reason`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from host.errors import ResolutionError, StoreError
from host.marketplace.index import IndexVersion, PluginIndex
from host.marketplace.resolve import Requirement, select_version

UpdateStatus = Literal["update", "current", "held", "none"]


@dataclass(frozen=True)
class UpdateChoice:
    """`update`: `target` is newer. `current`: nothing newer to install. `held`: the installed
    version is yanked or unlisted and the newest usable one (`target`, if any) is older.
    `none`: no version is installable at all. `note` says why, in words."""

    status: UpdateStatus
    target: IndexVersion | None
    note: str = ""


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _yank_text(entry: IndexVersion) -> str:
    return f"{entry.version} is yanked: {entry.yank_reason or 'no reason given'}"


def choose_update(
    index: PluginIndex,
    installed_version: str,
    abi_versions: Sequence[Version],
    dependents: Sequence[tuple[str, SpecifierSet]] = (),
) -> UpdateChoice:
    """`dependents`: (who, specifier) for each installed plugin that needs this one. An update
    never leaves their range; the note says which newer version they hold back."""
    choice = _choose_newest(index, installed_version, abi_versions)
    bound = SpecifierSet()
    for _, specifier in dependents:
        bound &= specifier
    if choice.target is None or not dependents or bound.contains(choice.target.version, prereleases=True):
        return choice
    holders = " and ".join(
        f"{who} needs {index.name}{specifier}"
        for who, specifier in dependents
        if not specifier.contains(choice.target.version, prereleases=True)
    )
    held_back = f"{choice.target.version} is available, but {holders}"
    try:
        allowed = select_version(index, Requirement(index.name, None, bound), abi_versions).entry
    except ResolutionError:
        return UpdateChoice("current", None, held_back)
    current = _version(installed_version)
    if current is not None and Version(allowed.version) > current:
        return UpdateChoice("update", allowed, held_back)
    return UpdateChoice("current", None, held_back)


def _choose_newest(index: PluginIndex, installed_version: str, abi_versions: Sequence[Version]) -> UpdateChoice:
    current = _version(installed_version)
    listed = next((e for e in index.versions if e.version == installed_version), None)
    try:
        best: IndexVersion | None = select_version(
            index, Requirement(index.name, None, SpecifierSet()), abi_versions
        ).entry
    except ResolutionError as e:
        best, why_none = None, e.message
    newer_yanked = [
        e
        for e in index.versions
        if e.yanked and current is not None and (v := _version(e.version)) is not None and v > current
    ]
    if best is None:
        return UpdateChoice("none", None, why_none)
    best_version = Version(best.version)
    if current is None or best_version > current:
        return UpdateChoice("update", best)
    if best_version == current:
        note = "; ".join(_yank_text(e) for e in sorted(newer_yanked, key=lambda e: Version(e.version)))
        return UpdateChoice("current", None, note)
    if listed is None:
        why = f"{index.name} {installed_version} is no longer listed by the marketplace"
    elif listed.yanked:
        why = f"{index.name} {_yank_text(listed)}"
    else:
        why = f"{index.name} {installed_version} does not run on this host's plugin ABI ({listed.abi})"
    return UpdateChoice("held", best, f"{why}; the newest version that is not yanked is {best.version}")


@dataclass(frozen=True)
class RollbackChoice:
    target: str
    entry: IndexVersion | None
    #: Why this version needs the user's explicit confirmation ("" when it does not).
    confirm_reason: str = ""


def _refusal(index: PluginIndex, version: str, kept_sha256: str, marketplace: str) -> tuple[str, bool]:
    """(why `version` may not be rolled back to, whether confirming can override it); ("", False) if it may."""
    entry = next((e for e in index.versions if e.version == version), None)
    if entry is None:
        return f"{version} is no longer listed in {marketplace}'s signed index", True
    if entry.sha256 != kept_sha256:
        return (
            f"the kept copy of {version} (sha256 {kept_sha256[:16]}…) is not the archive {marketplace} signs "
            f"for it (sha256 {entry.sha256[:16]}…)"
        ), False
    if entry.yanked:
        return _yank_text(entry), True
    return "", False


def choose_rollback(
    index: PluginIndex, current: str, kept: dict[str, str], marketplace: str, to: str | None
) -> RollbackChoice:
    """`kept`: {version: archive sha256} of the versions in the store other than the current one."""
    name = index.name
    entries = {e.version: e for e in index.versions}
    if to is not None:
        if to == current:
            raise StoreError(f"{name} {to} is already the current version")
        if to not in kept:
            have = ", ".join(sorted(kept, key=version_order, reverse=True)) or "none"
            raise StoreError(
                f"{name} {to} is not kept in the store (kept previous versions: {have})",
                hint=f"install it with `acc plugin install {name}=={to}`",
            )
        why, overridable = _refusal(index, to, kept[to], marketplace)
        if why and not overridable:
            raise StoreError(
                f"not rolling back {name} to {to}: {why}",
                hint=f"reinstall it from the marketplace: `acc plugin install {name}=={to} --reinstall`",
            )
        return RollbackChoice(to, entries.get(to), confirm_reason=why)
    current_version = _version(current)
    earlier = sorted(
        (v for v in kept if current_version is None or (_version(v) or Version("0")) < current_version),
        key=version_order,
        reverse=True,
    )
    refusals = []
    for version in earlier:
        why, _ = _refusal(index, version, kept[version], marketplace)
        if not why:
            return RollbackChoice(version, entries[version])
        refusals.append(why)
    if not earlier:
        raise StoreError(
            f"{name} has no earlier version kept to roll back to (current: {current})",
            hint=f"install one with `acc plugin install {name}==VERSION`",
        )
    raise StoreError(
        f"no kept earlier version of {name} can be rolled back to: " + "; ".join(refusals),
        hint=f"name one with `acc plugin rollback {name} --to VERSION` to confirm it anyway, "
        f"or install another with `acc plugin install {name}==VERSION`",
    )


def version_order(version: str) -> tuple[int, Version | str]:
    """A sort key: PEP 440 order, versions acc cannot parse first (oldest)."""
    parsed = _version(version)
    return (1, parsed) if parsed is not None else (0, version)
