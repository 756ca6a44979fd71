"""Alembic environment: the URL comes from the caller's Config, the schema from registry.models."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from registry.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "registry.schema.upgrade sets sqlalchemy.url"

if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url)
    with engine.connect() as connection:
        # SQLite cannot ALTER most constraints in place: batch mode copies the table instead.
        context.configure(
            connection=connection, target_metadata=Base.metadata, render_as_batch=connection.dialect.name == "sqlite"
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
