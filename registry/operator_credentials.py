"""What `acc registry key list/remove` and `acc registry token list/revoke` do: the
operator's view of publishers' signing keys and API tokens.

Removing a key stops new uploads signed with it; the versions it signed stay valid, because
each version's signed TUF index entry names the public key that signed it and clients
verify against that entry, not against the account's current keys. Revoking a token is
for good (a new one must be made); revoking one already revoked changes nothing. Both are
audited with actor "operator", and the account holder is told (registry.notify).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts import MAX_ROW_ID, TOKEN_PREFIX, get_user, token_with_text
from registry.audit import audit
from registry.config import RegistryConfig
from registry.errors import ApiError, not_found
from registry.models import ApiToken, PublisherKey, User, utcnow
from registry.notify import notify_security_change
from registry.operator import opened
from registry.operator_accounts import iso

#: How many characters of a token `prefix` keeps (registry.accounts.create_token).
PREFIX_LENGTH = 12


@dataclass(frozen=True)
class KeyRow:
    user: str
    key_id: str
    public_key: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "key_id": self.key_id,
            "public_key": self.public_key,
            "created_at": iso(self.created_at),
        }


def list_keys(config: RegistryConfig, user_name: str | None = None) -> list[KeyRow]:
    """Every publisher's Ed25519 keys (or `user_name`'s), by account and date added."""
    with opened(config) as registry, registry.db.read() as session:
        query = select(PublisherKey, User.name).join(User, PublisherKey.user_id == User.id)
        if user_name is not None:
            query = query.where(PublisherKey.user_id == get_user(session, user_name).id)
        rows = session.execute(query.order_by(User.name, PublisherKey.created_at, PublisherKey.id))
        return [KeyRow(name, key.key_id, key.public_key, key.created_at) for key, name in rows]


def remove_key(config: RegistryConfig, user_name: str, key_id: str) -> None:
    """Remove `user_name`'s key `key_id`: uploads signed with it are refused from now on."""
    with opened(config) as registry, registry.db.write() as session:
        user = get_user(session, user_name)
        key = session.execute(
            select(PublisherKey).where(PublisherKey.user_id == user.id, PublisherKey.key_id == key_id)
        ).scalar_one_or_none()
        if key is None:
            known = ", ".join(k.key_id for k in user.keys) or "none"
            raise not_found(
                f"{user_name} has no signing key {key_id!r} (their keys: {known})",
                hint=f"list them with `acc registry key list --user {user_name}`",
            )
        session.delete(key)
        audit(session, "operator", "remove_key", f"{user_name} {key_id}", "local", public_key=key.public_key)
        notify_security_change(
            session,
            registry.mailer,
            user,
            "key_removed",
            f"The registry's operator removed the signing key {key_id} from your account: archives it "
            "signs can no longer be published as yours. Versions already published with it stay valid.",
            config.public_url,
        )


@dataclass(frozen=True)
class TokenRow:
    id: int
    prefix: str
    user: str
    description: str
    #: None: every plugin the account may publish.
    plugins: list[str] | None
    permissions: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "prefix": self.prefix,
            "user": self.user,
            "description": self.description,
            "plugins": self.plugins,
            "permissions": self.permissions,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "last_used_at": iso(self.last_used_at),
            "revoked_at": iso(self.revoked_at),
            "state": self.state(now),
        }


def list_tokens(config: RegistryConfig, user_name: str | None = None, *, everything: bool = False) -> list[TokenRow]:
    """The usable API tokens (`everything`: revoked and expired ones too), of every account
    or of `user_name`, by account and age."""
    with opened(config) as registry, registry.db.read() as session:
        query = select(ApiToken, User.name).join(User, ApiToken.user_id == User.id)
        if user_name is not None:
            query = query.where(ApiToken.user_id == get_user(session, user_name).id)
        if not everything:
            now = utcnow()
            query = query.where(
                ApiToken.revoked_at.is_(None), ApiToken.expires_at.is_(None) | (ApiToken.expires_at > now)
            )
        rows = session.execute(query.order_by(User.name, ApiToken.created_at, ApiToken.id))
        return [_token_row(token, name) for token, name in rows]


def _token_row(token: ApiToken, user_name: str) -> TokenRow:
    return TokenRow(
        id=token.id,
        prefix=token.prefix,
        user=user_name,
        description=token.description,
        plugins=list(token.plugins) if token.plugins is not None else None,
        permissions=list(token.permissions),
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


@dataclass(frozen=True)
class RevokeResult:
    token: TokenRow
    #: False when the token was already revoked (nothing changed).
    changed: bool


def revoke_token(config: RegistryConfig, reference: str) -> RevokeResult:
    """Revoke the token `reference` names: its id, its prefix (or the start of it, if only
    one token's prefix starts so) or the whole token text. Idempotent."""
    with opened(config) as registry, registry.db.write() as session:
        token = find_token(session, reference.strip())
        user = token.user
        if token.revoked_at is not None:
            return RevokeResult(_token_row(token, user.name), changed=False)
        token.revoked_at = utcnow()
        audit(session, "operator", "revoke_token", f"{user.name} {token.prefix}", "local", token=token.id)
        notify_security_change(
            session,
            registry.mailer,
            user,
            "token_revoked",
            f"The registry's operator revoked your API token {token.prefix}... "
            f"({token.description or 'no description'}): programs using it can no longer act for you. "
            "Create a new one on your account page if you need it.",
            config.public_url,
        )
        return RevokeResult(_token_row(token, user.name), changed=True)


def find_token(session: Session, reference: str) -> ApiToken:
    """The one token `reference` names, or a named refusal (none, or several: which ones)."""
    if reference.isdigit():
        number = int(reference)
        token = session.get(ApiToken, number) if 0 < number <= MAX_ROW_ID else None
        if token is None:
            raise not_found(f"no token has the id {reference}", hint="list them with `acc registry token list --all`")
        return token
    if not reference.startswith(TOKEN_PREFIX):
        raise ApiError(
            400,
            "invalid_request",
            f"{reference!r} is neither a token id nor a token prefix",
            hint=f"give the number in the ID column or a prefix such as {TOKEN_PREFIX}AbCd "
            "(`acc registry token list --all` shows both)",
        )
    if len(reference) > PREFIX_LENGTH:
        # The whole token text (an operator holding a leaked token): found by its hash, like a login.
        found = token_with_text(session, reference)
        if found is None:
            raise not_found("no token of this registry is that text", hint="check it was copied whole")
        return found
    matches = list(
        session.execute(
            select(ApiToken).where(ApiToken.prefix.startswith(reference, autoescape=True)).order_by(ApiToken.id)
        ).scalars()
    )
    if not matches:
        raise not_found(
            f"no token's prefix starts with {reference}", hint="list them with `acc registry token list --all`"
        )
    if len(matches) > 1:
        shown = ", ".join(f"{t.prefix} (id {t.id}, {t.user.name})" for t in matches[:10])
        more = f" and {len(matches) - 10} more" if len(matches) > 10 else ""
        raise ApiError(
            409,
            "ambiguous_token",
            f"{reference} is the start of {len(matches)} tokens' prefixes: {shown}{more}",
            hint="give a longer prefix, or the token's id",
        )
    return matches[0]
