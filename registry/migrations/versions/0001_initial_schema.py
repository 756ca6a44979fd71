"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 22:23:18.195929
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import registry.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", registry.models.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window"),
    )
    op.create_table(
        "repo_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "tuf_metadata",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("expires", registry.models.UTCDateTime(), nullable=False),
        sa.Column("created_at", registry.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("role", "version"),
    )
    with op.batch_alter_table("tuf_metadata", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tuf_metadata_role"), ["role"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", registry.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("plugins", sa.JSON(), nullable=True),
        sa.Column("created_at", registry.models.UTCDateTime(), nullable=False),
        sa.Column("expires_at", registry.models.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", registry.models.UTCDateTime(), nullable=True),
        sa.Column("last_used_at", registry.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "plugins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("confusable_key", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("capability_kinds", sa.JSON(), nullable=False),
        sa.Column("latest_version", sa.String(length=64), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("deprecated", sa.Text(), nullable=True),
        sa.Column("downloads", sa.BigInteger(), nullable=False),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        sa.Column("created_at", registry.models.UTCDateTime(), nullable=False),
        sa.Column("updated_at", registry.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("confusable_key"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("plugins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plugins_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "publisher_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("created_at", registry.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "key_id"),
    )
    with op.batch_alter_table("publisher_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publisher_keys_user_id"), ["user_id"], unique=False)

    op.create_table(
        "sigstore_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=254), nullable=False),
        sa.Column("issuer", sa.String(length=254), nullable=False),
        sa.Column("created_at", registry.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "identity", "issuer"),
    )
    with op.batch_alter_table("sigstore_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sigstore_identities_user_id"), ["user_id"], unique=False)

    op.create_table(
        "abuse_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plugin_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", registry.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["plugin_id"], ["plugins.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("abuse_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_abuse_reports_plugin_id"), ["plugin_id"], unique=False)

    op.create_table(
        "collaborators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plugin_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", registry.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["plugin_id"], ["plugins.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plugin_id", "user_id"),
    )
    with op.batch_alter_table("collaborators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collaborators_plugin_id"), ["plugin_id"], unique=False)

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plugin_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", registry.models.UTCDateTime(), nullable=False),
        sa.Column("updated_at", registry.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["plugin_id"], ["plugins.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plugin_id", "user_id"),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_plugin_id"), ["plugin_id"], unique=False)

    op.create_table(
        "versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plugin_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("archive_sha256", sa.String(length=64), nullable=False),
        sa.Column("archive_length", sa.BigInteger(), nullable=False),
        sa.Column("signature_sha256", sa.String(length=64), nullable=False),
        sa.Column("signature_length", sa.Integer(), nullable=False),
        sa.Column("signature_kind", sa.String(length=16), nullable=False),
        sa.Column("signer", sa.JSON(), nullable=False),
        sa.Column("publisher_id", sa.Integer(), nullable=False),
        sa.Column("manifest_text", sa.Text(), nullable=False),
        sa.Column("readme", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("abi", sa.String(length=100), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("dependencies", sa.JSON(), nullable=False),
        sa.Column("yanked", sa.Boolean(), nullable=False),
        sa.Column("yank_reason", sa.Text(), nullable=True),
        sa.Column("published_at", registry.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plugin_id"],
            ["plugins.id"],
        ),
        sa.ForeignKeyConstraint(
            ["publisher_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plugin_id", "version"),
    )
    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_versions_plugin_id"), ["plugin_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_versions_plugin_id"))

    op.drop_table("versions")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_plugin_id"))

    op.drop_table("reviews")
    with op.batch_alter_table("collaborators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collaborators_plugin_id"))

    op.drop_table("collaborators")
    with op.batch_alter_table("abuse_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_abuse_reports_plugin_id"))

    op.drop_table("abuse_reports")
    with op.batch_alter_table("sigstore_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sigstore_identities_user_id"))

    op.drop_table("sigstore_identities")
    with op.batch_alter_table("publisher_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publisher_keys_user_id"))

    op.drop_table("publisher_keys")
    with op.batch_alter_table("plugins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plugins_owner_id"))

    op.drop_table("plugins")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    with op.batch_alter_table("tuf_metadata", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tuf_metadata_role"))

    op.drop_table("tuf_metadata")
    op.drop_table("repo_lock")
    op.drop_table("rate_counters")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
