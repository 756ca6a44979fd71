"""Updating and rolling back marketplace installs: the IO shell around plan.py.

Both start by refreshing TUF and reading the plugin's signed index from the marketplace
it was installed from; offline, they stop there (MarketplaceUnreachable) and change
nothing. An update is verified exactly like an install (TUF hashes, then the publisher
signature the index names). A version that asks for more than the installed one was
granted, or is signed by another publisher key, is applied only with consent: `--yes`,
or a yes on a terminal. Grants for what the new version no longer declares are dropped.

A version kept in the store with the archive hash the index lists is switched to without
downloading it again (its plugin.wasm is re-hashed first); otherwise it is downloaded.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet

from host.abi import SUPPORTED_ABI_VERSIONS
from host.consent import Answers, decide_change, decide_install
from host.errors import ConsentRequired, MarketplaceError, ResolutionError, StoreError
from host.marketplace.config import MarketplaceConfig
from host.marketplace.index import IndexVersion, PluginIndex
from host.marketplace.plan import UpdateChoice, choose_rollback, choose_update
from host.marketplace.tuf_client import MarketplaceClient
from host.paths import HostPaths
from host.store import InstalledPlugin, LocalStore
from sdk.archive import PluginArchive
from sdk.capabilities.diff import CapabilityDiff, diff_summaries
from sdk.errors import AccError
from sdk.manifest import Manifest

if TYPE_CHECKING:
    from host.install import CompileQueue
    from host.progress import Progress

DEFAULT_KEEP_VERSIONS = 3


@dataclass(frozen=True)
class UpdateCheck:
    """What `update` would do for one plugin, decided from the fresh signed index."""

    installed: InstalledPlugin
    index: PluginIndex
    choice: UpdateChoice
    #: From the index's capability summaries (the update itself diffs the manifests).
    changes: CapabilityDiff | None
    signer_change: str

    @property
    def name(self) -> str:
        return self.installed.name

    def describe_changes(self) -> str:
        if self.changes is None:
            return ""
        parts = [self.signer_change] if self.signer_change else []
        if self.changes.widens:
            parts.append("asks for more: " + "; ".join(c.text for c in self.changes.wider))
        narrower = "; ".join(c.text for c in self.changes.narrower)
        if narrower:
            parts.append(narrower)
        return "; ".join(parts) or "same capabilities"


class Session:
    """One refreshed client per marketplace for the duration of a command, and a work dir."""

    def __init__(self, paths: HostPaths, work: Path, progress: Progress | None = None) -> None:
        self.paths = paths
        self.progress = progress
        self.config = MarketplaceConfig(paths)
        self.work = work
        self._clients: dict[str, MarketplaceClient] = {}
        self._needs: dict[str, list[tuple[str, SpecifierSet]]] | None = None

    def dependents(self, name: str) -> list[tuple[str, SpecifierSet]]:
        """(who, specifier) of each installed plugin that needs `name`. Every installed manifest
        is read once per command, not once per plugin checked; `store_changed` forgets them."""
        if self._needs is None:
            self._needs = {}
            for plugin in LocalStore(self.paths).list():
                for dep, spec in plugin.manifest().dependencies.items():
                    self._needs.setdefault(dep, []).append((f"{plugin.name} {plugin.version}", spec))
        return self._needs.get(name, [])

    def store_changed(self) -> None:
        self._needs = None

    def client(self, marketplace: str) -> MarketplaceClient:
        if marketplace not in self._clients:
            self._clients[marketplace] = MarketplaceClient(
                self.config.get(marketplace), self.config, self.work / marketplace
            )
        return self._clients[marketplace]

    def index(self, installed: InstalledPlugin) -> tuple[MarketplaceClient, PluginIndex]:
        client = self.client(installed.marketplace)
        index = client.plugin_index(installed.name)
        if index is None:
            raise ResolutionError(
                f"{installed.name} is no longer published on {installed.marketplace}",
                hint="it keeps working as installed; `acc plugin remove` it if you no longer trust it",
            )
        return client, index


@contextmanager
def session(paths: HostPaths, progress: Progress | None = None) -> Iterator[Session]:
    paths.downloads.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=paths.downloads, prefix="update-"))
    try:
        yield Session(paths, work, progress)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def marketplace_plugins(paths: HostPaths, names: tuple[str, ...]) -> list[InstalledPlugin]:
    store = LocalStore(paths)
    if not names:
        return [p for p in store.list() if p.marketplace]
    chosen = []
    for name in names:
        installed = store.get(name)
        if not installed.marketplace:
            raise StoreError(
                f"{name} was installed from an archive file, not from a marketplace",
                hint="update it by installing a newer signed archive with `acc plugin install FILE`",
            )
        chosen.append(installed)
    return chosen


def dependents_first(plugins: list[InstalledPlugin]) -> list[InstalledPlugin]:
    """Plugins that need others before the ones they need: updating a dependent may move its
    dependency (which is then re-checked), while updating a dependency first would be held
    back by a dependent that is about to change."""
    by_name = {p.name: p for p in plugins}
    needs = {p.name: set(p.manifest().dependencies) & set(by_name) for p in plugins}
    ordered: list[InstalledPlugin] = []
    remaining = dict(by_name)
    while remaining:
        # Those no remaining plugin needs; on a cycle (never installed by acc), the rest by name.
        free = sorted(n for n in remaining if not any(n in needs[m] for m in remaining if m != n)) or sorted(remaining)
        ordered.append(remaining.pop(free[0]))
    return ordered


def check_update(session: Session, installed: InstalledPlugin) -> UpdateCheck:
    from host.marketplace.install import signer_label

    _, index = session.index(installed)
    choice = choose_update(index, installed.version, SUPPORTED_ABI_VERSIONS, session.dependents(installed.name))
    changes, signer_change = None, ""
    if choice.target is not None:
        old = {k: c.scope_summary() for k, c in installed.manifest().capabilities.items()}
        new = {k: str(v.get("scope", "")) if isinstance(v, dict) else "" for k, v in choice.target.capabilities.items()}
        changes = diff_summaries(old, new)
        signer_change = _signer_change(installed.signer, signer_label(choice.target))
    return UpdateCheck(installed=installed, index=index, choice=choice, changes=changes, signer_change=signer_change)


def apply_update(session: Session, check: UpdateCheck, consent: Answers, *, keep: int) -> UpdateResult:
    """Install `check.choice.target` (status "update") with consent for anything wider, and the
    dependencies it needs that are not installed yet (or not in a version it accepts).

    Everything is downloaded, verified, consented to and then compiled before the store
    changes (each plugin compiles in the background while the next downloads); then
    dependencies are stored first, so no plugin is ever current without what it needs."""
    from host.install import CompileQueue
    from host.marketplace.install import download_verified, signer_label

    target = check.choice.target
    assert target is not None and check.choice.status == "update"
    installed = check.installed
    store = LocalStore(session.paths)
    client = session.client(installed.marketplace)
    compiles = CompileQueue(session.paths)
    dependencies = _stage_dependencies(session, client, check, consent, compiles)
    if target.version in installed.versions and _kept_sha256(store, installed.name, target.version) == target.sha256:
        granted = _consent_to_kept(session.paths, installed, target.version, target, consent, action="update")
        commit: Callable[[], InstalledPlugin] = partial(
            store.switch, installed.name, target.version, granted=granted, expected_current=installed.version
        )
    else:
        work = session.work / f"{installed.name}-{target.version}"
        work.mkdir(parents=True, exist_ok=True)
        archive = download_verified(client, check.index, target, work, session.progress)
        new_signer = signer_label(target)
        granted = _consent_to_archive(session, installed, archive, new_signer, consent, compiles, action="update")
        commit = partial(store.install, archive, granted=granted, signer=new_signer, marketplace=installed.marketplace)
    compiles.wait(session.progress)
    session.store_changed()
    stored = [dependency.store(store, keep) for dependency in dependencies]
    commit()
    store.prune(installed.name, keep)
    return UpdateResult(store.get(installed.name), tuple(stored))


@dataclass(frozen=True)
class UpdateResult:
    current: InstalledPlugin
    #: Plugins installed or updated because the new version needs them, with who needs them.
    dependencies: tuple[tuple[InstalledPlugin, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class UpdateOutcome:
    """What became of one plugin in `apply_updates`: its (fresh) check, the `result` when an
    update was applied, or the `error` that stopped checking or applying it."""

    check: UpdateCheck
    result: UpdateResult | None = None
    error: AccError | None = None


def apply_updates(
    session: Session, checks: list[UpdateCheck], consent: Answers, *, keep: int
) -> Iterator[UpdateOutcome]:
    """Apply the updates `checks` found, in their order (dependents first), yielding each
    plugin's outcome as it happens. A plugin an earlier update changed (a dependency moved for
    its dependent) is checked again first. One failure does not stop the others."""
    for check in checks:
        if check.installed != LocalStore(session.paths).find(check.name):
            try:
                check = check_update(session, LocalStore(session.paths).get(check.name))
            except AccError as e:
                yield UpdateOutcome(check, error=e)
                continue
        if check.choice.status != "update":
            yield UpdateOutcome(check)
            continue
        try:
            result = apply_update(session, check, consent, keep=keep)
        except AccError as e:
            yield UpdateOutcome(check, error=e)
            continue
        yield UpdateOutcome(check, result=result)


@dataclass(frozen=True)
class _StagedDependency:
    """A dependency downloaded, verified and consented to (compiled before it is stored)."""

    archive: PluginArchive
    granted: frozenset[str]
    signer: str
    marketplace: str
    needed_by: tuple[str, ...]
    replaces: InstalledPlugin | None

    def store(self, store: LocalStore, keep: int) -> tuple[InstalledPlugin, tuple[str, ...]]:
        installed = store.install(self.archive, granted=self.granted, signer=self.signer, marketplace=self.marketplace)
        if self.replaces is not None:
            store.prune(installed.name, keep)
        return installed, self.needed_by


def _stage_dependencies(
    session: Session, client: MarketplaceClient, check: UpdateCheck, consent: Answers, compiles: CompileQueue
) -> list[_StagedDependency]:
    from host.install import check_abi
    from host.marketplace.dependencies import resolve_install
    from host.marketplace.install import download_verified, installed_plugins, signer_label
    from host.marketplace.resolve import Requirement

    target = check.choice.target
    assert target is not None
    store = LocalStore(session.paths)
    picks = resolve_install(
        Requirement(check.name, None, SpecifierSet(f"=={target.version}")),
        check.index,
        marketplace=client.marketplace.name,
        lookup=client.plugin_index,
        installed=installed_plugins(store),
        abi_versions=SUPPORTED_ABI_VERSIONS,
    )
    staged = []
    for pick in picks[:-1]:  # the last pick is the plugin being updated
        if pick.entry is None or pick.index is None:
            continue  # installed in a version that fits: kept
        work = session.work / "dependencies" / pick.name
        work.mkdir(parents=True, exist_ok=True)
        archive = download_verified(client, pick.index, pick.entry, work, session.progress)
        signer = signer_label(pick.entry)
        current = store.find(pick.name)
        why = f"{' and '.join(pick.needed_by)} {'need' if len(pick.needed_by) > 1 else 'needs'} it"
        if current is not None:
            granted = _consent_to_archive(session, current, archive, signer, consent, compiles, action="update")
            consent.announce(f"{pick.name} {current.version} -> {pick.version} ({why})")
        else:
            check_abi(archive)
            granted = _consent_to_new(archive, consent, why)
            compiles.submit(archive)
        staged.append(_StagedDependency(archive, granted, signer, client.marketplace.name, pick.needed_by, current))
    return staged


def _consent_to_new(archive: PluginArchive, consent: Answers, why: str) -> frozenset[str]:
    """A dependency new to this machine asks for all it declares, like an install would
    (--grant/--deny name the updated plugin's kinds, so only --yes or a person answers here)."""
    manifest = archive.manifest
    label = f"{manifest.name} {manifest.version}"
    if not manifest.capabilities:
        consent.announce(f"installing {label} ({why}): it asks for no capabilities")
        return frozenset()
    return decide_install(
        manifest,
        consent.only_yes(),
        label=f"installing {label} ({why})",
        title=f"installing {label} ({why}), which asks for:",
        hint="approve it with `--yes`, or run the command on a terminal to be asked",
    )


def _consent_to_archive(
    session: Session,
    installed: InstalledPlugin,
    archive: PluginArchive,
    new_signer: str,
    consent: Answers,
    compiles: CompileQueue,
    *,
    action: str,
) -> frozenset[str]:
    """Check and consent to a downloaded replacement of `installed`, then queue its compile:
    its grants. Nothing is compiled for a version refused here."""
    from host.install import check_abi

    check_abi(archive)
    LocalStore(session.paths).check_installable(archive)
    granted = _consent_to_version(installed, archive.manifest, new_signer, consent, action=action)
    compiles.submit(archive)
    return granted


@dataclass(frozen=True)
class RollbackResult:
    previous: InstalledPlugin
    current: InstalledPlugin


def rollback(
    session: Session, name: str, to: str | None, consent: Answers, confirm: Callable[[str], bool] | None
) -> RollbackResult:
    """Switch `name` to a kept earlier version the current signed index still vouches for.

    `confirm(reason)` is asked (on a terminal, or answered by --yes) only for a version
    named with --to that the index no longer lists or marks yanked.
    """
    store = LocalStore(session.paths)
    installed = store.get(name)
    if not installed.marketplace:
        raise StoreError(
            f"{name} was installed from an archive file: rollback needs the marketplace's signed "
            "index to vouch for the earlier version",
            hint="install the earlier archive file again with `acc plugin install FILE`",
        )
    _, index = session.index(installed)
    kept = {v: _kept_sha256(store, name, v) for v in installed.versions if v != installed.version}
    choice = choose_rollback(index, installed.version, kept, installed.marketplace, to)
    if choice.confirm_reason:
        question = f"{name} {choice.target}: {choice.confirm_reason}. Roll back to it anyway?"
        if confirm is None or not confirm(question):
            raise ConsentRequired(
                f"not rolling back {name} to {choice.target}: {choice.confirm_reason}",
                hint=f"to use it anyway, confirm on a terminal or pass --yes "
                f"(`acc plugin rollback {name} --to {choice.target} --yes`)",
            )
    current = _switch_to_kept(session.paths, installed, choice.target, choice.entry, consent, action="rollback")
    session.store_changed()
    return RollbackResult(previous=installed, current=current)


def _switch_to_kept(
    paths: HostPaths,
    installed: InstalledPlugin,
    version: str,
    entry: IndexVersion | None,
    consent: Answers,
    *,
    action: str,
) -> InstalledPlugin:
    granted = _consent_to_kept(paths, installed, version, entry, consent, action=action)
    return LocalStore(paths).switch(installed.name, version, granted=granted, expected_current=installed.version)


def _consent_to_kept(
    paths: HostPaths,
    installed: InstalledPlugin,
    version: str,
    entry: IndexVersion | None,
    consent: Answers,
    *,
    action: str,
) -> frozenset[str]:
    """Check a kept version's files and signer, consent to switching to it, then make sure it
    is compiled (never on the call path, never for a refused switch): its grants."""
    from host.components import compile_and_check
    from host.marketplace.install import signer_label

    kept = LocalStore(paths).get_version(installed.name, version)
    _check_kept_files(kept)
    new_signer = signer_label(entry) if entry is not None else kept.signer
    if new_signer != kept.signer:
        raise MarketplaceError(
            f"{installed.name} {version} was installed signed by {kept.signer}, but the signed "
            f"index now names {new_signer}: refused",
            hint=f"reinstall it with `acc plugin install {installed.name}=={version} --reinstall`",
        )
    manifest = kept.manifest()
    granted = _consent_to_version(installed, manifest, new_signer, consent, action=action)
    compile_and_check(kept.wasm_path, manifest, paths.compiled, wasm_sha256=kept.wasm_sha256)
    return granted


def _check_kept_files(kept: InstalledPlugin) -> None:
    """Re-hash the kept plugin.wasm: it must be the bytes installed."""
    try:
        digest = hashlib.sha256(kept.wasm_path.read_bytes()).hexdigest()
    except OSError as e:
        raise StoreError(
            f"the kept files of {kept.name} {kept.version} are missing ({e})",
            hint=f"install it again with `acc plugin install {kept.name}=={kept.version} --reinstall`",
        ) from e
    if digest != kept.wasm_sha256:
        raise StoreError(
            f"the kept plugin.wasm of {kept.name} {kept.version} was changed since it was installed",
            hint=f"install it again with `acc plugin install {kept.name}=={kept.version} --reinstall`",
        )


def _kept_sha256(store: LocalStore, name: str, version: str) -> str:
    return store.get_version(name, version).archive_sha256


def _signer_change(old: str, new: str) -> str:
    if old == new:
        return ""
    return f"signed by another publisher key: {new} (was {old})"


def _consent_to_version(
    installed: InstalledPlugin, new: Manifest, new_signer: str, consent: Answers, *, action: str
) -> frozenset[str]:
    """The grants of `installed` moved to the version of `new` (update or rollback), asked for
    what is new or wider (and a new publisher key); refused when nobody answers."""
    version = str(new.version)
    again = f"acc plugin {action} {installed.name}" + ("" if action == "update" else f" --to {version}") + " --yes"
    return decide_change(
        name=installed.name,
        old_version=installed.version,
        new_version=version,
        old=installed.manifest().capabilities,
        new=new.capabilities,
        old_granted=installed.granted,
        old_signer=installed.signer,
        new_signer=new_signer,
        answers=consent,
        again=again,
        action=action,
    )
