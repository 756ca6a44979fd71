"""Accounts, API tokens and publisher identities (keys and Sigstore signers).

Tokens are 256-bit random strings shown once; only their sha256 is stored (they are
high-entropy, so a fast hash is enough; passwords use werkzeug's scrypt).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from registry.errors import ApiError, bad_request, conflict, not_found, unauthorized
from registry.models import ApiToken, Plugin, PublisherKey, SigstoreIdentity, User, utcnow
from registry.permissions import DEFAULT_PERMISSIONS, check_combination, parse_permissions
from sdk.errors import SignatureError
from sdk.names import confusable_key
from sdk.signing import PublicKey

TOKEN_PREFIX = "acc_"
_USER_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,38}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
#: The largest integer primary key every supported database can hold (PostgreSQL `integer`).
MAX_ROW_ID = 2**31 - 1


def create_user(
    session: Session, name: str, email: str, password: str | None = None, *, confirmed: bool = True
) -> User:
    """Create an account. `confirmed`: the address is known to be the owner's (operator-made
    accounts); registrations on the web confirm it by the mailed link before logging in."""
    check_new_account(session, name, email, password)
    user = User(
        name=name,
        email=email.lower(),
        password_hash=generate_password_hash(password) if password else "",
        email_confirmed_at=utcnow() if confirmed else None,
        name_key=confusable_key(name),
    )
    session.add(user)
    session.flush()
    return user


def check_new_account(session: Session, name: str, email: str, password: str | None) -> None:
    """Refuse a malformed name, address or password, or a name or address already registered."""
    check_user_name(name)
    check_email(email)
    if password is not None:
        check_password_strength(password)
    if name_taken(session, name):
        raise conflict(
            "the name is already registered", code="account_exists", hint="log in instead, or choose another name"
        )
    if email_owner(session, email) is not None:
        raise conflict("the email address is already registered", code="account_exists", hint="log in instead")


def check_user_name(name: str) -> None:
    """Refuse a user name that is not 2-39 of [a-z0-9_-], starting with a letter or digit."""
    if not _USER_NAME.match(name):
        raise bad_request(
            f"invalid user name {name!r}",
            hint="2-39 characters: lowercase letters, digits, '-' and '_', starting with a letter or digit",
        )


def check_email(email: str) -> None:
    if not _EMAIL.match(email):
        raise bad_request(f"invalid email address {email!r}")


def name_taken(session: Session, name: str) -> bool:
    """True if `name`, or a name that reads the same (sdk.names.confusable_key), is registered."""
    taken = or_(func.lower(User.name) == name.lower(), User.name_key == confusable_key(name))
    return session.execute(select(User.id).where(taken)).first() is not None


def email_owner(session: Session, email: str) -> User | None:
    return session.execute(select(User).where(func.lower(User.email) == email.lower())).scalars().first()


def set_password(user: User, password: str) -> None:
    check_password_strength(password)
    user.password_hash = generate_password_hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise bad_request(f"the password is shorter than {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise bad_request(f"the password is longer than {MAX_PASSWORD_LENGTH} characters")


def check_login(session: Session, name: str, password: str) -> User:
    user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
    # Hash even when the user does not exist, so timing does not reveal which names exist.
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    if not check_password_hash(stored, password[:MAX_PASSWORD_LENGTH]) or user is None or not user.password_hash:
        raise unauthorized("wrong user name or password")
    check_enabled(user)
    if user.email_confirmed_at is None:
        # This, and the account being disabled, is said only to someone who knows the password.
        raise ApiError(
            403,
            "email_unconfirmed",
            f"confirm your email address first: follow the link we mailed to {user.email}",
            hint="no mail? ask for a password reset: its link confirms the address too",
        )
    return user


_DUMMY_HASH = generate_password_hash("not a real password, only spends the same time")


def password_matches(user: User, password: str) -> bool:
    """Is `password` the account's password? (Accounts without one match nothing.)"""
    stored = user.password_hash or _DUMMY_HASH
    return check_password_hash(stored, password[:MAX_PASSWORD_LENGTH]) and bool(user.password_hash)


def is_enabled(user: User) -> bool:
    """False for an account an operator disabled (`acc registry user disable`): it cannot log
    in, its web sessions resolve to nobody (registry/web/security.py) and its API tokens act
    on nothing (`authenticate`)."""
    return user.disabled_at is None


def check_enabled(user: User) -> None:
    """Refuse (403 `account_disabled`) an account an operator disabled (see `is_enabled`)."""
    if not is_enabled(user):
        # The operator's reason is for the operator's records (`acc registry user list`),
        # not for whoever holds the account's password or token.
        raise ApiError(
            403,
            "account_disabled",
            f"the account {user.name} was disabled by the registry's operator",
            hint="contact the registry's operator to have it enabled again",
        )


