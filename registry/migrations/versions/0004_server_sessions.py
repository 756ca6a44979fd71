"""server-side web sessions, confirmed email addresses, one-time mail links, counted downloads

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:00:00

Sessions move from a signed cookie to `web_sessions` (so logging out ends them); accounts
gain `email_confirmed_at` (registration mails a link, so it says nothing about which
addresses are registered; accounts that exist already count as confirmed); `email_tokens`
holds those links and password resets; `download_events` counts each client's download of
a version once a day.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import registry.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

users = sa.table(
    "users",
    sa.column("created_at", registry.models.UTCDateTime()),
    sa.column("email_confirmed_at", registry.models.UTCDateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_confirmed_at", registry.models.UTCDateTime(), nullable=True))
    op.execute(sa.update(users).values(email_confirmed_at=users.c.created_at))

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", registry.models.UTCDateTime(), nullable=False),
        sa.Column("expires_at", registry.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "email_tokens",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", registry.models.UTCDateTime(), nullable=False),
        sa.Column("expires_at", registry.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("email_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "download_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=32), nullable=False),
        sa.Column("plugin_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["plugin_id"], ["plugins.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "client", "plugin_id", "version"),
    )
    with op.batch_alter_table("download_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_download_events_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("download_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_download_events_day"))
    op.drop_table("download_events")
    with op.batch_alter_table("email_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_tokens_user_id"))
    op.drop_table("email_tokens")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))
        batch_op.drop_index(batch_op.f("ix_web_sessions_expires_at"))
    op.drop_table("web_sessions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_confirmed_at")
