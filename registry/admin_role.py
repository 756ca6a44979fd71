"""Who the registry's moderators are: accounts with `users.is_admin`, set by the operator.

An admin may read abuse reports and close them, remove reviews, and take plugins down or
restore them (registry.moderation, registry.takedown), on the web at /admin/moderation.
Only the operator makes admins (`acc registry admin grant NAME`): no web page can.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts import get_user, is_enabled
from registry.audit import audit
from registry.models import User


def is_admin(user: User | None) -> bool:
    """May `user` moderate: an admin whose account is not disabled."""
    return user is not None and bool(user.is_admin) and is_enabled(user)


def set_admin(session: Session, name: str, admin: bool, actor: str, remote_addr: str) -> bool:
    """Make `name` an admin (or not); False if it already was (or was not): nothing changed."""
    user = get_user(session, name)
    if bool(user.is_admin) == admin:
        return False
    user.is_admin = admin
    audit(session, actor, "grant_admin" if admin else "revoke_admin", name, remote_addr)
    return True


def admins(session: Session) -> list[User]:
    """Every admin account, by name."""
    return list(session.execute(select(User).where(User.is_admin.is_(True)).order_by(User.name)).scalars())
