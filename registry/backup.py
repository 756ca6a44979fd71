"""`acc registry backup`: one tar file holding a consistent snapshot of a registry.

What is in it (registry/backup_format.py): every table's rows, exported portably so the
backup restores on SQLite or PostgreSQL whichever it was made on; the TUF metadata with
them (it lives in the `tuf_metadata` table, byte for byte as served); every blob the
snapshot names, from a local or an S3 blob store; and, only when asked, the keys.

Consistency, i.e. the backup is one committed generation of the repository:
1. Blob deletion is held off first (registry/blob_hold.py), so no blob the snapshot will
   name can disappear before it is copied.
2. The rows are read in one snapshot transaction (SQLite: one read transaction in WAL mode,
   whose first read fixes what it sees; PostgreSQL: REPEATABLE READ, READ ONLY). Writers
   are not blocked: publishes and logins go on meanwhile and are simply not in the backup.
   Its `repo_lock.generation` is the generation the manifest records.
3. The blobs it names are copied afterwards. A blob is named only once the transaction that
   wrote it committed (registry/publish.py), and blobs are content-addressed and never
   rewritten, so the copy is exactly what the snapshot names; each is hashed on the way in
   and a blob whose bytes are not its name stops the backup.

Keys are secrets, so they are left out unless `include_keys`: whoever reads a backup with
them can sign metadata every client trusts (and, with the official publisher's key,
publish as it). Without them a restored registry serves nothing new until its operator
puts the online keys back (the restore says which); the offline root and targets keys
belong off the host anyway. The compile cache and the `generation` file are not copied
(rebuilt on demand, rewritten by the restore).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from registry.audit import audit
from registry.backup_format import MANIFEST_NAME, FileEntry, Manifest, TableEntry, encode_value, kind_of
from registry.blob_hold import blobs_held
from registry.blobs import STREAM_CHUNK_BYTES, BlobStore
from registry.config import RegistryConfig
from registry.context import Registry
from registry.db import Database
from registry.errors import BackupError
from registry.models import Base, RepoLock, utcnow
from registry.upkeep import referenced_blobs

#: The tables whose row counts the report shows.
REPORTED_TABLES = ("users", "plugins", "versions")


@dataclass(frozen=True)
class BackupReport:
    path: Path
    generation: int
    schema_revision: str
    rows: dict[str, int]
    blobs: int
    blob_bytes: int
    #: The key files the backup holds (empty without `include_keys`).
    keys: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts = ", ".join(f"{self.rows.get(t, 0)} {t}" for t in REPORTED_TABLES)
        return (
            f"backed up generation {self.generation} (schema {self.schema_revision}): {counts}, "
            f"{self.blobs} blobs ({self.blob_bytes} bytes) to {self.path}"
        )


def backup_registry(
    config: RegistryConfig, dest: Path, *, acc_version: str, include_keys: bool = False
) -> BackupReport:
    """Write a backup of the registry in `config` to `dest` (a new file; `.tar.gz`/`.tgz`
    compress; an existing directory gets a file named by time and generation)."""
    from registry import schema

    _check_is_registry(config)
    url = config.resolved_database_url
    if not schema.is_current(url):
        raise BackupError(
            f"the registry's database schema is at revision {schema.current_revision(url)}, not this acc's "
            f"({schema.head_revision()})",
            hint="run `acc registry migrate` first, or back it up with the acc version that serves it",
        )
    registry = Registry.open(config)
    try:
        with blobs_held(registry.db), _snapshot(registry.db) as connection:
            report = _write(config, registry, connection, dest, acc_version, include_keys, schema.head_revision())
        # Audited after the snapshot (which is read-only): a backup holds personal data.
        with registry.db.write() as session:
            target = f"generation {report.generation}"
            audit(session, "operator", "backup", target, "local", file=str(report.path), keys=report.keys)
        return report
    finally:
        registry.db.dispose()


def _write(
    config: RegistryConfig,
    registry: Registry,
    connection: Connection,
    dest: Path,
    acc_version: str,
    include_keys: bool,
    revision: str,
) -> BackupReport:
    generation = connection.execute(select(RepoLock.generation).where(RepoLock.id == 1)).scalar_one_or_none()
    if generation is None:
        raise BackupError("the registry's database holds no repository", hint="run `acc registry init` first")
    if dest.is_dir():
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        dest = dest / f"registry-backup-{stamp}-g{generation}.tar"
    if dest.exists():
        raise BackupError(f"{dest} exists already", hint="name a new file: a backup never replaces one")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=dest.parent) as scratch_name:
        scratch = Path(scratch_name)
        files: dict[str, FileEntry] = {}
        tables = [_export_table(connection, table, scratch, files) for table in Base.metadata.sorted_tables]
        with Session(bind=connection) as session:
            blobs = sorted(referenced_blobs(session))
        blob_sizes = _blob_sizes(registry.blobs, blobs)
        for sha, size in blob_sizes.items():
            files[f"blobs/{sha[:2]}/{sha}"] = FileEntry(sha, size)
        keys = _key_files(config.keys_dir) if include_keys else []
        for path in keys:
            files[f"keys/{path.name}"] = FileEntry(_sha256_of(path), path.stat().st_size)
        manifest = Manifest(
            acc_version=acc_version,
            schema_revision=revision,
            generation=generation,
            created_at=utcnow().isoformat(),
            source_database="sqlite" if registry.db.is_sqlite else "postgresql",
            source_blob_store=config.blob_store,
            includes_keys=include_keys,
            tables=tuple(tables),
            files=files,
        )
        partial = scratch / "backup.partial"
        with _tar_writer(partial, compress=dest.name.endswith((".tar.gz", ".tgz"))) as tar:
            _add_bytes(tar, MANIFEST_NAME, json.dumps(manifest.to_json(), indent=1).encode())
            for table in tables:
                with open(scratch / table.file, "rb") as f:
                    _add_stream(tar, table.file, f, files[table.file])
            for path in keys:
                with open(path, "rb") as f:
                    _add_stream(tar, f"keys/{path.name}", f, files[f"keys/{path.name}"])
            for sha in blobs:
                with _open_blob(registry.blobs, sha) as f:
                    _add_stream(tar, f"blobs/{sha[:2]}/{sha}", f, files[f"blobs/{sha[:2]}/{sha}"])
        os.chmod(partial, 0o600)  # accounts' addresses and password hashes, and maybe keys
        os.link(partial, dest)  # never over a file that appeared meanwhile
    return BackupReport(
        path=dest,
        generation=generation,
        schema_revision=revision,
        rows={t.name: t.rows for t in tables},
        blobs=len(blobs),
        blob_bytes=sum(blob_sizes.values()),
        keys=[p.name for p in keys],
    )


def _check_is_registry(config: RegistryConfig) -> None:
    if not config.database_url and not (config.data_dir / "registry.db").is_file():
        raise BackupError(
            f"{config.data_dir} is not a registry data directory",
            hint="pass the registry's --data directory (or set REGISTRY_DATA_DIR)",
        )


@contextlib.contextmanager
def _snapshot(db: Database) -> Iterator[Connection]:
    """One transaction that sees one committed state of every table, and blocks no writer."""
    with db.reader.connect() as connection:
        if db.is_sqlite:
            # The reader engine issues a deferred BEGIN: in WAL mode, the first read fixes
            # the snapshot every later read of this transaction sees.
            with connection.begin():
                yield connection
            return
        snapshot = connection.execution_options(isolation_level="REPEATABLE READ")
        with snapshot.begin():
            snapshot.execute(text("SET TRANSACTION READ ONLY"))
            yield snapshot


def _export_table(connection: Connection, table: Any, scratch: Path, files: dict[str, FileEntry]) -> TableEntry:
    columns = tuple((column.name, kind_of(column.type)) for column in table.columns)
    entry = TableEntry(table.name, columns, 0)
    path = scratch / entry.file
    path.parent.mkdir(exist_ok=True)
    digest = hashlib.sha256()
    rows = size = 0
    query = select(table).order_by(*table.primary_key.columns)
    with open(path, "wb") as f:
        for row in connection.execute(query, execution_options={"yield_per": 1000}):
            values = [encode_value(kind, value) for (_, kind), value in zip(columns, row, strict=True)]
            line = json.dumps(values, separators=(",", ":"), allow_nan=False).encode() + b"\n"
            f.write(line)
            digest.update(line)
            rows += 1
            size += len(line)
    files[entry.file] = FileEntry(digest.hexdigest(), size)
    return TableEntry(table.name, columns, rows)


def _blob_sizes(blobs: BlobStore, names: list[str]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    missing: list[str] = []
    for sha in names:
        size = blobs.size(sha)
        if size is None:
            missing.append(sha)
        else:
            sizes[sha] = size
    if missing:
        raise BackupError(
            f"the blob store lacks {len(missing)} blob{'s' if len(missing) != 1 else ''} the database names "
            f"(first: {missing[0]}): a restore of this registry would not serve them",
            hint="put them back from an earlier backup (or the bucket's versioning) and back up again",
        )
    return sizes


def _key_files(keys_dir: Path) -> list[Path]:
    if not keys_dir.is_dir():
        return []
    # Regular files only: a link in keys/ could name anything on the host.
    return sorted(p for p in keys_dir.iterdir() if p.is_file() and not p.is_symlink() and not p.name.startswith("."))


@contextlib.contextmanager
def _tar_writer(path: Path, *, compress: bool) -> Iterator[tarfile.TarFile]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz" if compress else "w", format=tarfile.PAX_FORMAT) as tar:
            yield tar
        raw.flush()
        os.fsync(raw.fileno())


def _member(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(time.time())
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    import io

    tar.addfile(_member(name, len(data)), io.BytesIO(data))


def _add_stream(tar: tarfile.TarFile, name: str, source: IO[bytes] | _ChunkReader, expected: FileEntry) -> None:
    """Add `source` as `name`, checking that its bytes are the ones the manifest promises."""
    reader = _HashingReader(source)
    try:
        tar.addfile(_member(name, expected.size), reader)
    except OSError as e:  # tarfile: "unexpected end of data" when the source is shorter
        raise BackupError(f"{name} changed while it was backed up: {e}", hint="run the backup again") from e
    if reader.read(1) or reader.digest.hexdigest() != expected.sha256:
        raise BackupError(
            f"{name} does not hold the bytes the registry recorded (its sha256 is not {expected.sha256})",
            hint="the blob store holds a corrupt copy: put the right one back from an earlier backup",
        )


class _HashingReader:
    def __init__(self, source: IO[bytes] | _ChunkReader) -> None:
        self.source = source
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.digest.update(data)
        return data


class _ChunkReader:
    """A file-like `read(n)` over a blob store's chunk stream (tarfile reads exact sizes)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.buffer) < size:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.buffer += chunk
        if size < 0:
            size = len(self.buffer)
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data


@contextlib.contextmanager
def _open_blob(blobs: BlobStore, sha: str) -> Iterator[IO[bytes] | _ChunkReader]:
    path = blobs.local_path(sha)
    if path is not None:
        with open(path, "rb") as f:
            yield f
        return
    chunks = blobs.stream(sha)
    try:
        yield _ChunkReader(iter(chunks))
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(STREAM_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
