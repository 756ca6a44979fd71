"""Installing `NAME[@MARKETPLACE][SPEC]` from a marketplace: the IO shell around resolve.py.

Refresh TUF metadata → find the plugin's signed index on exactly one marketplace → choose
a version (resolve.py) → download archive and signature through TUF → check the archive
is the version the index names → verify the publisher signature against the signer the
signed index names → the install pipeline shared with archive files (ABI, consent, then
compile and import check, then store). Plugins installed together overlap: one compiles on
a background thread while the next downloads (`host.install.CompileQueue`).

Trust in the publisher key comes from the marketplace's TUF metadata (the index names the
key that signed each version), so no `acc trust add` is needed; the consent output says
whose key it is and which marketplace vouched for it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version
from tuf.api.metadata import TargetFile

from host.abi import SUPPORTED_ABI_VERSIONS
from host.consent import Asker
from host.errors import MarketplaceError, MarketplaceUntrusted, ResolutionError
from host.install import CompileQueue, InstallRequest, decide_verified
from host.marketplace.config import Marketplace, MarketplaceConfig
from host.marketplace.dependencies import Installed, Pick, resolve_install
from host.marketplace.index import IndexVersion, PluginIndex
from host.marketplace.resolve import Requirement, parse_requirement
from host.marketplace.tuf_client import MarketplaceClient
from host.paths import HostPaths
from host.store import InstalledPlugin, LocalStore
from sdk import index_format
from sdk.archive import PluginArchive, read_archive
from sdk.errors import SignatureError

if TYPE_CHECKING:
    from host.progress import Progress


@dataclass(frozen=True)
class MarketplaceInstall:
    """What was installed, from where, and who signed it. `dependencies` are the plugins
    installed with it (dependencies first); those already installed are not listed."""

    installed: InstalledPlugin
    marketplace: str
    signed_by: str
    warning: str | None
    already_installed: bool = False
    dependencies: tuple[DependencyInstall, ...] = ()


@dataclass(frozen=True)
class DependencyInstall:
    installed: InstalledPlugin
    needed_by: tuple[str, ...]


@dataclass(frozen=True)
class _Download:
    pick: Pick
    archive: PluginArchive
    entry: IndexVersion
    index: PluginIndex


def install_requirement(
    paths: HostPaths,
    requirement_text: str,
    request: InstallRequest,
    *,
    marketplace: str | None = None,
    ask: Asker | None = None,
    announce: Callable[[str], None] = lambda _: None,
    progress: Progress | None = None,
) -> MarketplaceInstall:
    """Install a requirement and whatever it depends on, all verified before anything is stored."""
    return install_requirements(
        paths, [requirement_text], request, marketplace=marketplace, ask=ask, announce=announce, progress=progress
    )[0]


@dataclass(frozen=True)
class _Plan:
    """One requested plugin: where it is, and the plugins its install involves (dependencies first)."""

    text: str
    client: MarketplaceClient
    index: PluginIndex
    picks: list[Pick]

    @property
    def root(self) -> Pick:
        return self.picks[-1]  # every other pick is a dependency of it, so it comes last


def install_requirements(
    paths: HostPaths,
    requirement_texts: Sequence[str],
    request: InstallRequest,
    *,
    marketplace: str | None = None,
    ask: Asker | None = None,
    announce: Callable[[str], None] = lambda _: None,
    progress: Progress | None = None,
) -> list[MarketplaceInstall]:
    """Install several requirements, each with whatever it depends on, as one install: every
    plugin is resolved, downloaded, verified and consented to before any is stored, so a
    refusal of the last leaves the store as it was. --grant, --deny and --reinstall apply to
    each requested plugin; --yes answers for all. Two requests that need different versions
    of one plugin are refused. One result per requirement, in the order given."""
    requirements = [parse_requirement(text) for text in requirement_texts]
    names = [r.name for r in requirements]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ResolutionError(f"{', '.join(twice)} is named more than once", hint="name each plugin once")
    for text, requirement in zip(requirement_texts, requirements, strict=True):
        if requirement.marketplace and marketplace and requirement.marketplace != marketplace:
            raise ResolutionError(
                f"{text} names marketplace {requirement.marketplace}, --marketplace names {marketplace}"
            )
    config = MarketplaceConfig(paths)
    paths.downloads.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=paths.downloads, prefix=f"{requirements[0].name}-"))
    try:
        store = LocalStore(paths)
        installed = installed_plugins(store)
        clients: dict[str, MarketplaceClient] = {}
        plans = []
        for text, requirement in zip(requirement_texts, requirements, strict=True):
            client, index = find_plugin(
                paths, config, requirement, requirement.marketplace or marketplace, work, clients=clients
            )
            picks = resolve_install(
                requirement,
                index,
                marketplace=client.marketplace.name,
                lookup=client.plugin_index,
                installed=installed,
                abi_versions=SUPPORTED_ABI_VERSIONS,
            )
            assert picks[-1].name == index.name and picks[-1].entry is not None
            plans.append(_Plan(text, client, index, picks))
        roots = {plan.root.name for plan in plans}
        wanted = _wanted(plans, store, request.reinstall)
        if not wanted:
            return [_already_installed(store, plan) for plan in plans]
        for plan in plans:
            if plan.root.warning:
                announce(f"WARNING: {plan.root.warning}")
        # Each plugin is downloaded, verified and decided (consent included), then compiled on
        # a background thread while the next one downloads; nothing is stored until all are.
        compiles = CompileQueue(paths)
        downloads: list[tuple[MarketplaceClient, _Download]] = []
        grants = []
        for client, pick in wanted:
            download = _download(client, pick, work / "archives" / pick.name, progress)
            market = client.marketplace
            needed = f", needed by {' and '.join(pick.needed_by)}" if pick.needed_by else ""
            announce(
                f"{pick.label} from {market.name}: signed by "
                f"{describe_signer(download.index, download.entry, market)}{needed}"
            )
            # --grant/--deny name the requested plugins' capabilities; --yes answers for all.
            own = pick.name in roots
            own_request = replace(
                request,
                grant=request.grant if own else (),
                deny=request.deny if own else (),
                reinstall=request.reinstall and own,
            )
            grants.append(decide_verified(paths, download.archive, ask=ask, request=own_request))
            compiles.submit(download.archive)
            downloads.append((client, download))
        compiles.wait(progress)
        stored = {
            download.pick.name: store.install(
                download.archive,
                granted=granted,
                signer=signer_label(download.entry),
                marketplace=client.marketplace.name,
                reinstall=request.reinstall and download.pick.name in roots,
            )
            for (client, download), granted in zip(downloads, grants, strict=True)
        }
        reported: set[str] = set()  # a dependency two requests share is reported once
        return [_result(store, plan, stored, roots, reported) for plan in plans]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _wanted(plans: list[_Plan], store: LocalStore, reinstall: bool) -> list[tuple[MarketplaceClient, Pick]]:
    """The picks to download and store, each once, dependencies first; a plugin two requests
    want in different versions is refused (neither is installed)."""
    chosen: dict[str, tuple[_Plan, Pick]] = {}
    wanted: list[tuple[MarketplaceClient, Pick]] = []
    for plan in plans:
        for pick in plan.picks:
            earlier = chosen.get(pick.name)
            if earlier is not None:
                if earlier[1].version != pick.version:
                    raise ResolutionError(
                        f"{earlier[0].text} and {plan.text} need different versions of {pick.name} "
                        f"({earlier[1].version} and {pick.version}): nothing was installed",
                        hint="install them one at a time to see what each needs, or pin versions that agree",
                    )
                continue
            chosen[pick.name] = (plan, pick)
            if pick.entry is not None and (
                (pick is plan.root and reinstall) or not _is_installed(store, pick.name, pick.entry)
            ):
                wanted.append((plan.client, pick))
    return wanted


def _already_installed(store: LocalStore, plan: _Plan) -> MarketplaceInstall:
    root, market = plan.root, plan.client.marketplace
    assert root.entry is not None
    return MarketplaceInstall(
        installed=store.get(plan.index.name),
        marketplace=market.name,
        signed_by=describe_signer(plan.index, root.entry, market),
        warning=root.warning,
        already_installed=True,
    )


def _result(
    store: LocalStore, plan: _Plan, stored: dict[str, InstalledPlugin], roots: set[str], reported: set[str]
) -> MarketplaceInstall:
    """What the install did for one request: the dependencies it stored first, then the plugin."""
    root, market = plan.root, plan.client.marketplace
    assert root.entry is not None
    dependencies = []
    for pick in plan.picks[:-1]:
        if pick.name in stored and pick.name not in roots and pick.name not in reported:
            reported.add(pick.name)
            dependencies.append(DependencyInstall(stored[pick.name], pick.needed_by))
    return MarketplaceInstall(
        installed=stored.get(root.name) or store.get(root.name),
        marketplace=market.name,
        signed_by=describe_signer(plan.index, root.entry, market),
        warning=root.warning,
        already_installed=root.name not in stored,
        dependencies=tuple(dependencies),
    )


def installed_plugins(store: LocalStore) -> dict[str, Installed]:
    """The store's plugins as the resolver sees them: version, origin, what they need."""
    return {p.name: Installed(p.name, p.version, p.marketplace, p.manifest().dependencies) for p in store.list()}


