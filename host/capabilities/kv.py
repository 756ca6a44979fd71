"""Capability `kv`, bound: one SQLite file per plugin under ACC_HOME/kv, with a byte quota (capped by host policy).

Another process (a second acc running the same plugin) may hold the file's write lock;
SQLite then waits, at most `BUSY_SECONDS` and never past the plugin call's deadline.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from host.capabilities.binding import BindContext, Binding, scope_as
from host.capabilities.errors import Failed, Invalid, LimitExceeded
from host.deadline import capped
from sdk.capabilities import Capability
from sdk.capabilities.kv import KvCapability

if TYPE_CHECKING:
    import sqlite3

MAX_KEY_BYTES = 1024
BUSY_SECONDS = 10.0
MAX_LIST_KEYS = 10_000


def bind(capability: Capability, context: BindContext) -> Binding:
    quota = min(scope_as(capability, KvCapability).quota_bytes, context.policy.max_kv_quota_bytes)
    store = KvStore(KvScope(context.paths.kv / f"{context.manifest.name}.sqlite3", quota))
    context.on_close(store.close)
    return Binding(functions={"get": store.get, "set": store.set, "delete": store.delete, "list-keys": store.list_keys})


@dataclass(frozen=True)
class KvScope:
    path: Path
    quota_bytes: int


class KvStore:
    """A plugin's key-value namespace. Every write is a transaction: a crash keeps old or new."""

    def __init__(self, scope: KvScope) -> None:
        self.scope = scope
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        busy_ms = int(capped(BUSY_SECONDS) * 1000)
        if busy_ms <= 0:
            raise LimitExceeded("no time left for the kv store: the plugin's time limit has run out")
        if self._db is None:
            # Imported on first use: libsqlite3 would be mapped (~1 MB) into every host that
            # binds kv for a plugin whose call never touches its store.
            import sqlite3

            self.scope.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                db = sqlite3.connect(self.scope.path, timeout=busy_ms / 1000, isolation_level=None)
                db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
            except sqlite3.Error as e:
                raise Failed(f"the plugin's kv store could not be opened: {e}") from e
            self._db = db
        else:
            self._db.execute(f"PRAGMA busy_timeout = {busy_ms}")
        return self._db

    def get(self, key: str) -> bytes | None:
        _check_key(key)
        with _lock_wait():
            row = self._conn().execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def set(self, key: str, value: bytes) -> None:
        _check_key(key)
        with _lock_wait():
            self._set(key, value)

    def _set(self, key: str, value: bytes) -> None:
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            used = db.execute(
                "SELECT COALESCE(SUM(LENGTH(CAST(key AS BLOB)) + LENGTH(value)), 0) FROM kv WHERE key != ?",
                (key,),
            ).fetchone()[0]
            needed = used + len(key.encode()) + len(value)
            if needed > self.scope.quota_bytes:
                raise LimitExceeded(
                    f"kv quota of {self.scope.quota_bytes} bytes would be exceeded ({needed} bytes needed)"
                )
            db.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, bytes(value)))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def delete(self, key: str) -> None:
        _check_key(key)
        with _lock_wait():
            self._conn().execute("DELETE FROM kv WHERE key = ?", (key,))

    def list_keys(self, prefix: str) -> list[str]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with _lock_wait():
            return self._list_keys(escaped)

    def _list_keys(self, escaped: str) -> list[str]:
        rows = (
            self._conn()
            .execute(
                "SELECT key FROM kv WHERE key LIKE ? ESCAPE '\\' ORDER BY key LIMIT ?",
                (escaped + "%", MAX_LIST_KEYS),
            )
            .fetchall()
        )
        return [row[0] for row in rows]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


@contextlib.contextmanager
def _lock_wait() -> Iterator[None]:
    """Another process holding the store past the wait is a limit, not a host error."""
    import sqlite3  # already loaded: a store is only used through an open connection

    try:
        yield
    except sqlite3.OperationalError as e:
        if "locked" not in str(e) and "busy" not in str(e):
            raise Failed(f"the plugin's kv store failed: {e}") from e
        raise LimitExceeded("the kv store is locked by another process (acc gave up waiting)") from e


def _check_key(key: str) -> None:
    if not key or len(key.encode()) > MAX_KEY_BYTES:
        raise Invalid(f"kv keys must be 1 to {MAX_KEY_BYTES} bytes")
