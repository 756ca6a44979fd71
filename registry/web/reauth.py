"""Recent password confirmation ("sudo mode") for changes to an account's security.

Adding a signing key or a Sigstore identity, creating an API token and changing the
password need the account's password, typed within the last `REAUTH_SECONDS` (logging in
counts). A stolen session cookie alone cannot register its thief's key, and an API token
never can (registry.api_auth refuses those endpoints to every token). The forms carry a
password field while no recent confirmation exists; a wrong password counts against the
account's login throttle like a failed login.
"""

from __future__ import annotations

import time

from flask import session

from registry import accounts
from registry.errors import ApiError
from registry.models import User
from registry.web.forms import field

REAUTH_SECONDS = 10 * 60
PASSWORD_FIELD = "current_password"
_CONFIRMED_AT = "password_confirmed_at"


def recently_confirmed() -> bool:
    """Did this session's user type their password within the last REAUTH_SECONDS?"""
    confirmed = session.get(_CONFIRMED_AT)
    return isinstance(confirmed, int | float) and 0 <= time.time() - confirmed <= REAUTH_SECONDS


def mark_confirmed() -> None:
    session[_CONFIRMED_AT] = int(time.time())


def require_recent_password(user: User) -> None:
    """Refuse (401 `password_required`) unless the password was confirmed recently or the form
    carries it now; a correct password starts a new confirmation period."""
    if recently_confirmed():
        return
    from registry.web.throttle import check_account_not_throttled, count_failed_login

    password = field(PASSWORD_FIELD, "Your password", limit=accounts.MAX_PASSWORD_LENGTH)
    if not password:
        raise ApiError(
            401,
            "password_required",
            "this change to your account needs your password",
            hint="type your password in the form and send it again",
        )
    check_account_not_throttled(user.name)
    if not accounts.password_matches(user, password):
        count_failed_login(user.name)
        raise ApiError(401, "wrong_password", "that is not your password", hint="type your current password")
    mark_confirmed()
