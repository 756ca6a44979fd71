"""Helpers shared by tests (importable as tests.helpers; conftest.py holds the fixtures)."""

from __future__ import annotations

from pathlib import Path

from host.install import InstallRequest, install_archive
from host.paths import HostPaths

REPO = Path(__file__).resolve().parents[1]
TEST_CACHE = REPO / ".acc-test-cache"
PLUGIN_SOURCES = {
    "project-stats": REPO / "official_plugins" / "example",
    "hostile": REPO / "tests" / "plugins" / "hostile",
    "relay": REPO / "tests" / "plugins" / "relay",
    "git": REPO / "official_plugins" / "git",
    "testing": REPO / "official_plugins" / "testing",
    "docs": REPO / "official_plugins" / "docs",
    "code-quality": REPO / "official_plugins" / "code_quality",
}
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"


def install_unsigned(paths: HostPaths, archive: Path, *, grant: tuple[str, ...] = (),
                     deny: tuple[str, ...] = (), yes: bool = False) -> None:
    """Install for runtime tests; signature checks have their own tests."""
    install_archive(paths, InstallRequest(archive=archive, grant=grant, deny=deny, yes=yes,
                                          allow_unsigned=True))