def _is_installed(store: LocalStore, name: str, entry: IndexVersion) -> bool:
    current = store.find(name)
    return current is not None and current.version == entry.version and current.archive_sha256 == entry.sha256


def _download(client: MarketplaceClient, pick: Pick, work: Path, progress: Progress | None) -> _Download:
    assert pick.entry is not None and pick.index is not None
    work.mkdir(parents=True, exist_ok=True)
    archive = download_verified(client, pick.index, pick.entry, work, progress)
    return _Download(pick, archive, pick.entry, pick.index)


def find_plugin(
    paths: HostPaths,
    config: MarketplaceConfig,
    requirement: Requirement,
    wanted: str | None,
    work: Path,
    *,
    clients: dict[str, MarketplaceClient] | None = None,
) -> tuple[MarketplaceClient, PluginIndex]:
    """The one marketplace that has the plugin. A name found on several is refused rather than
    guessed (a dependency-confusion attack is exactly "the same name on another registry").
    `clients` keeps one client (one metadata refresh) per marketplace across several calls."""
    markets = [config.get(wanted)] if wanted else config.list()
    if not markets:
        raise MarketplaceError(
            "no marketplace has been added", hint="add one with `acc marketplace add URL --root-sha256 HEX`"
        )
    clients = {} if clients is None else clients
    found: list[tuple[MarketplaceClient, PluginIndex]] = []
    for market in markets:
        client = clients.get(market.name)
        if client is None:
            client = clients[market.name] = MarketplaceClient(market, config, work / market.name)
        index = client.plugin_index(requirement.name)
        if index is not None:
            found.append((client, index))
    names = ", ".join(m.name for m in markets)
    if not found:
        from host.marketplace.search import names_like
        from sdk.names import did_you_mean

        installed = {p.name for p in LocalStore(paths).list()}
        suggestion = did_you_mean(requirement.name, names_like(markets, requirement.name) | installed)
        raise ResolutionError(
            f"no plugin named {requirement.name} on {names}",
            hint=(f"{suggestion} " if suggestion else "") + f"search with `acc plugin search {requirement.name}`",
        )
    if len(found) > 1:
        where = ", ".join(c.marketplace.name for c, _ in found)
        raise ResolutionError(
            f"{requirement.name} is published on several marketplaces ({where})",
            hint=f"say which one: `acc plugin install {requirement.name}@MARKETPLACE`",
        )
    return found[0]


