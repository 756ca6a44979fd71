"""What a marketplace's TUF-verified index lists for one plugin: its versions, newest first,
and the one an install would pick on this host (`acc plugin info` for a plugin that is not
installed, or with --available)."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from host.abi import SUPPORTED_ABI_VERSIONS
from host.marketplace.config import MarketplaceConfig
from host.marketplace.index import IndexVersion, PluginIndex
from host.marketplace.install import find_plugin
from host.marketplace.plan import version_order
from host.marketplace.resolve import admits_abi, parse_requirement, select_version
from host.paths import HostPaths
from sdk.errors import AccError


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
