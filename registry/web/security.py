"""Who is logged in, CSRF tokens, and the headers every page carries.

The session is Flask's signed cookie (HttpOnly, SameSite=Lax, Secure per config). It
holds the user's id, when they logged in, and a per-session CSRF token that every POST
form echoes back in a hidden field. Logging in clears the session and issues a new
token, so nothing chosen before login (by anyone) survives into the logged-in session.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

from flask import Response, current_app, g, request, session
from sqlalchemy.exc import SQLAlchemyError

from registry.context import current_registry
from registry.errors import ApiError
from registry.models import User

CSRF_FIELD = "csrf_token"
#: A login lasts this long, whatever the cookie's own lifetime.
SESSION_MAX_AGE_SECONDS = 14 * 24 * 3600
#: Only the registry's own script (copy buttons, an enhancement: every page works without it);
#: no inline or third-party scripts. README images may come from https hosts.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@dataclass(frozen=True)
class Viewer:
    """The logged-in user, as the pages need them (a plain value, safe after the session closes)."""

    id: int
    name: str


def client_address() -> str:
    return request.remote_addr or "unknown"


def current_viewer() -> Viewer | None:
    """The logged-in user of this request, loaded once; None for visitors."""
    if "viewer" not in g:
        g.viewer = _load_viewer()
    viewer: Viewer | None = g.viewer
    return viewer


def _load_viewer() -> Viewer | None:
    user_id, logged_in_at = session.get("user_id"), session.get("logged_in_at")
    if not isinstance(user_id, int) or not isinstance(logged_in_at, int | float):
        return None
    if time.time() - logged_in_at > SESSION_MAX_AGE_SECONDS:
        session.clear()
        return None
    try:
        with current_registry().db.read() as db_session:
            user = db_session.get(User, user_id)
            viewer = Viewer(id=user.id, name=user.name) if user is not None else None
    except SQLAlchemyError:
        # An error page for a failing database must still render: show it to a visitor.
        current_app.logger.exception("could not load the logged-in user")
        return None
    if viewer is None:
        session.clear()  # the account is gone
    return viewer


def require_viewer() -> Viewer:
    viewer = current_viewer()
    if viewer is None:
        raise ApiError(
            401,
            "login_required",
            "you need to be logged in to do this",
            hint="log in (or register) and send the form again",
        )
    return viewer


def log_in(user: User) -> None:
    """Start a fresh session for `user`: the old session's contents and CSRF token are dropped."""
    session.clear()
    session["user_id"] = user.id
    session["logged_in_at"] = int(time.time())
    session[CSRF_FIELD] = secrets.token_urlsafe(32)
    g.viewer = Viewer(id=user.id, name=user.name)


def log_out() -> None:
    session.clear()
    g.viewer = None


def csrf_token() -> str:
    """This session's CSRF token (created on first use), for a hidden field in a POST form."""
    g.csrf_used = True
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str) or not token:
        token = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    """Refuse a POST whose form does not carry this session's CSRF token."""
    expected = session.get(CSRF_FIELD)
    sent = request.form.get(CSRF_FIELD, "")
    if (
        not isinstance(expected, str)
        or not expected
        or not sent
        or not hmac.compare_digest(sent.encode(), expected.encode())
    ):
        raise ApiError(
            400,
            "csrf_failed",
            "this form was not sent from a page of this registry, or the page is out of date",
            hint="go back, reload the page and send the form again (cookies must be enabled)",
        )


def add_security_headers(response: Response) -> None:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