def download_verified(
    client: MarketplaceClient, index: PluginIndex, entry: IndexVersion, work: Path, progress: Progress | None = None
) -> PluginArchive:
    if entry.archive != index_format.archive_path(index.name, entry.version) or not entry.signature.startswith(
        entry.archive
    ):
        raise MarketplaceUntrusted(
            f"the signed index of {index.name} points {entry.version} at {entry.archive}, "
            "which is not that version's archive"
        )
    archive_path = client.download(
        entry.archive,
        sha256=entry.sha256,
        length=entry.length,
        destination=work / "archive.plugin",
        progress=progress,
        label=f"downloading {index.name} {entry.version}",
    )
    if entry.signature_sha256 is not None and entry.signature_length is not None:
        signature_info: TargetFile | None = TargetFile(
            entry.signature_length, {"sha256": entry.signature_sha256}, entry.signature
        )
    else:  # indexes written before the signature's hash was in them: look up its bin
        signature_info = client.target_info(entry.signature)
    if signature_info is None:
        raise MarketplaceUntrusted(f"{index.name} {entry.version} has no signature in the signed metadata")
    signature_path = client.download_target(signature_info, work / "signature")
    archive = read_archive(archive_path)
    manifest = archive.manifest
    if manifest.name != index.name or Version(str(manifest.version)) != Version(entry.version):
        raise MarketplaceUntrusted(
            f"the archive of {index.name} {entry.version} contains {manifest.name} {manifest.version}: refused"
        )
    _verify_publisher(archive, archive_path, signature_path, entry)
    return archive


