"""Choosing one consistent set of versions: a requested plugin, its dependencies, theirs...

Plain functions over signed indexes (fetched through `lookup`), no IO of their own.

- One version per plugin name: the store has one current version of each.
- A dependency comes from the marketplace of the plugin that needs it. A name means
  something only on the marketplace that signed it (the registry checks dependencies
  against its own names at publish), so the same name installed from elsewhere is a
  conflict, never a substitute: that substitution is a dependency-confusion attack.
- An installed plugin that satisfies every requirement is kept: a dependency is changed
  only when something needs another version of it.
- Installed plugins keep constraining their dependencies, so installing `a` never breaks
  an installed `c` by moving `b` from under it. (When the search replaces an installed
  plugin, the requirements of its old version stop counting.)
- A yanked version is never picked for a dependency; for the requested plugin only when
  pinned exactly (resolve.py's rule).
- The result is in install order, dependencies first, so a plugin is never stored before
  what it needs. A cycle has no such order and is refused.

The search is depth first over candidate versions, newest first, backtracking on a
conflict; it is bounded by MAX_STEPS so a hostile set of indexes cannot make it run
for ever. When it fails, the error explains the first conflict it met, which is the one
that stopped the newest version of the requested plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from host.errors import ResolutionError
from host.marketplace.index import IndexVersion, PluginIndex
from host.marketplace.resolve import Requirement, admits_abi, select_version
from sdk.names import NAME_PATTERN

MAX_STEPS = 5_000
MAX_PLUGINS = 200  # a plugin with more (transitive) dependencies than this is refused


@dataclass(frozen=True)
class Installed:
    """A plugin in the local store, as the resolver needs to know it."""

    name: str
    version: str
    marketplace: str  # "" for an archive file
    dependencies: Mapping[str, SpecifierSet]


@dataclass(frozen=True)
class Need:
    """`by` needs this plugin within `specifier`. `installed_owner` names the installed plugin
    whose current version asks it (its need lapses if the search replaces that plugin)."""

    specifier: SpecifierSet
    by: str
    installed_owner: str = ""


@dataclass(frozen=True)
class Pick:
    """One plugin of the solution: a version to install (`entry`) or an installed one to keep."""

    name: str
    version: str
    entry: IndexVersion | None  # None: keep the installed version
    index: PluginIndex | None
    dependencies: Mapping[str, SpecifierSet]
    needed_by: tuple[str, ...] = ()  # empty for the requested plugin
    warning: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


Lookup = Callable[[str], PluginIndex | None]


def entry_dependencies(entry: IndexVersion, plugin: str) -> dict[str, SpecifierSet]:
    """A version's dependencies from its signed index entry, parsed strictly."""
    parsed: dict[str, SpecifierSet] = {}
    for name, spec in entry.dependencies.items():
        if not isinstance(name, str) or not NAME_PATTERN.match(name) or not isinstance(spec, str):
            raise ResolutionError(
                f"{plugin} {entry.version} lists a dependency that is not NAME = SPECIFIER",
                hint="report this to the plugin's publisher",
            )
        try:
            parsed[name] = SpecifierSet(spec)
        except InvalidSpecifier as e:
            raise ResolutionError(
                f"{plugin} {entry.version} needs {name} {spec!r}, which is not a version specifier",
                hint="report this to the plugin's publisher",
            ) from e
    return parsed


def resolve_install(
    requirement: Requirement,
    root_index: PluginIndex,
    *,
    marketplace: str,
    lookup: Lookup,
    installed: Mapping[str, Installed],
    abi_versions: Sequence[Version],
) -> list[Pick]:
    """Every plugin the install of `requirement` involves, dependencies first."""
    return _Resolver(requirement, root_index, marketplace, lookup, installed, abi_versions).run()


