"""The registry backup format: one tar file, its manifest first, then every file it lists.

    manifest.json        what the backup is (format version, acc version, schema revision,
                         repository generation, source backends), each table's columns and
                         their portable kinds, and the sha256 and size of every other member
    db/TABLE.jsonl       a table's rows, one JSON array per line, in the manifest's column
                         order; values typed by kind (below), so a backup made on SQLite
                         restores into PostgreSQL and back
    blobs/ab/SHA256      every blob the database names (archives, signatures, index targets)
    keys/NAME            the data directory's keys/ (only with `--include-keys`)

Column kinds: "int", "str", "bool" and "json" are JSON as they are; "datetime" is ISO 8601
in UTC ("2026-12-07T05:38:17.123456+00:00"); "binary" is base64 (TUF metadata, kept byte
for byte). A backup is untrusted input when restored: this module's checks are pure
functions over the manifest (no IO), and every member name must match one of the three
shapes above exactly, so no name can point outside the directory it is restored into.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, LargeBinary, String, Text
from sqlalchemy.types import TypeEngine

from registry.errors import BackupError

FORMAT = "acc-registry-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
KINDS = ("int", "str", "bool", "json", "datetime", "binary")

_TABLE_FILE = re.compile(r"^db/([a-z][a-z0-9_]{0,62})\.jsonl$")
_BLOB_FILE = re.compile(r"^blobs/([0-9a-f]{2})/([0-9a-f]{64})$")
_KEY_FILE = re.compile(r"^keys/([A-Za-z0-9][A-Za-z0-9._-]{0,99})$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class RestoreLimits:
    """Bounds on what a restore reads from a backup (a hostile one must not fill the disk)."""

    max_manifest_bytes: int = 64 * 1024 * 1024
    max_files: int = 2_000_000
    #: Per member: blobs are at most `max_upload_bytes`; a table file may be larger.
    max_file_bytes: int = 16 * 1024**3
    max_total_bytes: int = 4 * 1024**4
    #: One row (one line of a table file): a bins role of a large registry is a few MB.
    max_row_bytes: int = 256 * 1024 * 1024


@dataclass(frozen=True)
class FileEntry:
    sha256: str
    size: int


@dataclass(frozen=True)
class TableEntry:
    name: str
    #: (column name, kind) in the order of each row's values.
    columns: tuple[tuple[str, str], ...]
    rows: int

    @property
    def file(self) -> str:
        return f"db/{self.name}.jsonl"


@dataclass(frozen=True)
class Manifest:
    acc_version: str
    schema_revision: str
    generation: int
    created_at: str
    source_database: str
    source_blob_store: str
    includes_keys: bool
    tables: tuple[TableEntry, ...]
    files: Mapping[str, FileEntry]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "acc_version": self.acc_version,
            "schema_revision": self.schema_revision,
            "generation": self.generation,
            "created_at": self.created_at,
            "source": {"database": self.source_database, "blob_store": self.source_blob_store},
            "includes_keys": self.includes_keys,
            "tables": [{"name": t.name, "columns": [list(c) for c in t.columns], "rows": t.rows} for t in self.tables],
            "files": {name: {"sha256": f.sha256, "size": f.size} for name, f in sorted(self.files.items())},
        }

    @property
    def blob_files(self) -> list[str]:
        return [name for name in self.files if name.startswith("blobs/")]

    @property
    def key_files(self) -> list[str]:
        return [name for name in self.files if name.startswith("keys/")]


def parse_manifest(document: object, limits: RestoreLimits) -> Manifest:
    """The manifest of an untrusted backup, checked; BackupError naming what is wrong."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _not_a_backup("its manifest is not an acc registry backup's")
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _not_a_backup("its manifest has no format version")
    if version > FORMAT_VERSION:
        raise BackupError(
            f"the backup is in format {version}, newer than this acc reads ({FORMAT_VERSION})",
            hint=f"restore it with the acc that made it ({_text(document.get('acc_version'))}) or a newer one "
            "(pip install -U acc-plugins); nothing was changed",
        )
    if version < 1:
        raise _not_a_backup(f"its format version {version} does not exist")
    source = _field(document, "source", dict)
    files = _files(_field(document, "files", dict), limits)
    tables = tuple(_table(t) for t in _field(document, "tables", list))
    names = [t.name for t in tables]
    if len(set(names)) != len(names):
        raise _not_a_backup("its manifest lists a table twice")
    for table in tables:
        if table.file not in files:
            raise _not_a_backup(f"its manifest lists the table {table.name} but not the file {table.file}")
    listed_tables = {t.file for t in tables}
    for name in files:
        if _TABLE_FILE.match(name) and name not in listed_tables:
            raise _not_a_backup(f"its manifest lists {name}, which is no table's")
    includes_keys = _field(document, "includes_keys", bool)
    if any(name.startswith("keys/") for name in files) and not includes_keys:
        raise _not_a_backup("its manifest lists keys but says it holds none")
    generation = _field(document, "generation", int)
    return Manifest(
        acc_version=_text(document.get("acc_version")),
        schema_revision=_short(_field(document, "schema_revision", str), "schema revision"),
        generation=generation,
        created_at=_short(_field(document, "created_at", str), "creation time"),
        source_database=_short(_field(source, "database", str), "source database"),
        source_blob_store=_short(_field(source, "blob_store", str), "source blob store"),
        includes_keys=includes_keys,
        tables=tables,
        files=files,
    )