def _verify_publisher(archive: PluginArchive, archive_path: Path, signature_path: Path, entry: IndexVersion) -> None:
    try:
        _check_publisher_signature(archive, archive_path, signature_path, entry)
    except SignatureError as e:
        # The signing module's hints speak to an author or to `acc trust`; here the signer
        # comes from the marketplace's signed index, so say that instead.
        raise SignatureError(
            f"{e.message}; the marketplace's signed index names {entry.signer.describe()} as the "
            f"signer of {entry.version}",
            hint="nothing was installed; the archive, its signature or the marketplace may be "
            "compromised: tell the marketplace's operator",
        ) from e


def _check_publisher_signature(
    archive: PluginArchive, archive_path: Path, signature_path: Path, entry: IndexVersion
) -> None:
    from sdk.signing import PublicKey, read_signature, verify_archive_signature, verify_sigstore_bundle

    signer = entry.signer
    if signer.kind == "ed25519":
        key = PublicKey.from_bytes(signer.public_key.encode())
        if key.key_id != signer.key_id:
            raise MarketplaceUntrusted(
                f"the signed index names key {signer.key_id} with a public key whose id is {key.key_id}"
            )
        verify_archive_signature(archive.sha256, read_signature(signature_path), [key])
        return
    if signer.kind == "sigstore":
        verify_sigstore_bundle(
            archive_path.read_bytes(), signature_path.read_bytes(), identity=signer.identity, issuer=signer.issuer
        )
        return
    raise SignatureError(f"unknown signature kind {signer.kind!r}", hint="update acc")


def describe_signer(index: PluginIndex, entry: IndexVersion, marketplace: Marketplace) -> str:
    """Who signed `entry`, with the publishing account and, when that account is the owner the
    marketplace verified, its mark: what a person weighs at the install prompt."""
    publisher = entry.publisher or index.owner
    verified = index.owner_verified if publisher == index.owner else None
    mark = f"; {verified.text()}" if verified is not None else ""
    return f"{entry.signer.describe()} (publisher {publisher} on {marketplace.name}{mark})"


def signer_label(entry: IndexVersion) -> str:
    signer = entry.signer
    return signer.key_id if signer.kind == "ed25519" else f"sigstore:{signer.identity}"
