"""Which versions of the plugin ABI this host can run."""

from __future__ import annotations

from packaging.version import Version

from sdk.abi import ABI_VERSION

#: The ABI versions this host links. A plugin's `api` specifier must admit one of them,
#: and every `acc:plugin/...@V` import of its component must use one of them.
SUPPORTED_ABI_VERSIONS: tuple[Version, ...] = (ABI_VERSION,)
