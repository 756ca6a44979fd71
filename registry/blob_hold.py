"""A hold on blob deletion: a backup keeps `acc registry cleanup` from deleting blobs while it
copies the ones its database snapshot names.

Blobs are content-addressed and never change, so copying them after the snapshot is safe
as long as none it names disappears meanwhile. The only deleter is cleanup, and it deletes
only blobs that the *current* database no longer names: after a `refresh` pruned old
metadata, an old index target named by the snapshot can be such a blob. So a backup holds
this (shared: backups may overlap) from before its snapshot until its last blob is copied,
and cleanup tries to take it exclusively and, if a backup holds it, leaves orphans for its
next run instead of waiting (a backup can take a while; `serve` must not).

The hold lives where the database lives, so every host sharing the database sees it: a
PostgreSQL advisory lock, or a file lock beside a SQLite database (one host).
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from registry.db import Database

#: The PostgreSQL advisory lock key of the hold (any constant no other code uses).
BLOB_HOLD_KEY = 0x61636362  # "accb"


@contextlib.contextmanager
def blobs_held(db: Database) -> Iterator[None]:
    """Hold off blob deletion until the block ends (waits for a cleanup mid-deletion)."""
    if db.is_sqlite:
        with _sqlite_lock(db, fcntl.LOCK_SH) as _:
            yield
        return
    with db.writer.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock_shared(:k)"), {"k": BLOB_HOLD_KEY})
        connection.commit()  # the lock is the session's: no transaction stays open meanwhile
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock_shared(:k)"), {"k": BLOB_HOLD_KEY})
            connection.commit()


@contextlib.contextmanager
def blob_deletion(db: Database) -> Iterator[bool]:
    """Whether blobs may be deleted now: False while a backup holds them (does not wait)."""
    if db.is_sqlite:
        with _sqlite_lock(db, fcntl.LOCK_EX | fcntl.LOCK_NB) as locked:
            yield locked
        return
    with db.writer.connect() as connection:
        locked = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": BLOB_HOLD_KEY}).scalar())
        connection.commit()
        try:
            yield locked
        finally:
            if locked:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": BLOB_HOLD_KEY})
                connection.commit()


@contextlib.contextmanager
def _sqlite_lock(db: Database, operation: int) -> Iterator[bool]:
    database = make_url(db.url).database
    if not database or database == ":memory:":
        yield True  # a database no other process can open
        return
    path = Path(database).with_name(Path(database).name + ".blob-hold")
    with open(path, "a+") as f:
        try:
            fcntl.flock(f.fileno(), operation)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
