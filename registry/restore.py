"""`acc registry restore`: a registry from a backup (registry/backup.py), verified first.

The backup is untrusted input (registry/backup_format.py). Nothing is touched until all of
it has been read and checked: the manifest first (format, a schema revision this acc
knows, member names of the three allowed shapes, sizes within `RestoreLimits`), then every
member, each a regular file listed once with its size, hashed as it is written into a
staging directory beside the data directory (never where its name alone would put it).

Then the registry is built there, rows imported table by table into the schema at the
backup's revision and upgraded to this acc's head (an older backup restores into a newer
acc), and only then does it replace anything:
- the data directory: the staging directory is renamed into its place; with `force`, the
  one it replaces is kept beside it (`DATA.before-restore-TIME`), never deleted;
- an external PostgreSQL database: schema, rows and (with `force`) the removal of the old
  tables are one transaction (PostgreSQL's DDL is transactional): all or nothing;
- an S3 blob store: blobs are uploaded before the rows naming them commit (an unnamed
  blob is harmless; `acc registry cleanup` removes it after its grace period).
A non-empty target is refused unless `force`.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, MetaData, create_engine, insert, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from registry.audit import audit
from registry.backup_format import (
    MANIFEST_NAME,
    Manifest,
    RestoreLimits,
    TableEntry,
    check_member_name,
    decode_value,
    parse_manifest,
)
from registry.blobs import STREAM_CHUNK_BYTES, blob_store_for
from registry.config import RegistryConfig
from registry.errors import BackupError, RegistryError
from registry.generation import GenerationFile
from registry.models import Base

_INSERT_BATCH = 1000
_NOTHING_CHANGED = "nothing was changed"


@dataclass(frozen=True)
class RestoreReport:
    data_dir: Path
    generation: int
    schema_revision: str
    acc_version: str
    rows: dict[str, int]
    blobs: int
    keys: list[str] = field(default_factory=list)
    #: Where the data directory that was replaced is kept (`force`), if there was one.
    kept: Path | None = None
    #: Why the restored registry cannot sign yet (its online keys are not in place), if so.
    signing_problem: str | None = None

    def summary(self) -> str:
        counts = ", ".join(f"{self.rows.get(t, 0)} {t}" for t in ("users", "plugins", "versions"))
        return (
            f"restored generation {self.generation} (schema {self.schema_revision}, backed up by acc "
            f"{self.acc_version}): {counts}, {self.blobs} blobs into {self.data_dir}"
        )


def restore_registry(
    config: RegistryConfig, src: Path, *, force: bool = False, limits: RestoreLimits | None = None
) -> RestoreReport:
    """Restore the backup `src` into the registry `config` names (data directory, database,
    blob store); see the module docstring."""
    limits = limits or RestoreLimits()
    occupied = _occupied(config)
    if occupied and not force:
        raise BackupError(
            f"{occupied} holds a registry already: a restore never mixes two",
            hint="restore into an empty --data directory (and database), or pass --force to replace it "
            "(the data directory as it was is kept beside it)",
        )
    data_dir = config.data_dir.absolute()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}.restore-", dir=data_dir.parent))
    try:
        os.chmod(staging, 0o700)
        manifest = _unpack(src, staging, config, limits)
        generation = _build(config, manifest, staging, force, limits)
        kept = _swap(staging, data_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RestoreReport(
        data_dir=data_dir,
        generation=generation,
        schema_revision=manifest.schema_revision,
        acc_version=manifest.acc_version,
        rows={t.name: t.rows for t in manifest.tables},
        blobs=len(manifest.blob_files),
        keys=[name.removeprefix("keys/") for name in sorted(manifest.key_files)],
        kept=kept,
        signing_problem=_signing_problem(config),
    )


# -- the target ----------------------------------------------------------------------------


def _occupied(config: RegistryConfig) -> str | None:
    """What of the target already holds something (None: all of it is empty)."""
    if config.data_dir.exists() and (not config.data_dir.is_dir() or any(config.data_dir.iterdir())):
        return str(config.data_dir)
    if config.database_url:
        if config.database_url.startswith("sqlite"):
            # Another file than the data directory's: it cannot be swapped in place with
            # its WAL beside it, so even `force` does not replace it.
            raise BackupError(
                "a restore builds a SQLite database only inside the data directory",
                hint="unset REGISTRY_DATABASE_URL (the data directory's registry.db is used), or restore "
                "into PostgreSQL",
            )
        if _tables(config.database_url):
            return "the database"
    return None


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return inspect(connection).get_table_names()
    except SQLAlchemyError as e:
        raise BackupError(f"cannot reach the database to restore into: {e}", hint=_NOTHING_CHANGED) from e
    finally:
        engine.dispose()


# -- reading the backup --------------------------------------------------------------------


def _unpack(src: Path, staging: Path, config: RegistryConfig, limits: RestoreLimits) -> Manifest:
    """Read and check every member of `src` into `staging`; the checked manifest."""
    try:
        raw = open(src, "rb")  # noqa: SIM115 (closed by the ExitStack below)
    except FileNotFoundError as e:
        raise BackupError(f"{src} does not exist", hint="pass the path of a file made by `acc registry backup`") from e
    except OSError as e:
        raise BackupError(f"{src} is not a registry backup: {e}", hint=_NOTHING_CHANGED) from e
    with contextlib.ExitStack() as stack:
        stack.enter_context(raw)
        try:
            compressed = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            source: Any = stack.enter_context(gzip.GzipFile(fileobj=raw)) if compressed else raw
            # Not tarfile's stream mode: there, a header (pax, GNU long name) of any declared
            # size is read into memory whole; read directly, each read is bounded here.
            bounded = _BoundedReads(source, _largest_read(limits))
            tar = stack.enter_context(tarfile.open(fileobj=bounded, mode="r:"))  # type: ignore[call-overload]
            return _read_members(tar, staging, config, limits)
        except (tarfile.TarError, EOFError, OSError, gzip.BadGzipFile) as e:
            if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise  # the disk is full, not the backup damaged (the CLI says so)
            raise BackupError(f"{src} is not a registry backup, or is damaged: {e}", hint=_NOTHING_CHANGED) from e
    raise AssertionError("unreachable")


def _largest_read(limits: RestoreLimits) -> int:
    """The largest single read of the backup: the manifest, read whole (member data is read in
    chunks), rounded up to tar's 512-byte blocks."""
    return max(limits.max_manifest_bytes, STREAM_CHUNK_BYTES) + tarfile.BLOCKSIZE


