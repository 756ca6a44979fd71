"""Installing `NAME[@MARKETPLACE][SPEC]` from a marketplace: the IO shell around resolve.py.

Refresh TUF metadata → find the plugin's signed index on exactly one marketplace → choose
a version (resolve.py) → download archive and signature through TUF → check the archive
is the version the index names → verify the publisher signature against the signer the
signed index names → the install pipeline shared with archive files (ABI, precompile and
import check, consent, store).

Trust in the publisher key comes from the marketplace's TUF metadata (the index names the
key that signed each version), so no `acc trust add` is needed; the consent output says
whose key it is and which marketplace vouched for it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from host.abi import SUPPORTED_ABI_VERSIONS
from host.errors import MarketplaceError, MarketplaceUntrusted, ResolutionError
from host.grants import AskFn
from host.install import InstallRequest, install_verified
from host.marketplace.config import Marketplace, MarketplaceConfig
from host.marketplace.index import IndexVersion, PluginIndex
from host.marketplace.resolve import Requirement, Selection, parse_requirement, select_version
from host.marketplace.tuf_client import MarketplaceClient
from host.paths import HostPaths
from host.store import InstalledPlugin, LocalStore
from sdk.archive import PluginArchive, read_archive
from sdk.errors import SignatureError


@dataclass(frozen=True)
class MarketplaceInstall:
    """What was installed, from where, and who signed it."""

    installed: InstalledPlugin
    marketplace: str
    signed_by: str
    warning: str | None
    already_installed: bool = False


def install_requirement(paths: HostPaths, requirement_text: str, request: InstallRequest, *,
                        marketplace: str | None = None, ask: AskFn | None = None,
                        announce: Callable[[str], None] = lambda _: None) -> MarketplaceInstall:
    requirement = parse_requirement(requirement_text)
    if requirement.marketplace and marketplace and requirement.marketplace != marketplace:
        raise ResolutionError(f"{requirement_text} names marketplace {requirement.marketplace}, "
                              f"--marketplace names {marketplace}")
    config = MarketplaceConfig(paths)
    paths.downloads.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=paths.downloads, prefix=f"{requirement.name}-"))
    try:
        client, index = find_plugin(paths, config, requirement, requirement.marketplace or marketplace, work)
        selection = select_version(index, requirement, SUPPORTED_ABI_VERSIONS)
        entry = selection.entry
        current = LocalStore(paths).find(index.name)
        if (current is not None and current.version == entry.version and current.archive_sha256 == entry.sha256
                and not request.reinstall):
            return MarketplaceInstall(installed=current, marketplace=client.marketplace.name,
                                      signed_by=describe_signer(index, entry, client.marketplace),
                                      warning=selection.warning, already_installed=True)
        archive = download_verified(client, index, selection, work)
        signer_text = describe_signer(index, entry, client.marketplace)
        if selection.warning:
            announce(f"WARNING: {selection.warning}")
        announce(f"{index.name} {entry.version} from {client.marketplace.name}: signed by {signer_text}")
        installed = install_verified(paths, archive, signer=signer_label(entry), request=request, ask=ask,
                                     marketplace=client.marketplace.name)
        return MarketplaceInstall(installed=installed, marketplace=client.marketplace.name, signed_by=signer_text,
                                  warning=selection.warning)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def find_plugin(paths: HostPaths, config: MarketplaceConfig, requirement: Requirement, wanted: str | None,
          work: Path) -> tuple[MarketplaceClient, PluginIndex]:
    """The one marketplace that has the plugin. A name found on several is refused rather than
    guessed (a dependency-confusion attack is exactly "the same name on another registry")."""
    markets = [config.get(wanted)] if wanted else config.list()
    if not markets:
        raise MarketplaceError("no marketplace has been added",
                               hint="add one with `acc marketplace add URL --root-sha256 HEX`")
    found: list[tuple[MarketplaceClient, PluginIndex]] = []
    for market in markets:
        client = MarketplaceClient(market, config, work / market.name)
        index = client.plugin_index(requirement.name)
        if index is not None:
            found.append((client, index))
    names = ", ".join(m.name for m in markets)
    if not found:
        raise ResolutionError(f"no plugin named {requirement.name} on {names}",
                              hint=f"search with `acc plugin search {requirement.name}`")
    if len(found) > 1:
        where = ", ".join(c.marketplace.name for c, _ in found)
        raise ResolutionError(f"{requirement.name} is published on several marketplaces ({where})",
                              hint=f"say which one: `acc plugin install {requirement.name}@MARKETPLACE`")
    return found[0]


def download_verified(client: MarketplaceClient, index: PluginIndex, selection: Selection,
                       work: Path) -> PluginArchive:
    entry = selection.entry
    if entry.archive != f"{index.name}/{index.name}-{entry.version}.plugin" or not entry.signature.startswith(
            entry.archive):
        raise MarketplaceUntrusted(f"the signed index of {index.name} points {entry.version} at {entry.archive}, "
                                   "which is not that version's archive")
    archive_path = client.download(entry.archive, sha256=entry.sha256, length=entry.length,
                                   destination=work / "archive.plugin")
    if entry.signature_sha256 is not None and entry.signature_length is not None:
        signature_info: tuple[str, int] | None = (entry.signature_sha256, entry.signature_length)
    else:  # indexes written before the signature's hash was in them: look up its bin
        signature_info = client.target_info(entry.signature)
    if signature_info is None:
        raise MarketplaceUntrusted(f"{index.name} {entry.version} has no signature in the signed metadata")
    signature_path = client.download(entry.signature, sha256=signature_info[0], length=signature_info[1],
                                     destination=work / "signature")
    archive = read_archive(archive_path)
    manifest = archive.manifest
    if manifest.name != index.name or Version(str(manifest.version)) != Version(entry.version):
        raise MarketplaceUntrusted(f"the archive of {index.name} {entry.version} contains "
                                   f"{manifest.name} {manifest.version}: refused")
    _verify_publisher(archive, archive_path, signature_path, entry)
    return archive


def _verify_publisher(archive: PluginArchive, archive_path: Path, signature_path: Path,
                      entry: IndexVersion) -> None:
    try:
        _check_publisher_signature(archive, archive_path, signature_path, entry)
    except SignatureError as e:
        # The signing module's hints speak to an author or to `acc trust`; here the signer
        # comes from the marketplace's signed index, so say that instead.
        raise SignatureError(f"{e.message}; the marketplace's signed index names {entry.signer.describe()} as the "
                             f"signer of {entry.version}",
                             hint="nothing was installed; the archive, its signature or the marketplace may be "
                             "compromised: tell the marketplace's operator") from e


def _check_publisher_signature(archive: PluginArchive, archive_path: Path, signature_path: Path,
                               entry: IndexVersion) -> None:
    from sdk.signing import PublicKey, read_signature, verify_archive_signature, verify_sigstore_bundle

    signer = entry.signer
    if signer.kind == "ed25519":
        key = PublicKey.from_bytes(signer.public_key.encode())
        if key.key_id != signer.key_id:
            raise MarketplaceUntrusted(f"the signed index names key {signer.key_id} with a public key whose id "
                                       f"is {key.key_id}")
        verify_archive_signature(archive.sha256, read_signature(signature_path), [key])
        return
    if signer.kind == "sigstore":
        verify_sigstore_bundle(archive_path.read_bytes(), signature_path.read_bytes(), identity=signer.identity,
                               issuer=signer.issuer)
        return
    raise SignatureError(f"unknown signature kind {signer.kind!r}", hint="update acc")


def describe_signer(index: PluginIndex, entry: IndexVersion, marketplace: Marketplace) -> str:
    return f"{entry.signer.describe()} (publisher {entry.publisher or index.owner} on {marketplace.name})"


def signer_label(entry: IndexVersion) -> str:
    signer = entry.signer
    return signer.key_id if signer.kind == "ed25519" else f"sigstore:{signer.identity}"
