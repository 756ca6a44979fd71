"""Requirements and version choice: plain functions over a signed index, no IO.

A requirement is `NAME`, `NAME SPEC` or `NAME@MARKETPLACE SPEC` (no spaces needed), where
SPEC is a PEP 440 specifier set: `git`, `git>=1.2,<2`, `git@acme==1.4.0`.

The choice is the newest version that satisfies the specifier, whose ABI specifier admits
one of this host's ABI versions, and that is not yanked. A yanked version is chosen only
when the requirement pins exactly it (`==1.1.0`), and then with a warning that quotes
the yank reason: a yank means "do not pick this", not "this no longer exists".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from host.errors import ResolutionError
from host.marketplace.index import IndexVersion, PluginIndex
from sdk.terminal_text import printable

_REQUIREMENT = re.compile(r"(?P<name>[a-z0-9][a-z0-9-]*)(?:@(?P<market>[a-z0-9][a-z0-9._-]*))?(?P<spec>.*)")


@dataclass(frozen=True)
class Requirement:
    name: str
    marketplace: str | None
    specifier: SpecifierSet

    @property
    def pinned(self) -> Version | None:
        """The version of an exact `==X` pin (not `==1.*`), else None."""
        specs = list(self.specifier)
        if len(specs) == 1 and specs[0].operator in {"==", "==="} and "*" not in specs[0].version:
            try:
                return Version(specs[0].version)
            except InvalidVersion:
                return None
        return None

    def __str__(self) -> str:
        return self.name + (f"@{self.marketplace}" if self.marketplace else "") + str(self.specifier)


@dataclass(frozen=True)
class Selection:
    entry: IndexVersion
    warning: str | None = None


def parse_requirement(text: str) -> Requirement:
    """Parse NAME[@MARKETPLACE][SPEC]. Case does not matter: plugin and marketplace names are
    lowercase and PEP 440 specifiers ignore case, so `Git@ACME==1.0` is `git@acme==1.0`."""
    match = _REQUIREMENT.fullmatch(text.strip().replace(" ", "").lower())
    if match is None:
        raise ResolutionError(
            f"{text!r} is not a plugin requirement",
            hint="write NAME, NAME==1.2.0, 'NAME>=1.2,<2' or NAME@MARKETPLACE; "
            "to install an archive file, give its path (NAME-VERSION.plugin)",
        )
    try:
        specifier = SpecifierSet(match["spec"])
    except InvalidSpecifier as e:
        raise ResolutionError(
            f"{match['spec']!r} is not a version specifier ({e})",
            hint="use PEP 440 specifiers, e.g. ==1.2.0, >=1.2,<2, ~=1.2",
        ) from e
    return Requirement(name=match["name"], marketplace=match["market"], specifier=specifier)


def admits_abi(entry: IndexVersion, abi_versions: Sequence[Version]) -> bool:
    try:
        spec = SpecifierSet(entry.abi)
    except InvalidSpecifier:
        return False
    return any(spec.contains(v, prereleases=True) for v in abi_versions)


def select_version(index: PluginIndex, requirement: Requirement, abi_versions: Sequence[Version]) -> Selection:
    """The version to install, or a ResolutionError that says why none fits."""
    if index.taken_down:
        raise ResolutionError(
            f"{index.name} was taken down by the marketplace's moderators: {printable(index.taken_down)}",
            hint="no version of it can be installed or updated to from this marketplace",
        )
    parsed: list[tuple[Version, IndexVersion]] = []
    for entry in index.versions:
        try:
            parsed.append((Version(entry.version), entry))
        except InvalidVersion:
            continue  # not installable by this acc; never chosen
    pinned = requirement.pinned
    # Pre-releases only when the specifier names one, or when nothing else exists (as pip does).
    only_prereleases = all(v.is_prerelease for v, _ in parsed)
    prereleases = pinned is not None or only_prereleases or bool(requirement.specifier.prereleases)
    matching = [(v, e) for v, e in parsed if requirement.specifier.contains(v, prereleases=prereleases)]
    usable = [(v, e) for v, e in matching if admits_abi(e, abi_versions)]
    chosen = [(v, e) for v, e in usable if not e.yanked or v == pinned]
    if chosen:
        _, entry = max(chosen, key=lambda pair: pair[0])
        warning = None
        if entry.yanked:
            reason = entry.yank_reason or "no reason given"
            warning = f"{index.name} {entry.version} is yanked: {reason}"
        return Selection(entry=entry, warning=warning)
    raise _no_match(index, requirement, parsed, matching, usable, abi_versions)


def _no_match(
    index: PluginIndex,
    requirement: Requirement,
    parsed: list[tuple[Version, IndexVersion]],
    matching: list[tuple[Version, IndexVersion]],
    usable: list[tuple[Version, IndexVersion]],
    abi_versions: Sequence[Version],
) -> ResolutionError:
    published = (
        ", ".join(f"{e.version}{' (yanked)' if e.yanked else ''}" for _, e in sorted(parsed, key=lambda pair: pair[0]))
        or "none"
    )
    wanted = str(requirement.specifier) or "any version"
    if not parsed:
        return ResolutionError(f"{index.name} has no published versions")
    if matching and not usable:
        abis = ", ".join(str(v) for v in abi_versions)
        needs = "; ".join(f"{e.version} needs ABI {e.abi}" for _, e in matching)
        return ResolutionError(
            f"no version of {index.name} matching {wanted} runs on this host's plugin ABI {abis} ({needs})",
            hint="update acc, or ask for an older version",
        )
    if usable:
        return ResolutionError(
            f"every version of {index.name} matching {wanted} is yanked (published: {published})",
            hint=f"pin one exactly to install it anyway, e.g. "
            f"`acc plugin install {index.name}=={usable[-1][1].version}`",
        )
    return ResolutionError(
        f"no version of {index.name} satisfies {wanted} (published: {published})", hint="loosen the version specifier"
    )
