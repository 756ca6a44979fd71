"""search in SQL: plugins.filter_tokens and plugins.rating_hundredths, backfilled; listing indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 00:00:00

Search filters by category and capability with `filter_tokens LIKE '% cat:X %'` and
sorts by rating on `rating_hundredths` (registry.listing). This adds both columns and
fills them for the plugins already listed. The backfill uses this file's own copy of
the token format and of the rounding, and Core statements on a table described here,
not the ORM models: it must keep computing what 0002 meant when those change later.
The indexes serve counting the listed plugins and the orders by downloads and by date.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 1000

plugins = sa.table(
    "plugins",
    sa.column("id", sa.Integer()),
    sa.column("categories", sa.JSON()),
    sa.column("capability_kinds", sa.JSON()),
    sa.column("rating_sum", sa.Integer()),
    sa.column("rating_count", sa.Integer()),
    sa.column("filter_tokens", sa.Text()),
    sa.column("rating_hundredths", sa.Integer()),
)

_TOKEN_SAFE = frozenset((string.ascii_lowercase + string.digits + "-.").encode())


def _token(prefix: str, value: str) -> str:
    return prefix + "".join(chr(b) if b in _TOKEN_SAFE else f"+{b:02x}" for b in value.encode("utf-8"))


def _filter_tokens(categories: Iterable[str], capability_kinds: Iterable[str]) -> str:
    tokens = [_token("cat:", c) for c in categories] + [_token("cap:", k) for k in capability_kinds]
    return " " + "".join(token + " " for token in tokens)


def _rating_hundredths(rating_sum: int, rating_count: int) -> int:
    return round(round(rating_sum / rating_count, 2) * 100) if rating_count else 0


def upgrade() -> None:
    with op.batch_alter_table("plugins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("filter_tokens", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("rating_hundredths", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index("ix_plugins_latest_version", ["latest_version"], unique=False)
        batch_op.create_index("ix_plugins_downloads", [sa.text("downloads DESC"), "name"], unique=False)
        batch_op.create_index("ix_plugins_updated_at", [sa.text("updated_at DESC"), "name"], unique=False)
    _backfill(op.get_bind())


def _backfill(connection: sa.Connection) -> None:
    """Fill both columns, BATCH plugins at a time in id order (memory stays bounded)."""
    update = (
        sa.update(plugins)
        .where(plugins.c.id == sa.bindparam("row_id"))
        .values(filter_tokens=sa.bindparam("tokens"), rating_hundredths=sa.bindparam("hundredths"))
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(
                plugins.c.id,
                plugins.c.categories,
                plugins.c.capability_kinds,
                plugins.c.rating_sum,
                plugins.c.rating_count,
            )
            .where(plugins.c.id > last)
            .order_by(plugins.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values: list[dict[str, Any]] = [
            {
                "row_id": row.id,
                "tokens": _filter_tokens(row.categories or [], row.capability_kinds or []),
                "hundredths": _rating_hundredths(row.rating_sum, row.rating_count),
            }
            for row in rows
        ]
        connection.execute(update, values)
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("plugins", schema=None) as batch_op:
        batch_op.drop_index("ix_plugins_updated_at")
        batch_op.drop_index("ix_plugins_downloads")
        batch_op.drop_index("ix_plugins_latest_version")
        batch_op.drop_column("rating_hundredths")
        batch_op.drop_column("filter_tokens")
