"""Scratch PostgreSQL databases for tests: created with unique names, dropped even when the
server is busy with them."""

from __future__ import annotations

import time
from typing import Any

#: How long a drop keeps retrying while the server still has the database busy.
DROP_PATIENCE_SECONDS = 30.0


def drop_database(admin: Any, name: str) -> None:
    """DROP DATABASE `name` WITH (FORCE) through `admin` (an AUTOCOMMIT SQLAlchemy engine).

    FORCE ends our own sessions, but a role that is not a superuser may not end the
    autovacuum worker that the server starts on a freshly filled database ("must be a
    member of the role whose process is being terminated"); that worker finishes within
    seconds, so the drop is retried until it does."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    deadline = time.monotonic() + DROP_PATIENCE_SECONDS
    while True:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError as error:
            busy = "pg_signal_backend" in str(error) or "being accessed by other users" in str(error)
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