class _BoundedReads:
    """A file whose every read is at most `limit` bytes (tarfile reads headers whole)."""

    def __init__(self, source: Any, limit: int) -> None:
        self.source = source
        self.limit = limit

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self.limit:
            raise tarfile.ReadError(f"a tar header or member is over {self.limit} bytes")
        data: bytes = self.source.read(size)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return int(self.source.seek(offset, whence))

    def tell(self) -> int:
        return int(self.source.tell())


def _read_members(tar: tarfile.TarFile, staging: Path, config: RegistryConfig, limits: RestoreLimits) -> Manifest:
    first = tar.next()
    if first is None or first.name != MANIFEST_NAME or not first.isreg():
        raise BackupError("this is not a registry backup: it does not start with its manifest", hint=_NOTHING_CHANGED)
    if first.size > limits.max_manifest_bytes:
        raise BackupError(f"the backup's manifest is over {limits.max_manifest_bytes} bytes", hint=_NOTHING_CHANGED)
    raw = _member_bytes(tar, first)
    try:
        document = json.loads(raw)
    except ValueError as e:
        raise BackupError("this is not a registry backup: its manifest is not JSON", hint=_NOTHING_CHANGED) from e
    manifest = parse_manifest(document, limits)
    _check_schema(manifest)
    local_blobs = config.blob_store == "local"
    seen: set[str] = set()
    while (member := tar.next()) is not None:
        name = check_member_name(member.name)
        entry = manifest.files.get(name)
        if entry is None or name in seen:
            raise BackupError(
                f"the backup holds {name} {'twice' if name in seen else 'but its manifest does not list it'}",
                hint=_NOTHING_CHANGED,
            )
        if not member.isreg():
            what = "a link" if member.issym() or member.islnk() else "not a regular file"
            raise BackupError(f"the backup's member {name} is {what}: refused", hint=_NOTHING_CHANGED)
        if member.size != entry.size:
            raise BackupError(f"the backup's {name} is not the size its manifest gives", hint=_NOTHING_CHANGED)
        seen.add(name)
        target = _destination(staging, name, local_blobs)
        _write_checked(tar, member, target, entry.sha256)
    missing = sorted(set(manifest.files) - seen)
    if missing:
        raise BackupError(
            f"the backup lacks {len(missing)} of the files its manifest lists (first: {missing[0]}): it is truncated",
            hint=_NOTHING_CHANGED,
        )
    return manifest


