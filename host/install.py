"""Installing a plugin archive from a file: verify, check, ask, store, precompile.

Order matters: everything that can refuse (signature, ABI, component validity and its
imports) runs before anything is written, and compiling happens before the store is
touched, so a refused or interrupted install leaves the store as it was.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from host.abi import SUPPORTED_ABI_VERSIONS
from host.errors import LoadError
from host.grants import AskFn, decide_grants
from host.paths import HostPaths
from host.store import InstalledPlugin, LocalStore
from sdk.archive import PluginArchive, read_archive
from sdk.errors import SignatureError

if TYPE_CHECKING:
    from host.progress import Progress

UNSIGNED_SIGNER = "UNSIGNED"


@dataclass(frozen=True)
class InstallRequest:
    archive: Path
    signature: Path | None = None
    grant: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    yes: bool = False
    allow_unsigned: bool = False
    reinstall: bool = False


def install_archive(paths: HostPaths, request: InstallRequest, ask: AskFn | None = None) -> InstalledPlugin:
    archive = read_archive(request.archive)
    signer = verify_signature(paths, archive, request)
    return install_verified(paths, archive, signer=signer, request=request, ask=ask)


def install_verified(
    paths: HostPaths,
    archive: PluginArchive,
    *,
    signer: str,
    request: InstallRequest,
    ask: AskFn | None = None,
    marketplace: str = "",
    progress: Progress | None = None,
) -> InstalledPlugin:
    """The rest of an install once the publisher signature is verified (by the trust store
    for a file, by a marketplace's TUF-signed index for a marketplace install): ABI,
    precompile and import check, consent, store. `request.archive`/`signature` are unused."""
    granted = prepare_verified(paths, archive, request=request, ask=ask, progress=progress)
    return LocalStore(paths).install(
        archive, granted=granted, signer=signer, reinstall=request.reinstall, marketplace=marketplace
    )


def prepare_verified(
    paths: HostPaths,
    archive: PluginArchive,
    *,
    request: InstallRequest,
    ask: AskFn | None = None,
    progress: Progress | None = None,
) -> frozenset[str]:
    """Everything before the store is written: ABI, precompile and import check, consent.
    Returns the granted capabilities. (Several plugins installed together are all prepared
    before any is stored, so a refusal of the last leaves the store as it was.)"""
    check_abi(archive)
    precompile(paths, archive, progress)
    return decide_grants(archive.manifest, grant=request.grant, deny=request.deny, yes=request.yes, ask=ask)


def verify_signature(paths: HostPaths, archive: PluginArchive, request: InstallRequest) -> str:
    sig_path = request.signature or request.archive.with_name(request.archive.name + ".sig")
    if not sig_path.is_file():
        if request.allow_unsigned:
            return UNSIGNED_SIGNER
        raise SignatureError(
            f"{request.archive.name} is not signed (no {sig_path.name} beside it)",
            hint="ask the publisher for the .sig file, or sign your own build with `acc plugin sign ARCHIVE --key KEY`",
        )
    from host.trust import TrustStore
    from sdk.signing import read_signature, verify_archive_signature

    signature = read_signature(sig_path)
    trusted = [entry.public_key for entry in TrustStore(paths).entries()]
    key = verify_archive_signature(archive.sha256, signature, trusted)
    return key.key_id


def check_abi(archive: PluginArchive) -> None:
    manifest = archive.manifest
    if not any(manifest.supports_abi(v) for v in SUPPORTED_ABI_VERSIONS):
        supported = ", ".join(str(v) for v in SUPPORTED_ABI_VERSIONS)
        raise LoadError(
            f"{manifest.name} {manifest.version} needs plugin ABI {manifest.api}; this host supports {supported}",
            hint="update acc, or install a version of the plugin made for this ABI",
        )


def precompile(paths: HostPaths, archive: PluginArchive, progress: Progress | None = None) -> None:
    """Compile (or find cached) and check the component's imports against its manifest."""
    from host.component_check import check_component
    from host.engine import EngineSettings, shared_engine
    from host.progress import Quiet
    from host.runtime.loader import load_plugin_component

    manifest = archive.manifest
    with (progress or Quiet()).step(f"compiling {manifest.name} {manifest.version}"):
        settings = EngineSettings()
        engine = shared_engine(settings)
        loaded = load_plugin_component(
            engine, settings, archive.wasm, paths.compiled, wasm_sha256=hashlib.sha256(archive.wasm).hexdigest()
        )
        check_component(loaded.component, engine, manifest, loaded.runtime_imports)
