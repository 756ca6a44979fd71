"""Which versions of the plugin ABI this host can run."""

from __future__ import annotations

from packaging.version import Version

from sdk.abi import ABI_VERSION

#: The ABI versions this host links. A plugin's `api` specifier must admit one of them,
#: and every `acc:plugin/...@V` import of its component must use one of them.
SUPPORTED_ABI_VERSIONS: tuple[Version, ...] = (ABI_VERSION,)


def best_supported(specifier_contains: object) -> Version | None:
    """The newest supported ABI version that `specifier_contains(version)` accepts."""
    for version in sorted(SUPPORTED_ABI_VERSIONS, reverse=True):
        if callable(specifier_contains) and specifier_contains(version):
            return version
    return None