class _Resolver:
    def __init__(
        self,
        requirement: Requirement,
        root_index: PluginIndex,
        marketplace: str,
        lookup: Lookup,
        installed: Mapping[str, Installed],
        abi_versions: Sequence[Version],
    ) -> None:
        self.requirement = requirement
        self.root = root_index.name
        self.marketplace = marketplace
        self.abi_versions = abi_versions
        self.installed = installed
        self._lookup = lookup
        self._indexes: dict[str, PluginIndex | None] = {root_index.name: root_index}
        self.steps = 0
        self.conflict: ResolutionError | None = None

    def run(self) -> list[Pick]:
        needs: dict[str, list[Need]] = {}
        for plugin in self.installed.values():
            if plugin.name == self.root:
                continue  # being replaced: what its old version needed no longer counts
            for dep, spec in plugin.dependencies.items():
                needs.setdefault(dep, []).append(
                    Need(spec, f"{plugin.name} {plugin.version} (installed)", installed_owner=plugin.name)
                )
        needs.setdefault(self.root, []).append(Need(self.requirement.specifier, "you"))
        solution = self._solve({}, needs, [self.root])
        if solution is None:
            assert self.conflict is not None
            raise self.conflict
        return _install_order(solution)

    # -- search ------------------------------------------------------------------------------

    def _solve(self, chosen: dict[str, Pick], needs: dict[str, list[Need]], queue: list[str]) -> dict[str, Pick] | None:
        if not queue:
            return chosen
        name, rest = queue[0], queue[1:]
        if name in chosen:
            return self._solve(chosen, needs, rest)
        for candidate in self._candidates(name, self._active(needs.get(name, []), chosen)):
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise ResolutionError(
                    f"gave up choosing versions for {self.requirement} after {MAX_STEPS} tries",
                    hint="pin the versions of its dependencies with `acc plugin install "
                    "DEP==VERSION` first, then install it",
                )
            extended = self._extend(chosen, needs, rest, candidate)
            if extended is None:
                continue
            solution = self._solve(*extended)
            if solution is not None:
                return solution
        return None

    def _extend(
        self, chosen: dict[str, Pick], needs: dict[str, list[Need]], queue: list[str], candidate: Pick
    ) -> tuple[dict[str, Pick], dict[str, list[Need]], list[str]] | None:
        """The state with `candidate` chosen, or None (and a recorded conflict) if one of its
        requirements contradicts a plugin already chosen."""
        chosen = {**chosen, candidate.name: candidate}
        if len(chosen) > MAX_PLUGINS:
            raise ResolutionError(
                f"{self.requirement} pulls in more than {MAX_PLUGINS} plugins: refused",
                hint="report this to the plugin's publisher",
            )
        needs = {name: list(items) for name, items in needs.items()}
        queue = list(queue)
        for dep, spec in candidate.dependencies.items():
            need = Need(spec, candidate.label)
            needs.setdefault(dep, []).append(need)
            if dep in chosen:
                if not spec.contains(chosen[dep].version, prereleases=True):
                    self._record(self._contradiction(candidate, dep, spec, chosen[dep]))
                    return None
            elif dep not in queue:
                queue.append(dep)
        return chosen, needs, queue

    @staticmethod
    def _active(needs: list[Need], chosen: Mapping[str, Pick]) -> list[Need]:
        """Needs that still count: an installed plugin's lapse once the search replaces it."""
        return [
            n
            for n in needs
            if not n.installed_owner or chosen.get(n.installed_owner) is None or chosen[n.installed_owner].entry is None
        ]

    def _candidates(self, name: str, needs: list[Need]) -> list[Pick]:
        if name == self.root:
            return self._root_candidates(needs)
        needed_by = tuple(n.by for n in needs)
        current = self.installed.get(name)
        if current is not None and current.marketplace != self.marketplace:
            source = f"marketplace {current.marketplace}" if current.marketplace else "an archive file"
            self._record(
                ResolutionError(
                    f"{_list(needed_by)} {_needs(needed_by)} {name} from {self.marketplace}, but the installed {name} "
                    f"{current.version} came from {source}",
                    hint=f"a plugin name means something only on the marketplace that signed it; remove {name} "
                    f"(`acc plugin remove {name}`) so it can be installed from {self.marketplace}",
                )
            )
            return []
        if current is not None and _satisfies(current.version, needs):
            return [Pick(name, current.version, None, None, current.dependencies, needed_by)]
        index = self._index(name)
        if index is None:
            self._record(
                ResolutionError(
                    f"{_list(needed_by)} {_needs(needed_by)} {name}, which marketplace "
                    f"{self.marketplace} does not publish",
                    hint="report this to the publisher of the plugin that needs it",
                )
            )
            return []
        picks = []
        versions = _newest_first(index)
        # Pre-releases only when a requirement names one, or nothing else exists (as pip does).
        prereleases = any(n.specifier.prereleases for n in needs) or all(v.is_prerelease for v, _ in versions)
        for version, entry in versions:
            if (
                entry.yanked
                or not admits_abi(entry, self.abi_versions)
                or not _satisfies(version, needs)
                or (version.is_prerelease and not prereleases)
            ):
                continue
            picks.append(Pick(name, entry.version, entry, index, entry_dependencies(entry, name), needed_by))
        if not picks:
            self._record(_unsatisfiable(index, needs, self.abi_versions))
        return picks

    def _root_candidates(self, needs: list[Need]) -> list[Pick]:
        index = self._indexes[self.root]
        assert index is not None
        # select_version explains a requirement no version meets (yanked, ABI, specifier).
        first = select_version(index, self.requirement, self.abi_versions)
        newest = Version(first.entry.version)
        others = [n for n in needs if n.by != "you"]
        picks: list[Pick] = []
        for version, entry in _newest_first(index):
            # The newest choice first, then older ones select_version would also accept.
            if entry.version != first.entry.version and (
                version > newest
                or entry.yanked
                or not admits_abi(entry, self.abi_versions)
                or not self.requirement.specifier.contains(version, prereleases=True)
                or (version.is_prerelease and not newest.is_prerelease)
            ):
                continue
            if not _satisfies(version, others):
                continue
            warning = first.warning if entry.version == first.entry.version else None
            picks.append(
                Pick(self.root, entry.version, entry, index, entry_dependencies(entry, self.root), warning=warning)
            )
        if not picks:
            self._record(_unsatisfiable(index, needs, self.abi_versions, what=str(self.requirement)))
        return picks

    def _index(self, name: str) -> PluginIndex | None:
        if name not in self._indexes:
            self._indexes[name] = self._lookup(name)
        return self._indexes[name]

    def _record(self, conflict: ResolutionError) -> None:
        if self.conflict is None:
            self.conflict = conflict

    def _contradiction(self, candidate: Pick, dep: str, spec: SpecifierSet, chosen: Pick) -> ResolutionError:
        why = f"{_list(chosen.needed_by)} {_needs(chosen.needed_by)} it" if chosen.needed_by else "you asked for it"
        if chosen.entry is None:
            why = "it is installed" + (
                f" and {_list(chosen.needed_by)} {_needs(chosen.needed_by)} it" if chosen.needed_by else ""
            )
        return ResolutionError(
            f"cannot install {self.requirement}: {candidate.label} needs {dep}{_spec(spec)}, "
            f"but {chosen.label} is the {dep} chosen ({why})",
            hint="install an older version of the plugin you asked for, or ask the publishers to agree on a version",
        )


