"""Database access: one engine per app, short sessions, and write transactions that serialize.

SQLite (the default) runs in WAL mode with a busy timeout, and write transactions start
with BEGIN IMMEDIATE: a deferred transaction that read first and then wrote could fail
with "database is locked" under concurrent publishes instead of waiting its turn.
PostgreSQL needs nothing special: writes that change TUF metadata lock `repo_lock`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from registry.models import RepoLock

SQLITE_BUSY_TIMEOUT_MS = 30_000
_AFTER_COMMIT = "acc_after_commit"


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.reader = _sqlite_engine(url, begin="BEGIN")
            self.writer = _sqlite_engine(url, begin="BEGIN IMMEDIATE")
        else:
            self.reader = self.writer = create_engine(url, pool_pre_ping=True)
        self._read_sessions = sessionmaker(self.reader, expire_on_commit=False)
        self._write_sessions = sessionmaker(self.writer, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read_sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any exception; then the
        callbacks registered with `after_commit` run (only if it committed)."""
        with self._write_sessions() as session:
            with session.begin():
                yield session
            for callback in session.info.pop(_AFTER_COMMIT, []):
                callback()

    def dispose(self) -> None:
        self.reader.dispose()
        if self.writer is not self.reader:
            self.writer.dispose()


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once `session`'s write transaction has committed (never if it rolls back):
    for effects outside the database, such as mail, that must not report an undone change."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def lock_repository(session: Session) -> RepoLock:
    """Serialize metadata-changing transactions (a no-op beyond BEGIN IMMEDIATE on SQLite)."""
    lock = session.execute(select(RepoLock).where(RepoLock.id == 1).with_for_update()).scalar_one_or_none()
    if lock is None:
        raise RuntimeError("the registry database has no repo_lock row: run `acc registry init`")
    lock.generation += 1
    return lock


def _sqlite_engine(url: str, *, begin: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN, not the sqlite3 module's own logic.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine
