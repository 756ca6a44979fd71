"""The registry's tables (SQLAlchemy 2, portable between SQLite and PostgreSQL).

The database is the single source of truth: TUF metadata is stored here too
(`TufMetadata`), written in the same transaction as the rows it describes, so a
publish is all or nothing and a crash can never leave metadata that disagrees with
the versions table. Blobs live on disk, content-addressed, and are written before
the transaction: an interrupted publish leaves at most an unreferenced blob.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: werkzeug scrypt hash; empty for accounts made by an operator without a password.
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the owner proved the address (the link mailed at registration); None: not yet, and
    #: the account cannot log in. Operator-made accounts are confirmed when made.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    #: sdk.names.confusable_key(name), unique, so look-alike publisher names cannot be
    #: registered. None only for accounts older than the rule that already collide.
    name_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    #: When an operator disabled the account (it cannot log in, and its tokens act on nothing).
    disabled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Operators' moderators: may read abuse reports, remove reviews and take plugins down.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When the publisher's identity was verified, and how: "operator", "dns:DOMAIN" or
    #: "well-known:DOMAIN". None: not verified (no mark on the web or in `acc plugin info`).
    verified_at: Mapped[datetime | None] = mapped_column(nullable=True)
    verified_by: Mapped[str | None] = mapped_column(String(300), nullable=True)

    keys: Mapped[list[PublisherKey]] = relationship(back_populates="user", cascade="all, delete-orphan")
    identities: Mapped[list[SigstoreIdentity]] = relationship(back_populates="user", cascade="all, delete-orphan")


class ApiToken(Base):
    """An API token: only its sha256 is stored; `prefix` lets a user tell tokens apart."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    #: None: acts on every plugin the user owns or collaborates on; else on these names only.
    plugins: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    #: What the token may do (registry.permissions.Permission values).
    permissions: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)

    user: Mapped[User] = relationship()