def _check_schema(manifest: Manifest) -> None:
    from registry import schema

    if manifest.schema_revision not in schema.known_revisions():
        raise BackupError(
            f"the backup's database schema (revision {manifest.schema_revision}, made by acc "
            f"{manifest.acc_version}) is newer than this acc knows (revision {schema.head_revision()})",
            hint=f"restore it with acc {manifest.acc_version} or newer (pip install -U acc-plugins); "
            + _NOTHING_CHANGED,
        )


def _destination(staging: Path, name: str, local_blobs: bool) -> Path:
    """Where a checked member name is written: built from the name's checked parts, inside staging."""
    if name.startswith("keys/"):
        path = staging / "keys" / name.removeprefix("keys/")
    elif name.startswith("blobs/") and local_blobs:
        path = staging / name  # already where the data directory keeps blobs
    else:
        path = staging / ".restore" / name
    if not path.resolve().is_relative_to(staging.resolve()):  # cannot happen with checked names
        raise BackupError(f"the backup's member {name} would be written outside the restore", hint=_NOTHING_CHANGED)
    return path


def _member_bytes(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    stream = tar.extractfile(member)
    assert stream is not None
    return stream.read(member.size)


def _write_checked(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path, sha256: str) -> None:
    stream = tar.extractfile(member)
    assert stream is not None
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest = hashlib.sha256()
    left = member.size
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        while left > 0:
            chunk = stream.read(min(left, STREAM_CHUNK_BYTES))
            if not chunk:
                break
            digest.update(chunk)
            f.write(chunk)
            left -= len(chunk)
    if left or digest.hexdigest() != sha256:
        raise BackupError(
            f"the backup's {member.name} does not match its manifest's sha256: the backup is damaged or altered",
            hint=_NOTHING_CHANGED,
        )


# -- building the registry ---------------------------------------------------------------


def _build(config: RegistryConfig, manifest: Manifest, staging: Path, force: bool, limits: RestoreLimits) -> int:
    """Keys, blobs and database from the unpacked backup in `staging`; the restored generation."""
    (staging / "keys").mkdir(mode=0o700, exist_ok=True)
    incoming = staging / ".restore"
    if config.blob_store != "local":
        store = blob_store_for(config)
        for name in manifest.blob_files:
            store.put((incoming / name).read_bytes())
    else:
        (staging / "blobs").mkdir(exist_ok=True)
    url = config.database_url or f"sqlite:///{staging / 'registry.db'}"
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            if force and config.database_url:
                _drop_registry_tables(connection)
            generation = _import(connection, manifest, incoming, limits)
    except SQLAlchemyError as e:
        raise BackupError(f"the backup's rows could not be restored: {e}", hint=_NOTHING_CHANGED) from e
    finally:
        engine.dispose()
    shutil.rmtree(incoming, ignore_errors=True)
    GenerationFile(staging / "generation").bump(generation)
    return generation


def _drop_registry_tables(connection: Connection) -> None:
    """Remove the registry's tables (only those), inside the restore's transaction."""
    existing = MetaData()
    names = {*Base.metadata.tables, "alembic_version"}
    existing.reflect(connection, only=lambda name, _: name in names)
    existing.drop_all(connection)


def _import(connection: Connection, manifest: Manifest, incoming: Path, limits: RestoreLimits) -> int:
    from registry import schema

    schema.upgrade_connection(connection, manifest.schema_revision)
    reflected = MetaData()
    reflected.reflect(connection)
    for entry in manifest.tables:
        table = reflected.tables.get(entry.name)
        if table is None:
            raise BackupError(
                f"the backup has a table {entry.name} that schema revision {manifest.schema_revision} lacks",
                hint=_NOTHING_CHANGED,
            )
        unknown = [c for c, _ in entry.columns if c not in table.columns]
        if unknown:
            raise BackupError(f"the backup's table {entry.name} has unknown columns: {unknown}", hint=_NOTHING_CHANGED)
        _insert_rows(connection, table, entry, incoming / entry.file, limits.max_row_bytes)
    if connection.dialect.name == "postgresql":
        _advance_sequences(connection, reflected)
    else:
        # SQLite checks foreign keys only when asked (and batch migrations must not have it
        # on): rows naming rows that do not exist are refused here, before the swap.
        broken = connection.execute(text("PRAGMA foreign_key_check")).first()
        if broken is not None:
            raise BackupError(
                f"the backup's table {broken[0]} has a row naming a missing row of {broken[2]}",
                hint=_NOTHING_CHANGED,
            )
    schema.upgrade_connection(connection, "head")
    generation = connection.execute(text("SELECT generation FROM repo_lock WHERE id = 1")).scalar_one_or_none()
    if generation is None:
        raise BackupError("the backup holds no repository (its repo_lock row is missing)", hint=_NOTHING_CHANGED)
    with Session(bind=connection) as session:  # in the restore's transaction: audited if it commits
        audit(
            session,
            "operator",
            "restore",
            f"generation {generation}",
            "local",
            backup_created_at=manifest.created_at,
            acc_version=manifest.acc_version,
            schema_revision=manifest.schema_revision,
        )
        session.flush()
    return int(generation)


def _insert_rows(connection: Connection, table: Any, entry: TableEntry, path: Path, max_row_bytes: int) -> None:
    names = [c for c, _ in entry.columns]
    count = 0
    batch: list[dict[str, Any]] = []
    with open(path, "rb") as f:
        for number, line in enumerate(_lines(f, max_row_bytes), start=1):
            where = f"row {number} of the backup's {entry.name}"
            try:
                values = json.loads(line)
            except ValueError as e:
                raise BackupError(f"{where} is not JSON", hint=_NOTHING_CHANGED) from e
            if not isinstance(values, list) or len(values) != len(names):
                raise BackupError(f"{where} does not have the table's {len(names)} columns", hint=_NOTHING_CHANGED)
            pairs = zip(entry.columns, values, strict=True)
            batch.append({name: decode_value(kind, value, where) for (name, kind), value in pairs})
            count += 1
            if len(batch) == _INSERT_BATCH:
                connection.execute(insert(table), batch)
                batch = []
    if batch:
        connection.execute(insert(table), batch)
    if count != entry.rows:
        raise BackupError(
            f"the backup's {entry.name} holds {count} rows, its manifest says {entry.rows}", hint=_NOTHING_CHANGED
        )


def _lines(f: IO[bytes], max_row_bytes: int) -> Iterator[bytes]:
    """The lines of a table file, each at most `max_row_bytes` (one is never read whole past it)."""
    while line := f.readline(max_row_bytes + 1):
        if len(line) > max_row_bytes:
            raise BackupError(f"the backup has a row over {max_row_bytes} bytes", hint=_NOTHING_CHANGED)
        yield line


def _advance_sequences(connection: Connection, reflected: MetaData) -> None:
    """PostgreSQL: rows came with their ids, so each id sequence must move past them (or the
    next insert would collide)."""
    for table in reflected.sorted_tables:
        for column in table.primary_key.columns:
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
            ).scalar()
            if sequence:
                highest = connection.execute(select(column).order_by(column.desc()).limit(1)).scalar()
                connection.execute(
                    text("SELECT setval(:s, :v, :called)"),
                    {"s": sequence, "v": highest if highest is not None else 1, "called": highest is not None},
                )


# -- putting it in place -------------------------------------------------------------------


def _swap(staging: Path, data_dir: Path) -> Path | None:
    """Rename the staging directory into `data_dir`; an occupied one is kept beside it."""
    kept: Path | None = None
    if data_dir.exists():
        if data_dir.is_dir() and not any(data_dir.iterdir()):
            data_dir.rmdir()
        else:
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            kept = data_dir.with_name(f"{data_dir.name}.before-restore-{stamp}")
            data_dir.rename(kept)
    staging.rename(data_dir)
    return kept


def _signing_problem(config: RegistryConfig) -> str | None:
    """Why the restored registry cannot sign (its online keys are not there), or None."""
    from registry.context import Registry

    registry = Registry.open(config)
    try:
        with registry.db.read() as session:
            registry.tuf.check_online_keys(session)
    except RegistryError as e:
        return e.diagnostics()
    finally:
        registry.db.dispose()
    return None
