"""token permissions, the token in the audit log, account notifications

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 00:00:00

Tokens get a list of permissions (registry.permissions). Existing tokens keep what they
could be used for, and no more: a token limited to named plugins could only publish them,
so it gets `publish`; an unlimited one could also yank, deprecate, manage collaborators
and review, so it gets those. Neither gets `manage-account` (revoking other tokens over
the API): that now takes a token created for it. Adding keys and identities is no
token's permission any more (the web asks for the password).

Audit entries record the token a write was made with (its id and prefix); notifications
are the security changes shown on the account page.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import registry.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCOPED = ["publish"]
UNSCOPED = ["manage-collaborators", "publish", "review", "yank"]

tokens = sa.table(
    "api_tokens",
    sa.column("id", sa.Integer()),
    sa.column("plugins", sa.JSON()),
    sa.column("permissions", sa.JSON()),
)


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("permissions", sa.JSON(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(tokens.c.id, tokens.c.plugins)).all()
    for row in rows:
        granted = SCOPED if row.plugins else UNSCOPED
        connection.execute(sa.update(tokens).where(tokens.c.id == row.id).values(permissions=granted))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("permissions", existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("token_prefix", sa.String(length=16), nullable=True))

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", registry.models.UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_user_id"))
    op.drop_table("notifications")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("token_prefix")
        batch_op.drop_column("token_id")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("permissions")
