"""Alembic environment: the URL comes from the caller's Config, the schema from registry.models."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from registry.models import Base

config = context.config
#: A caller's connection (registry.schema.upgrade_connection): migrate inside its transaction.
given = config.attributes.get("connection")
url = config.get_main_option("sqlalchemy.url")
assert url, "registry.schema sets sqlalchemy.url"


def _run(connection: Connection) -> None:
    # SQLite cannot ALTER most constraints in place: batch mode copies the table instead.
    context.configure(
        connection=connection, target_metadata=Base.metadata, render_as_batch=connection.dialect.name == "sqlite"
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif given is not None:
    _run(given)
else:
    engine = create_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()
