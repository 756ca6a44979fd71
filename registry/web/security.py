"""Who is logged in, CSRF, and the headers every page carries: Flask's kept extensions,
set up once in `init_web_security`.

- Flask-Login keeps the logged-in user (`login_user`, `logout_user`, `current_user`); the
  user is loaded from the database on each request, so a deleted or disabled account is
  logged out.
- Sessions are server-side (registry/web/sessions.py): logging out, a password change and
  "log out everywhere" end them for good, on every host.
- Flask-WTF's CSRFProtect checks every POST to the web pages: the session holds a random
  secret and each form echoes a token signed with the app's secret key. The JSON API is
  exempt (it takes bearer tokens, never cookies). Logging in starts a new session, so a
  token or session chosen before login never works after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from flask import Flask, Response, current_app, g, request, session
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from sqlalchemy.exc import SQLAlchemyError

from registry.accounts import check_enabled, is_enabled
from registry.admin_role import is_admin
from registry.context import current_registry
from registry.errors import ApiError
from registry.models import User
from registry.web.sessions import DatabaseSessionInterface, ServerSession

CSRF_FIELD = "csrf_token"
#: Only the registry's own script (copy buttons, an enhancement: every page works without it);
#: no inline or third-party scripts. README images may come from https hosts.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_csrf = CSRFProtect()


@dataclass(frozen=True)
class Viewer:
    """The logged-in user, as the pages need them (a plain value, safe after the session
    closes), and as Flask-Login needs them."""

    id: int
    name: str
    #: May moderate (only for showing the way to /admin/moderation: the page checks again).
    moderator: bool = False
    is_authenticated: ClassVar[bool] = True
    is_active: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False

    def get_id(self) -> str:
        return str(self.id)


def init_web_security(app: Flask) -> None:
    """Server-side sessions, Flask-Login and CSRF protection for `app` (the web blueprint's
    pages); the API and TUF blueprints are exempt from CSRF."""
    from registry.context import EXTENSION_KEY

    app.session_interface = DatabaseSessionInterface(app.extensions[EXTENSION_KEY])
    app.config.update(
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session: sessions expire on their own
        WTF_CSRF_FIELD_NAME=CSRF_FIELD,
    )
    login_manager = LoginManager()
    login_manager.session_protection = None  # sessions are server-side and end on logout
    login_manager.user_loader(_load_viewer)
    login_manager.init_app(app)

    @app.before_request
    def _cap_form_bodies() -> None:
        # Before CSRFProtect reads the form: werkzeug reads a urlencoded body whole, limited
        # only by max_content_length (sized for archive uploads); a web form needs far less.
        if request.blueprint == "web" and request.method == "POST":
            request.max_content_length = current_app.config["MAX_FORM_MEMORY_SIZE"]

    _csrf.init_app(app)
    for name in ("api", "tuf"):
        if name in app.blueprints:
            _csrf.exempt(app.blueprints[name])

    @app.errorhandler(CSRFError)
    def _csrf_failed(e: CSRFError) -> ResponseReturnValue:
        # Answered like every other refusal (registry/app.py's handler for ApiError).
        return app.handle_user_exception(
            ApiError(
                400,
                "csrf_failed",
                "this form was not sent from a page of this registry, or the page is out of date",
                hint="go back, reload the page and send the form again (cookies must be enabled)",
            )
        )


def client_address() -> str:
    return request.remote_addr or "unknown"


def current_viewer() -> Viewer | None:
    """The logged-in user of this request; None for visitors."""
    if "viewer" in g:  # set by log_in/log_out, or by the error page when the database failed
        cached: Viewer | None = g.viewer
        return cached
    user = current_user._get_current_object()
    return user if isinstance(user, Viewer) else None


def _load_viewer(user_id: str) -> Viewer | None:
    try:
        with current_registry().db.read() as db_session:
            user = db_session.get(User, int(user_id))
            # A disabled account's sessions were ended when it was disabled; one that raced
            # with that still resolves to nobody.
            if user is None or not is_enabled(user):
                return None
            return Viewer(id=user.id, name=user.name, moderator=is_admin(user))
    except (ValueError, SQLAlchemyError):
        # An error page for a failing database must still render: show it to a visitor.
        current_app.logger.exception("could not load the logged-in user")
        return None


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


def _server_session() -> ServerSession:
    current = session._get_current_object()  # type: ignore[attr-defined]
    assert isinstance(current, ServerSession), "init_web_security sets the session interface"
    return current


def log_in(user: User) -> None:
    """Start a fresh session for `user`: the old session ends, with its contents and CSRF secret."""
    from registry.web.reauth import mark_confirmed

    check_enabled(user)  # every way in (login, a confirmation or reset link) ends here
    fresh = _server_session()
    fresh.clear()
    fresh.rotate()
    viewer = Viewer(id=user.id, name=user.name, moderator=is_admin(user))
    login_user(viewer)
    g.viewer = viewer
    g.pop("csrf_token", None)  # Flask-WTF's per-request cache of the old session's token
    mark_confirmed()  # the password was just typed


def log_out() -> None:
    """End this session (its row is deleted: a copy of the cookie no longer works)."""
    logout_user()
    ended = _server_session()
    ended.clear()
    ended.rotate()
    g.viewer = None
    g.pop("csrf_token", None)


def csrf_token() -> str:
    """This session's CSRF token for a hidden field in a POST form (Flask-WTF's, signed)."""
    g.csrf_used = True
    return str(generate_csrf())


def add_security_headers(response: Response) -> None:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
