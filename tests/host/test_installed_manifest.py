"""An installed plugin.toml is parsed once per process for the same bytes, and again when they change."""

from __future__ import annotations

from pathlib import Path

import pytest

from host.store import InstalledPlugin
from sdk.errors import ManifestError

MANIFEST = """
name = "cached"
version = "1.0.0"
description = "a test manifest"
api = ">=1.0,<2"

[[commands]]
name = "x"
"""


def _installed(directory: Path) -> InstalledPlugin:
    return InstalledPlugin(
        name="cached",
        version="1.0.0",
        versions=("1.0.0",),
        granted=frozenset(),
        archive_sha256="",
        wasm_sha256="",
        signer="",
        installed_at="",
        directory=directory,
    )


def test_the_same_bytes_give_the_same_parsed_manifest(tmp_path: Path) -> None:
    (tmp_path / "plugin.toml").write_text(MANIFEST)
    installed = _installed(tmp_path)
    first = installed.manifest()
    assert installed.manifest() is first
    assert _installed(tmp_path).manifest() is first  # another host object in the same process


def test_changed_bytes_are_parsed_again(tmp_path: Path) -> None:
    (tmp_path / "plugin.toml").write_text(MANIFEST)
    installed = _installed(tmp_path)
    assert installed.manifest().description == "a test manifest"
    (tmp_path / "plugin.toml").write_text(MANIFEST.replace("a test manifest", "changed on disk"))
    assert installed.manifest().description == "changed on disk"


def test_a_bad_manifest_is_refused_every_time_it_is_read(tmp_path: Path) -> None:
    (tmp_path / "plugin.toml").write_text(MANIFEST.replace('version = "1.0.0"', 'version = "not a version"'))
    installed = _installed(tmp_path)
    for _ in range(2):
        with pytest.raises(ManifestError):
            installed.manifest()
