"""The plugin ABI: the WIT package `acc:plugin` and its interfaces.

Which interface serves which capability kind is part of each kind's unit
(`sdk.capabilities.KINDS[kind].interface`); this module names the package, its version
and the interfaces every plugin has.
"""

from __future__ import annotations

from pathlib import Path

from packaging.version import Version

ABI_PACKAGE = "acc:plugin"
ABI_VERSION = Version("1.0.0")
WIT_DIR = Path(__file__).parent / "wit"
GUEST_HELPER_DIR = Path(__file__).parent / "guest"

#: Interfaces every plugin imports whatever it declares.
ALWAYS_IMPORTED = ("types", "log")

#: The exported interface every plugin implements.
GUEST_INTERFACE = "guest"


def interface_name(interface: str, version: Version = ABI_VERSION) -> str:
    """The fully qualified name a component uses for an interface, e.g. `acc:plugin/log@1.0.0`."""
    return f"{ABI_PACKAGE}/{interface}@{version}"
