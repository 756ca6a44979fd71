"""What a marketplace's TUF-verified index lists for one plugin: its versions, newest first,
and the one an install would pick on this host (`acc plugin info` for a plugin that is not
installed, or with --available).

The signed index holds what trust needs (versions, hashes, signers, capabilities), not
what a reader wants to know first: the description, commands, license and homepage are
in the archive's plugin.toml. `published_manifest` reads that plugin.toml from the
registry's API instead of downloading the whole archive: unsigned, like search results,
and only shown when the API names the same archive sha256 as the signed index. An
install still verifies the archive itself."""

from __future__ import annotations

import json
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from host.abi import SUPPORTED_ABI_VERSIONS
from host.marketplace.config import MarketplaceConfig
from host.marketplace.index import IndexVersion, PluginIndex
from host.marketplace.install import find_plugin
from host.marketplace.plan import version_order
from host.marketplace.resolve import admits_abi, parse_requirement, select_version
from host.paths import HostPaths
from sdk.errors import AccError

if TYPE_CHECKING:
    from sdk.manifest import Manifest

DETAILS_TIMEOUT_SECONDS = 10.0
MAX_DETAILS_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Listing:
    marketplace: str
    index: PluginIndex
    #: The version an install of the requirement would pick on this host (None: none fits).
    newest: IndexVersion | None
    #: Every listed version (yanked ones too), newest first.
    versions: list[IndexVersion]

    @staticmethod
    def runs_here(entry: IndexVersion) -> bool:
        """The version's plugin ABI is one this host runs."""
        return admits_abi(entry, SUPPORTED_ABI_VERSIONS)


def signer_changes(index: PluginIndex) -> dict[str, str]:
    """Versions signed by another signer than the version before them (by version order),
    each mapped to a description of that previous signer: `acc plugin info` shows them."""
    from dataclasses import asdict

    from sdk.index_format import describe_signer
    from sdk.index_format import signer_changes as changes

    oldest_first = sorted(index.versions, key=lambda e: version_order(e.version))
    found = changes([(e.version, asdict(e.signer)) for e in oldest_first])
    return {version: describe_signer(signer) for version, signer in found.items()}


def list_plugin(paths: HostPaths, requirement: str, *, marketplace: str | None = None) -> Listing:
    """The listing of NAME[@MARKETPLACE][SPEC], from the one marketplace that publishes it."""
    parsed = parse_requirement(requirement)
    paths.downloads.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=paths.downloads, prefix="info-"))
    try:
        client, index = find_plugin(paths, MarketplaceConfig(paths), parsed, parsed.marketplace or marketplace, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    try:
        newest = select_version(index, parsed, SUPPORTED_ABI_VERSIONS).entry
    except AccError:
        newest = None
    ordered = sorted(index.versions, key=lambda e: version_order(e.version), reverse=True)
    return Listing(client.marketplace.name, index, newest, ordered)


def published_manifest(paths: HostPaths, listing: Listing, entry: IndexVersion) -> Manifest | None:
    """The plugin.toml of `entry` as the marketplace's API serves it, if the API names the
    archive the signed index names (same sha256); None if it cannot be read or disagrees."""
    from sdk.manifest import load_manifest

    market = MarketplaceConfig(paths).get(listing.marketplace)
    name, version = urllib.parse.quote(listing.index.name), urllib.parse.quote(entry.version)
    url = f"{market.url}/api/v1/plugins/{name}/versions/{version}"
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "acc"})
    try:
        with urllib.request.urlopen(request, timeout=DETAILS_TIMEOUT_SECONDS) as response:
            raw: bytes = response.read(MAX_DETAILS_BYTES + 1)
        document = json.loads(raw) if len(raw) <= MAX_DETAILS_BYTES else None
        if not isinstance(document, dict) or document.get("sha256") != entry.sha256:
            return None
        manifest = load_manifest(str(document["manifest"]), source=f"{listing.index.name} {entry.version}")
        if manifest.name != listing.index.name or manifest.version != Version(entry.version):
            return None
    except (OSError, ValueError, KeyError, AccError):  # InvalidVersion is a ValueError
        return None
    return manifest
