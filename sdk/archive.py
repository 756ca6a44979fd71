"""NAME-VERSION.plugin: a zip of plugin.toml, plugin.wasm, README.md, optional LICENSE, and
python-packages.json when the plugin bundles Python packages (`sdk.python_packages`).

Reading is defensive because archives come from strangers: the file size, every
member's size and the total are capped before anything is decompressed; only the
known member names are accepted (which also rules out paths escaping the archive);
links, directories, duplicates and encrypted members are refused; sizes are enforced
while reading, never trusted from the zip's own headers.
"""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sdk.errors import ArchiveError
from sdk.manifest import Manifest, load_manifest
from sdk.python_packages import RECORD_NAME, BundledWheel, parse_record

ARCHIVE_SUFFIX = ".plugin"
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024
MAX_MEMBER_BYTES = {
    "plugin.toml": 256 * 1024,
    "plugin.wasm": 96 * 1024 * 1024,
    "README.md": 1024 * 1024,
    "LICENSE": 256 * 1024,
    RECORD_NAME: 64 * 1024,
}
REQUIRED_MEMBERS = ("plugin.toml", "plugin.wasm", "README.md")
# A deflated member may not expand more than this: real wasm and text stay far below.
MAX_COMPRESSION_RATIO = 100

COMPONENT_HEADER = b"\x00asm\x0d\x00\x01\x00"
CORE_MODULE_HEADER = b"\x00asm\x01\x00\x00\x00"
# Fixed timestamp so that the same inputs give byte-identical archives (and signatures).
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class PluginArchive:
    """The validated contents of a plugin archive."""

    manifest: Manifest
    manifest_text: str
    wasm: bytes
    readme: str
    license: str | None
    sha256: str
    #: The Python packages the build bundled, with their wheels' sha256 (python-packages.json).
    python_packages: tuple[BundledWheel, ...] = ()


def check_component_header(wasm: bytes, *, source: str = "plugin.wasm") -> None:
    """Refuse anything that is not a WebAssembly component, with a message saying what it is."""
    if wasm.startswith(COMPONENT_HEADER):
        return
    if wasm.startswith(CORE_MODULE_HEADER):
        raise ArchiveError(
            f"{source} is a core WebAssembly module, not a component",
            hint="plugins must be components of the acc:plugin world; build with `acc plugin build`",
        )
    if wasm.startswith(b"\x00asm"):
        raise ArchiveError(f"{source} is WebAssembly of an unsupported version or layer")
    raise ArchiveError(f"{source} is not WebAssembly", hint="build the plugin with `acc plugin build`")


def read_archive(path: Path) -> PluginArchive:
    """Read and validate an archive from disk."""
    try:
        size = path.stat().st_size
    except FileNotFoundError as e:
        raise ArchiveError(f"{path}: no such file") from e
    if size > MAX_ARCHIVE_BYTES:
        raise ArchiveError(f"{path} is {size} bytes, over the {MAX_ARCHIVE_BYTES}-byte limit")
    return read_archive_bytes(path.read_bytes(), source=str(path))


def read_archive_bytes(data: bytes, *, source: str = "archive") -> PluginArchive:
    """Validate an archive held in memory (e.g. an upload) and return its contents."""
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ArchiveError(f"{source} is over the {MAX_ARCHIVE_BYTES}-byte limit")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ArchiveError(
            f"{source} is not a valid plugin archive (corrupt or truncated zip)",
            hint="rebuild it with `acc plugin build`",
        ) from e
    with zf:
        members = _read_members(zf, source)
    missing = [name for name in REQUIRED_MEMBERS if name not in members]
    if missing:
        raise ArchiveError(
            f"{source} has no {missing[0]}", hint="an archive holds plugin.toml, plugin.wasm and README.md"
        )
    manifest = load_manifest(members["plugin.toml"], source=f"{source}!plugin.toml")
    check_component_header(members["plugin.wasm"], source=f"{source}!plugin.wasm")
    wheels = parse_record(members.get(RECORD_NAME), manifest.python_packages, f"{source}!{RECORD_NAME}")
    return PluginArchive(
        manifest=manifest,
        manifest_text=members["plugin.toml"].decode("utf-8"),
        wasm=members["plugin.wasm"],
        readme=_text(members["README.md"], source, "README.md"),
        license=_text(members["LICENSE"], source, "LICENSE") if "LICENSE" in members else None,
        sha256=hashlib.sha256(data).hexdigest(),
        python_packages=wheels,
    )