def check_member_name(name: str) -> str:
    """`name` if it is a member a backup may hold (a table file, a blob, a key), else BackupError.

    The three shapes allow no `..`, no absolute path, no separator but the ones they spell."""
    if name == MANIFEST_NAME or _TABLE_FILE.match(name) or _KEY_FILE.match(name):
        return name
    blob = _BLOB_FILE.match(name)
    if blob and blob.group(2).startswith(blob.group(1)):
        return name
    raise _not_a_backup(f"it holds a file named {name!r}, which no backup holds")


def kind_of(column_type: TypeEngine[Any]) -> str:
    """The portable kind of a column's type (the models' types; anything else is a bug here)."""
    if isinstance(column_type, DateTime) or isinstance(getattr(column_type, "impl", None), DateTime):
        return "datetime"
    if isinstance(column_type, Boolean):
        return "bool"
    if isinstance(column_type, Integer):
        return "int"
    if isinstance(column_type, JSON):
        return "json"
    if isinstance(column_type, LargeBinary):
        return "binary"
    if isinstance(column_type, String | Text):
        return "str"
    raise TypeError(f"no backup kind for the column type {column_type!r}")


def encode_value(kind: str, value: Any) -> Any:
    """A column's value as JSON (see the module docstring)."""
    if value is None:
        return None
    if kind == "datetime":
        assert isinstance(value, datetime)
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if kind == "binary":
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def decode_value(kind: str, value: Any, where: str) -> Any:
    """A value of a backup's row for a column of `kind` (datetimes naive UTC, as stored)."""
    if value is None or kind == "json":
        return value
    try:
        if kind == "datetime":
            parsed = datetime.fromisoformat(value)
            return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
        if kind == "binary":
            return base64.b64decode(value, validate=True)
    except (TypeError, ValueError) as e:
        raise _not_a_backup(f"{where} holds a malformed {kind}") from e
    expected: tuple[type, ...] = {"int": (int,), "str": (str,), "bool": (bool,)}[kind]
    if not isinstance(value, expected) or (kind == "int" and isinstance(value, bool)):
        raise _not_a_backup(f"{where} holds a {type(value).__name__} where a {kind} belongs")
    return value


def _files(raw: dict[Any, Any], limits: RestoreLimits) -> dict[str, FileEntry]:
    if len(raw) > limits.max_files:
        raise _too_big(f"it lists {len(raw)} files (at most {limits.max_files} are read)")
    files: dict[str, FileEntry] = {}
    total = 0
    for name, entry in raw.items():
        check_member_name(str(name))
        if name == MANIFEST_NAME:
            raise _not_a_backup("its manifest lists itself")
        if not isinstance(entry, dict):
            raise _not_a_backup(f"its manifest entry for {name} is malformed")
        sha256, size = entry.get("sha256"), entry.get("size")
        if not isinstance(sha256, str) or not _SHA256.match(sha256):
            raise _not_a_backup(f"its manifest gives {name} no sha256")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _not_a_backup(f"its manifest gives {name} no size")
        if size > limits.max_file_bytes:
            raise _too_big(f"{name} is {size} bytes (at most {limits.max_file_bytes} are read per file)")
        blob = _BLOB_FILE.match(name)
        if blob and blob.group(2) != sha256:
            raise _not_a_backup(f"its manifest gives the blob {name} another sha256 than its name")
        total += size
        files[name] = FileEntry(sha256, size)
    if total > limits.max_total_bytes:
        raise _too_big(f"it holds {total} bytes (at most {limits.max_total_bytes} are read)")
    return files


def _table(raw: object) -> TableEntry:
    if not isinstance(raw, dict):
        raise _not_a_backup("its manifest has a malformed table entry")
    name = _field(raw, "name", str)
    if not _TABLE_FILE.match(f"db/{name}.jsonl"):
        raise _not_a_backup(f"its manifest names a table {name!r}")
    columns: list[tuple[str, str]] = []
    for column in _field(raw, "columns", list):
        if (
            not isinstance(column, list)
            or len(column) != 2
            or not isinstance(column[0], str)
            or not re.match(r"^[a-z][a-z0-9_]{0,62}$", column[0])
            or column[1] not in KINDS
        ):
            raise _not_a_backup(f"its manifest has a malformed column of the table {name}")
        columns.append((column[0], column[1]))
    if not columns or len({c for c, _ in columns}) != len(columns):
        raise _not_a_backup(f"its manifest gives the table {name} no columns, or one twice")
    rows = _field(raw, "rows", int)
    return TableEntry(name, tuple(columns), rows)


def _field(document: dict[Any, Any], key: str, kind: type) -> Any:
    value = document.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _not_a_backup(f"its manifest has no valid {key!r}")
    return value


def _short(value: str, what: str) -> str:
    if not 0 < len(value) <= 100:
        raise _not_a_backup(f"its manifest's {what} is malformed")
    return value


def _text(value: object) -> str:
    return value[:40] if isinstance(value, str) else "unknown"


def _not_a_backup(why: str) -> BackupError:
    return BackupError(
        f"this is not a usable registry backup: {why}",
        hint="restore a file made by `acc registry backup`; nothing was changed",
    )


def _too_big(why: str) -> BackupError:
    return BackupError(f"the backup is refused: {why}", hint="nothing was changed")
