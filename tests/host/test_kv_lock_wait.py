"""A kv store locked by another process makes a plugin wait no longer than its deadline."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from host.capabilities.errors import LimitExceeded
from host.capabilities.kv import KvScope, KvStore
from host.deadline import within


def test_a_locked_store_is_a_limit_at_the_plugins_deadline(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    store = KvStore(KvScope(path, 4096))
    store.set("a", b"1")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another acc holds the file
    try:
        started = time.monotonic()
        with within("p", 0.5), pytest.raises(LimitExceeded, match="locked by another process"):
            store.set("b", b"2")
        assert time.monotonic() - started < 1.5  # not SQLite's own 10 s
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.set("b", b"2")
    assert store.get("b") == b"2"
    store.close()
