"""operators and moderators: disabled accounts, admins, verified publishers, take-downs, closed reports

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 00:00:00

Accounts gain `disabled_at`/`disabled_reason` (an operator's switch), `is_admin` (moderators),
`verified_at`/`verified_by` (the verified-publisher mark) and `name_key`, the confusable key
of the name, unique so that look-alike publisher names cannot be registered. Existing
accounts get their key in id order; a later account whose key collides with an earlier one
keeps NULL (it predates the rule and is not renamed). Plugins gain `taken_down_at` and
`takedown_reason`; abuse reports gain who closed them, when and how.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import registry.models
from sdk.names import confusable_key

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

users = sa.table(
    "users", sa.column("id", sa.Integer()), sa.column("name", sa.String()), sa.column("name_key", sa.String())
)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("disabled_at", registry.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("disabled_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("verified_at", registry.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("verified_by", sa.String(length=300), nullable=True))
    connection = op.get_bind()
    seen: set[str] = set()
    for user_id, name in connection.execute(sa.select(users.c.id, users.c.name).order_by(users.c.id)).all():
        key = confusable_key(name)
        if key not in seen:
            seen.add(key)
            connection.execute(sa.update(users).where(users.c.id == user_id).values(name_key=key))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_users_name_key", ["name_key"])

    with op.batch_alter_table("plugins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("taken_down_at", registry.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("takedown_reason", sa.Text(), nullable=True))

    with op.batch_alter_table("abuse_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolved_at", registry.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("resolution", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("abuse_reports", schema=None) as batch_op:
        batch_op.drop_column("resolution")
        batch_op.drop_column("resolved_by")
        batch_op.drop_column("resolved_at")
    with op.batch_alter_table("plugins", schema=None) as batch_op:
        batch_op.drop_column("takedown_reason")
        batch_op.drop_column("taken_down_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_name_key", type_="unique")
        batch_op.drop_column("verified_by")
        batch_op.drop_column("verified_at")
        batch_op.drop_column("is_admin")
        batch_op.drop_column("disabled_reason")
        batch_op.drop_column("disabled_at")
        batch_op.drop_column("name_key")