def _install_order(solution: Mapping[str, Pick]) -> list[Pick]:
    """Dependencies before the plugins that need them; a cycle is refused with its path."""
    order: list[Pick] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            loop = [*path[path.index(name) :], name]
            labels = " → ".join(solution[n].label for n in loop)
            raise ResolutionError(
                f"a dependency cycle: {labels}",
                hint="acc installs every plugin after the plugins it needs, which a cycle makes "
                "impossible; ask the publishers to break the cycle, or install an older version",
            )
        state[name] = "visiting"
        for dep in sorted(solution[name].dependencies):
            if dep in solution:
                visit(dep, [*path, name])
        state[name] = "done"
        order.append(solution[name])

    for name in sorted(solution):
        visit(name, [])
    return order


def _newest_first(index: PluginIndex) -> list[tuple[Version, IndexVersion]]:
    parsed = []
    for entry in index.versions:
        try:
            parsed.append((Version(entry.version), entry))
        except InvalidVersion:
            continue  # not installable by this acc; never chosen
    return sorted(parsed, key=lambda pair: pair[0], reverse=True)


def _satisfies(version: Version | str, needs: list[Need]) -> bool:
    return all(n.specifier.contains(version, prereleases=True) for n in needs)


def _unsatisfiable(
    index: PluginIndex, needs: list[Need], abi_versions: Sequence[Version], *, what: str = ""
) -> ResolutionError:
    wants = "; ".join(f"{n.by} {'need' if n.by == 'you' else 'needs'} {index.name}{_spec(n.specifier)}" for n in needs)
    published = (
        ", ".join(
            f"{e.version}{' (yanked)' if e.yanked else ''}{'' if admits_abi(e, abi_versions) else ' (other ABI)'}"
            for _, e in reversed(_newest_first(index))
        )
        or "none"
    )
    blockers = [n.by for n in needs if n.installed_owner]
    hint = (
        f"update or remove {_list(tuple(blockers))} first"
        if blockers
        else "ask for an older version of the plugin you install, or tell its publisher"
    )
    subject = f"cannot install {what}: " if what else ""
    return ResolutionError(
        f"{subject}{wants}, and no published version of {index.name} satisfies "
        f"{'all of that' if len(needs) > 1 else 'it'} (published: {published})",
        hint=hint,
    )


def _spec(specifier: SpecifierSet) -> str:
    return str(specifier) if str(specifier) else " (any version)"


def _list(items: tuple[str, ...]) -> str:
    return " and ".join(items) if len(items) <= 2 else ", ".join(items[:-1]) + f" and {items[-1]}"


def _needs(items: tuple[str, ...]) -> str:
    return "need" if len(items) > 1 else "needs"
