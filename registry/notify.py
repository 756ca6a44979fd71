"""Telling an account holder about a security change on their account.

A new signing key, Sigstore identity or token, a new password, sessions ended: each is
shown on the account page (a `Notification` row, in the same transaction as the change)
and mailed to the account's address once the change commits. Whoever made the change,
the holder hears of it, so a stolen session or password cannot quietly add a signer.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db import after_commit
from registry.mailer import Mail, Mailer, send_quietly
from registry.models import Notification, User

#: How many notifications the account page lists, newest first.
SHOWN_ON_ACCOUNT_PAGE = 20


def notify_security_change(
    session: Session, mailer: Mailer, user: User, kind: str, message: str, site_url: str = ""
) -> None:
    """Record `message` for `user`'s account page and mail it to them after the commit."""
    session.add(Notification(user_id=user.id, kind=kind, message=message))
    where = f" at {site_url.rstrip('/')}/account" if site_url else ""
    mail = Mail(
        to=user.email,
        subject=f"Security change on your registry account {user.name}: {kind.replace('_', ' ')}",
        body=(
            f"Hello {user.name},\n\n{message}\n\n"
            f"If this was you, there is nothing to do. If it was not, log in{where}, change your "
            "password, revoke your API tokens and remove keys you do not know, and tell the "
            "registry's operator.\n"
        ),
    )
    send_after_commit(session, mailer, mail)


def send_after_commit(session: Session, mailer: Mailer, mail: Mail) -> None:
    """Mail `mail` once `session` commits (never for a change that was rolled back)."""
    after_commit(session, lambda: send_quietly(mailer, mail))


def recent_notifications(session: Session, user: User) -> list[Notification]:
    return list(
        session.execute(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.at.desc(), Notification.id.desc())
            .limit(SHOWN_ON_ACCOUNT_PAGE)
        ).scalars()
    )