def _read_members(zf: zipfile.ZipFile, source: str) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    total = 0
    for info in zf.infolist():
        name = info.filename
        if name in members:
            raise ArchiveError(f"{source} contains {name} twice")
        if name.startswith("/") or "\\" in name or ".." in name.split("/"):
            raise ArchiveError(f"{source} contains a path that escapes the archive: {name!r}")
        if name not in MAX_MEMBER_BYTES:
            raise ArchiveError(
                f"{source} contains an unexpected file {name!r}",
                hint="an archive holds only " + ", ".join(MAX_MEMBER_BYTES),
            )
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode) or info.is_dir():
            raise ArchiveError(f"{source}: {name} is a link or directory, not a file")
        if info.flag_bits & 0x1:
            raise ArchiveError(f"{source}: {name} is encrypted")
        limit = MAX_MEMBER_BYTES[name]
        if info.file_size > limit:
            raise ArchiveError(f"{source}: {name} is {info.file_size} bytes, over its {limit}-byte limit")
        if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
            raise ArchiveError(
                f"{source}: {name} expands {info.file_size // info.compress_size}x: refused as a possible zip bomb"
            )
        members[name] = _read_bounded(zf, info, limit, source)
        total += len(members[name])
        if total > MAX_ARCHIVE_BYTES * 2:
            raise ArchiveError(f"{source} expands to more than {MAX_ARCHIVE_BYTES * 2} bytes")
    return members


def _read_bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, source: str) -> bytes:
    # The header's file_size can lie; count what actually comes out of the decompressor.
    try:
        with zf.open(info) as f:
            data = f.read(limit + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise ArchiveError(f"{source}: {info.filename} is corrupt ({e})") from e
    if len(data) > limit:
        raise ArchiveError(f"{source}: {info.filename} is over its {limit}-byte limit")
    return data


def _text(data: bytes, source: str, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ArchiveError(f"{source}: {name} is not UTF-8 text") from e


def archive_bytes(
    manifest_text: str,
    wasm: bytes,
    readme: str,
    license_text: str | None = None,
    python_packages: bytes | None = None,
    *,
    compress: bool = True,
) -> bytes:
    """Pack an archive deterministically: same inputs, same bytes. `python_packages` is the
    record of bundled packages (`sdk.python_packages.record_bytes`), when there are any. The
    manifest, the record and the component header are checked first, so acc never packs what
    a registry would refuse. `compress=False` stores the entries: for an archive that never
    leaves this machine (`acc plugin dev`), where deflating 18 MB would cost about a second."""
    check_component_header(wasm)
    manifest = load_manifest(manifest_text)
    parse_record(python_packages, manifest.python_packages, RECORD_NAME)
    return pack_entries(manifest_text, wasm, readme, license_text, python_packages, compress=compress)


def pack_entries(
    manifest_text: str,
    wasm: bytes,
    readme: str,
    license_text: str | None = None,
    python_packages: bytes | None = None,
    *,
    compress: bool = True,
) -> bytes:
    """Zip the entries as given, unchecked: what any publisher's tool could send (the
    registry and the installer check what they receive, never trusting the packer)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        entries = [("plugin.toml", manifest_text.encode()), ("plugin.wasm", wasm), ("README.md", readme.encode())]
        if license_text is not None:
            entries.append(("LICENSE", license_text.encode()))
        if python_packages is not None:
            entries.append((RECORD_NAME, python_packages))
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            zf.writestr(info, content)
    return buf.getvalue()
