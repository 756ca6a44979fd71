"""`acc.lock`: the installed marketplace plugins, reproducible on another acc home.

    {
      "lock_version": 1,
      "marketplaces": {"NAME": {"url": "...", "root_sha256": "..."}},
      "plugins": {"NAME": {"marketplace": "...", "version": "...", "archive_sha256": "...",
                           "granted": ["fs", ...]}}
    }

Deterministic JSON (sorted keys, no timestamps), so the same installs give the same
bytes and a lock file diffs cleanly in review. `install --locked` adds each marketplace
from the lock's pinned root hash, checks every plugin's archive hash against the current
signed index before installing anything, then installs exactly those versions (verified
like any install) with the grants the lock records, shown as they are applied.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from host.errors import InputError, MarketplaceError, MarketplaceUntrusted, ResolutionError
from host.marketplace.config import Marketplace, MarketplaceConfig
from host.marketplace.index import IndexVersion, PluginIndex
from host.paths import HostPaths
from host.store import InstalledPlugin, LocalStore

if TYPE_CHECKING:
    from host.progress import Progress

LOCK_VERSION = 1
MAX_LOCK_BYTES = 1024 * 1024
DEFAULT_LOCK_FILE = "acc.lock"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class LockedMarketplace:
    name: str
    url: str
    root_sha256: str


@dataclass(frozen=True)
class LockedPlugin:
    name: str
    marketplace: str
    version: str
    archive_sha256: str
    granted: tuple[str, ...]


@dataclass(frozen=True)
class Lock:
    marketplaces: tuple[LockedMarketplace, ...]
    plugins: tuple[LockedPlugin, ...]

    def to_bytes(self) -> bytes:
        document = {
            "lock_version": LOCK_VERSION,
            "marketplaces": {m.name: {"url": m.url, "root_sha256": m.root_sha256} for m in self.marketplaces},
            "plugins": {
                p.name: {
                    "marketplace": p.marketplace,
                    "version": p.version,
                    "archive_sha256": p.archive_sha256,
                    "granted": sorted(p.granted),
                }
                for p in self.plugins
            },
        }
        return (json.dumps(document, sort_keys=True, indent=2) + "\n").encode()


def build_lock(installed: list[InstalledPlugin], marketplaces: dict[str, Marketplace]) -> Lock:
    """The lock of the marketplace-installed plugins (archive-file installs are not lockable)."""
    plugins = tuple(
        LockedPlugin(
            name=p.name,
            marketplace=p.marketplace,
            version=p.version,
            archive_sha256=p.archive_sha256,
            granted=tuple(sorted(p.granted)),
        )
        for p in sorted(installed, key=lambda p: p.name)
        if p.marketplace
    )
    used = sorted({p.marketplace for p in plugins})
    missing = [m for m in used if m not in marketplaces]
    if missing:
        raise MarketplaceError(
            f"marketplace {missing[0]} (that installed {_installed_from(plugins, missing[0])}) "
            "has been removed: its URL and root are unknown",
            hint=f"add it again with `acc marketplace add URL --name {missing[0]} --root-sha256 HEX`",
        )
    return Lock(
        marketplaces=tuple(LockedMarketplace(m, marketplaces[m].url, marketplaces[m].root_sha256) for m in used),
        plugins=plugins,
    )


def _installed_from(plugins: tuple[LockedPlugin, ...], marketplace: str) -> str:
    return ", ".join(p.name for p in plugins if p.marketplace == marketplace)


def parse_lock(data: bytes, source: str) -> Lock:
    """Strict parsing: a lock decides what gets installed, so anything unexpected is refused."""
    if len(data) > MAX_LOCK_BYTES:
        raise InputError(f"{source} is larger than {MAX_LOCK_BYTES} bytes: not an acc lock file")
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as e:
        raise InputError(f"{source} is not JSON ({e})", hint="write one with `acc plugin lock`") from e
    if not isinstance(document, dict) or document.get("lock_version") != LOCK_VERSION:
        raise InputError(
            f"{source} is not an acc lock file of version {LOCK_VERSION}", hint="write one with `acc plugin lock`"
        )
    markets_raw, plugins_raw = document.get("marketplaces"), document.get("plugins")
    if (
        not isinstance(markets_raw, dict)
        or not isinstance(plugins_raw, dict)
        or set(document) != {"lock_version", "marketplaces", "plugins"}
    ):
        raise InputError(f"{source}: expected exactly lock_version, marketplaces and plugins")
    markets = tuple(
        LockedMarketplace(name, _field(m, "url", source), _sha(m, "root_sha256", source))
        for name, m in sorted(markets_raw.items())
    )
    plugins = []
    for name, p in sorted(plugins_raw.items()):
        granted = p.get("granted") if isinstance(p, dict) else None
        if not isinstance(granted, list) or not all(isinstance(g, str) for g in granted):
            raise InputError(f"{source}: plugins.{name}.granted must be a list of capability names")
        plugin = LockedPlugin(
            name=name,
            marketplace=_field(p, "marketplace", source),
            version=_field(p, "version", source),
            archive_sha256=_sha(p, "archive_sha256", source),
            granted=tuple(sorted(granted)),
        )
        if plugin.marketplace not in {m.name for m in markets}:
            raise InputError(f"{source}: {name} names marketplace {plugin.marketplace}, which the lock does not pin")
        plugins.append(plugin)
    return Lock(marketplaces=markets, plugins=tuple(plugins))


def _field(table: Any, key: str, source: str) -> str:
    value = table.get(key) if isinstance(table, dict) else None
    if not isinstance(value, str) or not value:
        raise InputError(f"{source}: every entry needs {key} as a string")
    return value


def _sha(table: Any, key: str, source: str) -> str:
    value = _field(table, key, source)
    if not _SHA256_HEX.fullmatch(value):
        raise InputError(f"{source}: {key} {value!r} is not 64 lowercase hex digits")
    return value


def write_lock(paths: HostPaths, output: Path) -> Lock:
    from sdk.atomic import atomic_write_bytes

    config = MarketplaceConfig(paths)
    lock = build_lock(LocalStore(paths).list(), {m.name: m for m in config.list()})
    atomic_write_bytes(output, lock.to_bytes())
    return lock


@dataclass(frozen=True)
class LockedInstall:
    installed: InstalledPlugin
    already_installed: bool
    warning: str | None


def install_locked(
    paths: HostPaths,
    lock_file: Path,
    *,
    announce: Callable[[str], None] = lambda _: None,
    progress: Progress | None = None,
) -> list[LockedInstall]:
    from host.install import InstallRequest, install_verified
    from host.marketplace.install import describe_signer, download_verified, signer_label
    from host.marketplace.tuf_client import MarketplaceClient

    try:
        data = lock_file.read_bytes()
    except OSError as e:
        raise InputError(
            f"cannot read {lock_file} ({e.strerror or e})",
            hint="write one with `acc plugin lock` on the machine to reproduce",
        ) from e
    lock = parse_lock(data, str(lock_file))
    config = MarketplaceConfig(paths)
    markets = {m.name: _pinned_marketplace(config, m, announce) for m in lock.marketplaces}
    paths.downloads.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=paths.downloads, prefix="locked-"))
    try:
        clients = {name: MarketplaceClient(m, config, work / name) for name, m in markets.items()}
        # Every plugin is checked against the current signed index before anything is installed.
        chosen: list[tuple[LockedPlugin, PluginIndex, IndexVersion]] = []
        for locked in lock.plugins:
            index = clients[locked.marketplace].plugin_index(locked.name)
            if index is None:
                raise ResolutionError(
                    f"{locked.name} is no longer published on {locked.marketplace}: nothing was installed"
                )
            entry = next((e for e in index.versions if e.version == locked.version), None)
            if entry is None:
                raise ResolutionError(
                    f"{locked.name} {locked.version} is no longer listed by {locked.marketplace}: "
                    "nothing was installed",
                    hint="update the lock file with `acc plugin lock`",
                )
            if entry.sha256 != locked.archive_sha256:
                raise MarketplaceUntrusted(
                    f"the lock records sha256 {locked.archive_sha256} for {locked.name} {locked.version}, but "
                    f"{locked.marketplace}'s signed index lists {entry.sha256}: refused, nothing was installed",
                    hint="a published version never changes: check where the lock file came from",
                )
            chosen.append((locked, index, entry))
        store = LocalStore(paths)
        chosen = _dependencies_first(chosen, {p.name for p in store.list()})
        results = []
        for locked, index, entry in chosen:
            warning = (
                f"{locked.name} {locked.version} is yanked: {entry.yank_reason or 'no reason given'}"
                if entry.yanked
                else None
            )
            current = store.find(locked.name)
            if (
                current is not None
                and current.version == locked.version
                and current.archive_sha256 == locked.archive_sha256
            ):
                results.append(LockedInstall(current, already_installed=True, warning=warning))
                continue
            client = clients[locked.marketplace]
            target = work / f"{locked.name}-{locked.version}"
            target.mkdir(parents=True, exist_ok=True)
            archive = download_verified(client, index, entry, target, progress)
            if warning:
                announce(f"WARNING: {warning}")
            announce(
                f"{locked.name} {entry.version} from {locked.marketplace}: signed by "
                f"{describe_signer(index, entry, client.marketplace)}"
            )
            declared = set(archive.manifest.capabilities)
            request = InstallRequest(
                archive=Path(), grant=locked.granted, deny=tuple(sorted(declared - set(locked.granted)))
            )
            installed = install_verified(
                paths,
                archive,
                signer=signer_label(entry),
                request=request,
                marketplace=locked.marketplace,
                progress=progress,
            )
            results.append(LockedInstall(installed, already_installed=False, warning=warning))
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _dependencies_first(
    chosen: list[tuple[LockedPlugin, PluginIndex, IndexVersion]], installed: set[str]
) -> list[tuple[LockedPlugin, PluginIndex, IndexVersion]]:
    """The locked plugins in install order; a dependency neither locked nor installed is refused."""
    from packaging.version import Version

    from host.marketplace.dependencies import entry_dependencies

    by_name = {locked.name: (locked, index, entry) for locked, index, entry in chosen}
    ordered: list[tuple[LockedPlugin, PluginIndex, IndexVersion]] = []
    placed: set[str] = set()
    visiting: set[str] = set()

    def place(name: str) -> None:
        if name in placed or name in visiting:
            return  # a cycle in a lock was resolved when it was installed; keep the lock's order
        visiting.add(name)
        locked, _, entry = by_name[name]
        for dep, spec in sorted(entry_dependencies(entry, name).items()):
            if dep in by_name:
                if not spec.contains(Version(by_name[dep][0].version), prereleases=True):
                    raise ResolutionError(
                        f"the lock is inconsistent: {name} {locked.version} needs {dep}{spec}, "
                        f"and the lock has {dep} {by_name[dep][0].version}: nothing was installed",
                        hint="write the lock again with `acc plugin lock`",
                    )
                place(dep)
            elif dep not in installed:
                raise ResolutionError(
                    f"the lock is incomplete: {name} {locked.version} needs {dep}, which it does "
                    "not list: nothing was installed",
                    hint="write the lock again with `acc plugin lock` after installing everything",
                )
        visiting.discard(name)
        placed.add(name)
        ordered.append(by_name[name])

    for locked, _, _ in chosen:
        place(locked.name)
    return ordered


def _pinned_marketplace(
    config: MarketplaceConfig, locked: LockedMarketplace, announce: Callable[[str], None]
) -> Marketplace:
    from host.marketplace.config import check_name, check_root, fetch_first_root, normalize_url, root_fingerprint

    name, url = check_name(locked.name), normalize_url(locked.url)
    existing = {m.name: m for m in config.list()}.get(name)
    if existing is not None:
        if existing.url != url or existing.root_sha256 != locked.root_sha256:
            raise MarketplaceError(
                f"the lock pins marketplace {name} at {url} with root sha256 {locked.root_sha256}, "
                f"but {name} here is {existing.url} with root sha256 {existing.root_sha256}",
                hint=f"remove it with `acc marketplace remove {name}` if the lock is right",
            )
        return existing
    root = fetch_first_root(url)
    if root_fingerprint(root) != locked.root_sha256:
        raise MarketplaceUntrusted(
            f"the root served by {url} has sha256 {root_fingerprint(root)}, not the "
            f"{locked.root_sha256} the lock pins: refused, nothing was installed",
            hint="a different root means a different (or an impostor) marketplace",
        )
    check_root(root, f"{url}/tuf/metadata/1.root.json")
    added, _ = config.add(name, url, root)
    announce(f"added marketplace {name} ({url}) from the lock, root sha256 {added.root_sha256}")
    return added
