"""The MCP audit log: one JSON line per tool call, appended, never rewritten.

    ACC_HOME/mcp/audit.jsonl      the current file (0600)
    ACC_HOME/mcp/audit.jsonl.1    the one before, once the current passed its size cap

A record says when, which session and client, which tool, plugin, version and archive
sha256, the input's size and sha256 (never the input itself), the outcome (`ok`, or the
error kind and the limit), the duration, and every refused capability call (kind and
function). It holds nothing a plugin or a client wrote as free text except the client's
self-declared name and version, cut short: no inputs, no results, no error messages, so
no secret a tool handled can end up in it.

Each record is one `write` to a file opened with O_APPEND, so records of concurrent
servers never interleave; rotation (a rename) happens under the store's lock directory's
audit lock, so two servers never rotate twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sdk.atomic import file_lock

#: Client-declared strings are cut to this many characters in a record.
MAX_CLIENT_FIELD = 200
AUDIT_FILE = "audit.jsonl"


def audit_path(home: Path) -> Path:
    return home / "mcp" / AUDIT_FILE


def input_digest(arguments: Any) -> tuple[int, str]:
    """(size in bytes, sha256) of the arguments as canonical JSON."""
    text = json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    data = text.encode("utf-8", "surrogatepass")
    return len(data), hashlib.sha256(data).hexdigest()


def client_field(value: object) -> str:
    return str(value or "")[:MAX_CLIENT_FIELD]


class AuditLog:
    """Appends records to the audit file, rotating it past `max_bytes`."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def open(self) -> None:
        """Create the file (0600) if needed: a server that cannot audit does not start."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.close(fd)

    def write(self, record: Mapping[str, Any]) -> None:
        line = (json.dumps({"time": _now(), **record}, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                size = os.fstat(fd).st_size
            finally:
                os.close(fd)
            if size > self.max_bytes:
                self._rotate()

    def _rotate(self) -> None:
        with file_lock(self.path.parent / ".audit.lock"), contextlib.suppress(FileNotFoundError):
            if os.stat(self.path).st_size > self.max_bytes:  # not rotated by another server meanwhile
                os.replace(self.path, self.path.with_name(AUDIT_FILE + ".1"))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- reading ---------------------------------------------------------------------------------


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Every record, oldest first (the rotated file, then the current one); bad lines skipped."""
    for file in (path.with_name(AUDIT_FILE + ".1"), path):
        try:
            with open(file, "rb") as f:
                for line in f:
                    record = _parse(line)
                    if record is not None:
                        yield record
        except FileNotFoundError:
            continue


def follow(path: Path, *, poll_seconds: float = 0.25, stop: threading.Event | None = None) -> Iterator[dict[str, Any]]:
    """Records appended from now on, as they come, across rotations, until `stop` is set."""
    stop = stop or threading.Event()
    handle = None
    inode = None
    partial = b""
    try:
        while not stop.is_set():
            try:
                st = os.stat(path)
            except FileNotFoundError:
                st = None
            if st is not None and st.st_ino != inode:
                if handle is not None:  # rotated: read what the old file still had, then switch
                    yield from _lines(handle, partial)
                    handle.close()
                    partial = b""
                handle = open(path, "rb")  # noqa: SIM115 - kept open across iterations
                if inode is None:
                    handle.seek(0, os.SEEK_END)  # the first file: only what comes next
                inode = st.st_ino
            if handle is not None:
                chunk = handle.read()
                if chunk:
                    *complete, partial = (partial + chunk).split(b"\n")
                    for raw in complete:
                        record = _parse(raw)
                        if record is not None:
                            yield record
                    continue
            time.sleep(poll_seconds)
    finally:
        if handle is not None:
            handle.close()


def _lines(handle: Any, partial: bytes) -> Iterator[dict[str, Any]]:
    for raw in (partial + handle.read()).split(b"\n"):
        record = _parse(raw)
        if record is not None:
            yield record


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return record if isinstance(record, dict) else None


def format_record(record: Mapping[str, Any]) -> str:
    """One line for a terminal; every field made printable (a client names itself)."""
    client = record.get("client") or {}
    who = f"{client.get('name', '?')} {client.get('version', '')}".strip() if isinstance(client, dict) else "?"
    plugin = f"{record.get('plugin')}@{record.get('version')}" if record.get("plugin") else "-"
    outcome = str(record.get("outcome", "?"))
    if record.get("limit"):
        outcome += f" ({record['limit']})"
    denials = record.get("denials") or []
    denied = (
        " denied: " + ", ".join(f"{d.get('capability')}.{d.get('function')}" for d in denials if isinstance(d, dict))
        if isinstance(denials, list) and denials
        else ""
    )
    fields = [
        str(record.get("time", "?")),
        who,
        plugin,
        str(record.get("command") or record.get("tool") or "-"),
        outcome,
        f"{record.get('duration_ms', 0)} ms",
        f"in {record.get('input_bytes', 0)} B",
    ]
    return printable("  ".join(fields) + denied)


def printable(text: str) -> str:
    """`text` with control characters (escape sequences, carriage returns, bidi marks) escaped."""
    return "".join(ch if ch.isprintable() and ord(ch) not in _BIDI else f"\\u{ord(ch):04x}" for ch in text)


#: Marks and embeddings that reorder text on a terminal (isprintable() lets some through).
_BIDI = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
