"""Creating and upgrading the database schema with Alembic (registry/migrations)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _alembic_config(url: str) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


#: The PostgreSQL advisory lock key held while migrating (any constant no other code uses).
MIGRATE_LOCK_KEY = 0x6163636D  # "accm"


def upgrade(url: str) -> None:
    """Bring the database at `url` to the newest schema (creates it when empty).

    Several hosts starting at once (or `acc registry migrate` run on two) take turns: on
    PostgreSQL under an advisory lock, on SQLite under a file lock beside the database; the
    second finds the schema at the head already and does nothing.
    """
    from alembic import command

    with _migration_lock(url):
        command.upgrade(_alembic_config(url), "head")  # type: ignore[arg-type]


def is_current(url: str) -> bool:
    return current_revision(url) == head_revision()


@contextmanager
def _migration_lock(url: str) -> Iterator[None]:
    if url.startswith("sqlite"):
        from sqlalchemy.engine import make_url

        from sdk.atomic import file_lock

        database = make_url(url).database
        if not database or database == ":memory:":
            yield
            return
        with file_lock(Path(database).with_name(Path(database).name + ".migrate-lock")):
            yield
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATE_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATE_LOCK_KEY})
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade_connection(connection: Connection, revision: str) -> None:
    """Bring the database of `connection` to `revision`, inside the connection's transaction
    when one is open (PostgreSQL's DDL is transactional: a restore commits schema and rows
    together, or neither)."""
    from alembic import command

    config = _alembic_config(connection.engine.url.render_as_string(hide_password=False))
    config.attributes["connection"] = connection  # type: ignore[attr-defined]
    command.upgrade(config, revision)  # type: ignore[arg-type]


def known_revisions() -> set[str]:
    """Every schema revision this version of acc can create or upgrade from."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config("sqlite://"))  # type: ignore[arg-type]
    return {r.revision for r in script.walk_revisions()}


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()  # type: ignore[arg-type]
    assert head is not None
    return head