class PublisherKey(Base):
    """An Ed25519 public key a publisher signs archives with."""

    __tablename__ = "publisher_keys"
    __table_args__ = (UniqueConstraint("user_id", "key_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[str] = mapped_column(String(16))
    #: "ed25519:BASE64" (sdk.signing.PublicKey.to_text)
    public_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="keys")


class SigstoreIdentity(Base):
    """A Sigstore signer (e.g. an email) and the OIDC issuer that vouches for it."""

    __tablename__ = "sigstore_identities"
    __table_args__ = (UniqueConstraint("user_id", "identity", "issuer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    identity: Mapped[str] = mapped_column(String(254))
    issuer: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="identities")


class Plugin(Base):
    __tablename__ = "plugins"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    #: sdk.names.confusable_key(name): unique, so look-alike names cannot be registered.
    confusable_key: Mapped[str] = mapped_column(String(64), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Denormalised from the latest non-yanked version, for listing and search.
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)
    categories: Mapped[list[Any]] = mapped_column(JSON, default=list)
    capability_kinds: Mapped[list[Any]] = mapped_column(JSON, default=list)
    latest_version: Mapped[str] = mapped_column(String(64), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    #: " cat:CATEGORY cap:KIND ... " (registry.listing.filter_tokens), for filtering in SQL.
    filter_tokens: Mapped[str] = mapped_column(Text, default="")
    deprecated: Mapped[str | None] = mapped_column(Text, nullable=True)
    downloads: Mapped[int] = mapped_column(BigInteger, default=0)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    #: `rating` times 100, 0 when unrated (registry.listing.rating_hundredths), for sorting in SQL.
    rating_hundredths: Mapped[int] = mapped_column(Integer, default=0)
    #: When a moderator took the plugin down (every version yanked, gone from search).
    taken_down_at: Mapped[datetime | None] = mapped_column(nullable=True)
    takedown_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[User] = relationship()
    versions: Mapped[list[Version]] = relationship(back_populates="plugin", order_by="Version.id")
    collaborators: Mapped[list[Collaborator]] = relationship(cascade="all, delete-orphan")

    @property
    def rating(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None


# Listings: counting the listed plugins, and the orders that the home page and search read
# in index order (most downloaded, recently updated) until a page is full.
Index("ix_plugins_latest_version", Plugin.latest_version)
Index("ix_plugins_downloads", Plugin.downloads.desc(), Plugin.name)
Index("ix_plugins_updated_at", Plugin.updated_at.desc(), Plugin.name)


class Collaborator(Base):
    __tablename__ = "collaborators"
    __table_args__ = (UniqueConstraint("plugin_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin_id: Mapped[int] = mapped_column(ForeignKey("plugins.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class Version(Base):
    """A published version: immutable except for its yanked flag and reason."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("plugin_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin_id: Mapped[int] = mapped_column(ForeignKey("plugins.id"), index=True)
    version: Mapped[str] = mapped_column(String(64))
    archive_sha256: Mapped[str] = mapped_column(String(64))
    archive_length: Mapped[int] = mapped_column(BigInteger)
    signature_sha256: Mapped[str] = mapped_column(String(64))
    signature_length: Mapped[int] = mapped_column(Integer)
    #: "ed25519" (a .sig file) or "sigstore" (a Sigstore bundle)
    signature_kind: Mapped[str] = mapped_column(String(16))
    #: Who signed: {"kind": "ed25519", "key_id", "public_key"} or {"kind": "sigstore", "identity", "issuer"}
    signer: Mapped[dict[str, Any]] = mapped_column(JSON)
    publisher_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    manifest_text: Mapped[str] = mapped_column(Text)
    readme: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    abi: Mapped[str] = mapped_column(String(100))
    #: {kind: {"scope": str, "reason": str}}
    capabilities: Mapped[dict[str, Any]] = mapped_column(JSON)
    dependencies: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    yanked: Mapped[bool] = mapped_column(Boolean, default=False)
    yank_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    plugin: Mapped[Plugin] = relationship(back_populates="versions")
    publisher: Mapped[User] = relationship()


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("plugin_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin_id: Mapped[int] = mapped_column(ForeignKey("plugins.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    stars: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class AbuseReport(Base):
    __tablename__ = "abuse_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin_id: Mapped[int] = mapped_column(ForeignKey("plugins.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When a moderator closed the report, who, and what they did.
    resolved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)


class AuditEntry(Base):
    """One write: who did what to what, when, from where."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    #: The API token the write was made with (None: the web, or an operator command). No
    #: foreign key: the entry outlives the token.
    token_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    token_prefix: Mapped[str | None] = mapped_column(String(16), nullable=True)


class Notification(Base):
    """A security change on an account (a key, identity, password, token), shown on the
    account page and mailed to the account's address."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)


class RateCounter(Base):
    """Fixed-window request counters, shared by every worker through the database."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class TufMetadata(Base):
    """Every version of every TUF role's signed metadata, as served."""

    __tablename__ = "tuf_metadata"
    __table_args__ = (UniqueConstraint("role", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expires: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    """A web session (registry/web/sessions.py): the sha256 of its cookie, its account, its data."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True)
    #: Flask's tagged JSON of the session dict.
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)


class EmailToken(Base):
    """A one-time link mailed to an account's address: confirm it, or reset the password.
    Only the sha256 of the token is stored; using it deletes the row."""

    __tablename__ = "email_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class DownloadEvent(Base):
    """One counted download: a client (a hash of its address and the day) and a version, per
    day, so repeats and partial downloads do not inflate `plugins.downloads`."""

    __tablename__ = "download_events"
    __table_args__ = (UniqueConstraint("day", "client", "plugin_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[int] = mapped_column(Integer, index=True)  # days since 1970-01-01 (UTC)
    client: Mapped[str] = mapped_column(String(32))
    plugin_id: Mapped[int] = mapped_column(ForeignKey("plugins.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(64))


class RepoLock(Base):
    """One row that every metadata-changing transaction locks first (SELECT ... FOR UPDATE),
    so snapshot and timestamp versions are assigned one writer at a time."""

    __tablename__ = "repo_lock"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
