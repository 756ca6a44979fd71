"""One-time links mailed to an account's address: confirm the address, or reset the password.

A link carries 256 random bits; only their sha256 is stored (`email_tokens`), with the
link's purpose and expiry. Using a link deletes it, so it works once; a new reset link
replaces the account's older ones.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from registry.errors import ApiError
from registry.models import EmailToken, User, utcnow

CONFIRM = "confirm"
RESET = "reset"
LIFETIMES = {CONFIRM: timedelta(days=2), RESET: timedelta(hours=1)}
_MAX_TOKEN_LENGTH = 100


def issue(session: Session, user: User, purpose: str) -> str:
    """A new link token for `user` (older ones of the same purpose stop working)."""
    session.execute(delete(EmailToken).where(EmailToken.user_id == user.id, EmailToken.purpose == purpose))
    text = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        EmailToken(
            id=_hash(text), purpose=purpose, user_id=user.id, created_at=now, expires_at=now + LIFETIMES[purpose]
        )
    )
    return text


def holder(session: Session, text: str, purpose: str) -> User:
    """The account a valid, unexpired link token of `purpose` belongs to, or 400 `invalid_link`."""
    row = session.get(EmailToken, _hash(text)) if 0 < len(text) <= _MAX_TOKEN_LENGTH else None
    if row is None or row.purpose != purpose or row.expires_at <= utcnow():
        raise ApiError(
            400,
            "invalid_link",
            "this link is not valid: it was already used, it expired, or it was copied incompletely",
            hint="ask for a new one: register again or reset your password",
        )
    user = session.get(User, row.user_id)
    assert user is not None  # the row cascades with its account
    return user


def redeem(session: Session, text: str, purpose: str) -> User:
    """Use a link token: its account, and the token (with the account's others of that purpose) is gone."""
    user = holder(session, text, purpose)
    session.execute(delete(EmailToken).where(EmailToken.user_id == user.id, EmailToken.purpose == purpose))
    return user


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
