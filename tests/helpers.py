"""Helpers shared by tests (importable as tests.helpers; conftest.py holds the fixtures)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from host.install import InstallRequest, install_archive
from host.paths import HostPaths

REPO = Path(__file__).resolve().parents[1]
#: Builds and compiled components, keyed by content; ACC_TEST_CACHE lets several checkouts share one.
TEST_CACHE = Path(os.environ.get("ACC_TEST_CACHE") or REPO / ".acc-test-cache")
PLUGIN_SOURCES = {
    "project-stats": REPO / "official_plugins" / "example",
    "hostile": REPO / "tests" / "plugins" / "hostile",
    "escaper": REPO / "tests" / "plugins" / "escaper",
    "relay": REPO / "tests" / "plugins" / "relay",
    "asker": REPO / "tests" / "plugins" / "asker",
    "unruly": REPO / "tests" / "plugins" / "unruly",
    "mcp-probe": REPO / "tests" / "plugins" / "mcp_probe",
    "git": REPO / "official_plugins" / "git",
    "testing": REPO / "official_plugins" / "testing",
    "docs": REPO / "official_plugins" / "docs",
    "code-quality": REPO / "official_plugins" / "code_quality",
    "files": REPO / "official_plugins" / "files",
    "github": REPO / "official_plugins" / "github",
    "deps": REPO / "official_plugins" / "deps",
    "format": REPO / "official_plugins" / "format",
    "profile": REPO / "official_plugins" / "profile",
}
#: Public data the tests use (a real Sigstore bundle, ...): each folder has a README saying where it is from.
TEST_FIXTURES = REPO / "tests" / "fixtures"


def install_unsigned(
    paths: HostPaths, archive: Path, *, grant: tuple[str, ...] = (), deny: tuple[str, ...] = (), yes: bool = False
) -> None:
    """Install for runtime tests; signature checks have their own tests."""
    install_archive(paths, InstallRequest(archive=archive, grant=grant, deny=deny, yes=yes, allow_unsigned=True))


# A component that exports the guest interface and traps in `initialize`: a release that
# crashes as it starts, before any command runs. Small enough to write in WAT.
TRAPS_ON_START_WAT = r"""
(component
  (core module $m
    (memory (export "memory") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 64)
    (func (export "initialize") (param i32 i32) unreachable)
    (func (export "unused") unreachable))
  (core instance $i (instantiate $m))
  (func $initialize (param "config" string)
    (canon lift (core func $i "initialize") (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))
  (func $unused (canon lift (core func $i "unused")))
  (instance $guest
    (export "describe" (func $unused))
    (export "initialize" (func $initialize))
    (export "execute" (func $unused))
    (export "on-event" (func $unused))
    (export "cleanup" (func $unused)))
  (export "acc:plugin/guest@1.0.0" (instance $guest)))
"""


def traps_on_start_wasm() -> bytes:
    import wasmtime

    return bytes(wasmtime.wat2wasm(TRAPS_ON_START_WAT))


#: Files from this size on are hard-linked by `clone_home`, not copied.
_LINK_FROM_BYTES = 1 << 20


def clone_home(template: Path, home: Path) -> Path:
    """A per-test copy of an installed acc home that hard-links its big files (plugin
    components, ~40 MB each) instead of copying them: acc never writes an installed file in
    place (installs and updates stage a new directory and rename it), so the template stays
    intact, and a test costs no disk or copy time for them. Small files (state, locks) are
    copied, so tests do not share a lock file or state."""

    def link_or_copy(src: str, dst: str) -> object:
        if os.path.getsize(src) >= _LINK_FROM_BYTES:
            os.link(src, dst)
            return dst
        return shutil.copy2(src, dst)

    return Path(shutil.copytree(template, home, symlinks=True, copy_function=link_or_copy))
