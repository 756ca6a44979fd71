"""The plugin ABI: the WIT package `acc:plugin`, its interfaces and the capabilities they serve."""

from __future__ import annotations

from pathlib import Path

from packaging.version import Version

ABI_PACKAGE = "acc:plugin"
ABI_VERSION = Version("1.0.0")
WIT_DIR = Path(__file__).parent / "wit"
GUEST_HELPER_DIR = Path(__file__).parent / "guest"

#: Each capability a manifest may declare, and the interface of the ABI that serves it.
#: `fs` has no interface: it is served by WASI preopens of the project directory.
CAPABILITY_INTERFACES: dict[str, str | None] = {
    "process": "process",
    "http": "http",
    "kv": "kv",
    "llm": "llm",
    "plugins": "plugins",
    "secrets": "secrets",
    "fs": None,
}

#: Interfaces every plugin imports whatever it declares.
ALWAYS_IMPORTED = ("types", "log")

#: The exported interface every plugin implements.
GUEST_INTERFACE = "guest"


def interface_name(interface: str, version: Version = ABI_VERSION) -> str:
    """The fully qualified name a component uses for an interface, e.g. `acc:plugin/log@1.0.0`."""
    return f"{ABI_PACKAGE}/{interface}@{version}"
