"""Archive reading: hostile zips are refused before they can do harm."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import stat
import zipfile
from pathlib import Path

import pytest

from sdk.archive import MAX_ARCHIVE_BYTES, archive_bytes, read_archive, read_archive_bytes
from sdk.errors import ArchiveError, ManifestError

MANIFEST = """name = "tiny"
version = "0.1.0"
description = "Tiny."

[[commands]]
name = "hello"
"""
COMPONENT = b"\x00asm\x0d\x00\x01\x00" + b"\x00" * 64


def _zip(entries: list[tuple[str, bytes]], *, symlink: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name == symlink:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data)
    return buf.getvalue()


GOOD = [("plugin.toml", MANIFEST.encode()), ("plugin.wasm", COMPONENT), ("README.md", b"# tiny\n")]


def test_a_well_formed_archive_round_trips_and_is_deterministic() -> None:
    data = archive_bytes(MANIFEST, COMPONENT, "# tiny\n")
    assert data == archive_bytes(MANIFEST, COMPONENT, "# tiny\n")
    archive = read_archive_bytes(data)
    assert archive.manifest.name == "tiny" and archive.wasm == COMPONENT and archive.license is None


def test_an_archive_packed_without_compression_reads_back_the_same() -> None:
    stored = archive_bytes(MANIFEST, COMPONENT, "# tiny\n", compress=False)
    with zipfile.ZipFile(io.BytesIO(stored)) as zf:
        assert {info.compress_type for info in zf.infolist()} == {zipfile.ZIP_STORED}
    deflated = read_archive_bytes(archive_bytes(MANIFEST, COMPONENT, "# tiny\n"))
    assert read_archive_bytes(stored) == dataclasses.replace(deflated, sha256=hashlib.sha256(stored).hexdigest())


def test_a_corrupt_or_truncated_archive_is_refused(tmp_path: Path) -> None:
    data = archive_bytes(MANIFEST, COMPONENT, "# tiny\n")
    with pytest.raises(ArchiveError, match="corrupt or truncated"):
        read_archive_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveError, match="corrupt or truncated"):
        read_archive_bytes(b"not a zip at all")
    with pytest.raises(ArchiveError, match="no such file"):
        read_archive(tmp_path / "missing.plugin")


@pytest.mark.parametrize("name", ["../plugin.toml", "/etc/passwd", "a/../../x", "dir\\..\\x"])
def test_paths_escaping_the_archive_are_refused(name: str) -> None:
    with pytest.raises(ArchiveError, match="escapes the archive|unexpected file"):
        read_archive_bytes(_zip([*GOOD, (name, b"x")]))


def test_unexpected_files_links_and_duplicates_are_refused() -> None:
    with pytest.raises(ArchiveError, match="unexpected file"):
        read_archive_bytes(_zip([*GOOD, ("setup.py", b"import os")]))
    with pytest.raises(ArchiveError, match="link or directory"):
        read_archive_bytes(_zip([*GOOD, ("LICENSE", b"/etc/passwd")], symlink="LICENSE"))
    with pytest.warns(UserWarning):  # zipfile itself warns on a duplicate name
        data = _zip([*GOOD, ("README.md", b"again")])
    with pytest.raises(ArchiveError, match="twice"):
        read_archive_bytes(data)


def test_a_zip_bomb_is_refused_before_it_expands() -> None:
    bomb = [("plugin.toml", MANIFEST.encode()), ("plugin.wasm", COMPONENT), ("README.md", b"\0" * 50_000_000)]
    with pytest.raises(ArchiveError, match="over its|zip bomb"):
        read_archive_bytes(_zip(bomb))


def test_an_oversized_archive_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.plugin"
    with open(big, "wb") as f:
        f.truncate(MAX_ARCHIVE_BYTES + 1)
    with pytest.raises(ArchiveError, match="limit"):
        read_archive(big)


def test_missing_members_are_named() -> None:
    with pytest.raises(ArchiveError, match="no README.md"):
        read_archive_bytes(_zip(GOOD[:2]))


def test_a_core_module_or_non_wasm_is_refused_as_not_a_component() -> None:
    core = [GOOD[0], ("plugin.wasm", b"\x00asm\x01\x00\x00\x00"), GOOD[2]]
    with pytest.raises(ArchiveError, match="core WebAssembly module, not a component"):
        read_archive_bytes(_zip(core))
    with pytest.raises(ArchiveError, match="not WebAssembly"):
        read_archive_bytes(_zip([GOOD[0], ("plugin.wasm", b"MZ\x90\x00"), GOOD[2]]))


def test_an_invalid_manifest_inside_an_archive_is_refused() -> None:
    bad = [("plugin.toml", b'name = "tiny"\nversion = "0.1"\n'), *GOOD[1:]]
    with pytest.raises(ManifestError, match="description is required"):
        read_archive_bytes(_zip(bad))