def get_user(session: Session, name: str) -> User:
    user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
    if user is None:
        raise not_found(f"no user named {name!r}")
    return user


# -- tokens ----------------------------------------------------------------------------------


def create_token(
    session: Session,
    user: User,
    *,
    plugins: list[str] | None = None,
    permissions: list[str] | None = None,
    expires_days: int | None = 365,
    description: str = "",
) -> tuple[str, ApiToken]:
    """Create a token; return (the token text, shown once, and its row).

    `permissions` defaults to registry.permissions.DEFAULT_PERMISSIONS (publish and yank).
    """
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise bad_request("a token expires after 1 to 3650 days")
    granted = parse_permissions(permissions if permissions is not None else DEFAULT_PERMISSIONS)
    check_combination(granted, plugins)
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        prefix=text[:12],
        token_hash=_token_hash(text),
        description=description[:200],
        plugins=sorted(set(plugins)) if plugins else None,
        permissions=granted,
        expires_at=utcnow() + timedelta(days=expires_days) if expires_days else None,
    )
    session.add(token)
    session.flush()
    return text, token


def authenticate(session: Session, authorization: str | None, now: datetime) -> ApiToken:
    """The token of an `Authorization: Bearer acc_...` header, or a 401 saying what is wrong."""
    if not authorization:
        raise unauthorized(
            "this request needs an API token",
            hint="pass --token (or set ACC_REGISTRY_TOKEN); create one on your account page",
        )
    scheme, _, text = authorization.partition(" ")
    text = text.strip()
    if scheme.lower() != "bearer" or not text.startswith(TOKEN_PREFIX) or len(text) > 200:
        raise unauthorized(
            "the Authorization header is not a registry token", hint="send `Authorization: Bearer acc_...`"
        )
    found = session.execute(
        select(ApiToken, User).join(User, ApiToken.user_id == User.id).where(ApiToken.token_hash == _token_hash(text))
    ).first()
    if found is None:
        raise unauthorized("the API token is not valid", hint="check the token, or create a new one")
    token, user = found
    if token.revoked_at is not None:
        raise unauthorized("the API token was revoked", hint="create a new token on your account page")
    if token.expires_at is not None and token.expires_at <= now:
        raise unauthorized("the API token has expired", hint="create a new token on your account page")
    # After the token's own checks: a disabled account's tokens are not revoked, only inert,
    # and work again once the operator enables the account.
    check_enabled(user)
    return token


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    # An id past the column's range names no token, and the database would fail on it.
    token = session.get(ApiToken, token_id) if 0 < token_id <= MAX_ROW_ID else None
    if token is None or token.user_id != user.id:
        raise not_found(f"you have no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


def token_with_text(session: Session, text: str) -> ApiToken | None:
    """The token whose whole text is `text` (found by its hash), or None."""
    return session.execute(select(ApiToken).where(ApiToken.token_hash == _token_hash(text))).scalar_one_or_none()


def _token_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# -- publisher identities --------------------------------------------------------------------


def add_key(session: Session, user: User, key_text: str | bytes) -> PublisherKey:
    try:
        key = PublicKey.from_bytes(key_text.encode() if isinstance(key_text, str) else key_text)
    except SignatureError as e:
        raise ApiError(400, "invalid_key", e.message, hint=e.hint) from e
    existing = session.execute(
        select(PublisherKey).where(PublisherKey.user_id == user.id, PublisherKey.key_id == key.key_id)
    ).scalar_one_or_none()
    if existing is not None:
        return existing  # idempotent: adding the same key twice is not an error
    row = PublisherKey(user_id=user.id, key_id=key.key_id, public_key=key.to_text())
    session.add(row)
    session.flush()
    return row


def add_identity(session: Session, user: User, identity: str, issuer: str) -> SigstoreIdentity:
    identity, issuer = identity.strip(), issuer.strip()
    if not identity or len(identity) > 254 or not issuer.startswith("https://") or len(issuer) > 254:
        raise bad_request(
            "a Sigstore identity needs the signer (e.g. an email) and the issuer's https:// URL",
            hint="e.g. identity=you@example.com issuer=https://github.com/login/oauth",
        )
    existing = session.execute(
        select(SigstoreIdentity).where(
            SigstoreIdentity.user_id == user.id,
            SigstoreIdentity.identity == identity,
            SigstoreIdentity.issuer == issuer,
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    row = SigstoreIdentity(user_id=user.id, identity=identity, issuer=issuer)
    session.add(row)
    session.flush()
    return row


def may_publish(session: Session, user: User, plugin: Plugin) -> bool:
    return plugin.owner_id == user.id or any(c.user_id == user.id for c in plugin.collaborators)
