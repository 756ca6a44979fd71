"""Server-side web sessions: the cookie holds a random id, the session lives in the database.

Flask's default session is a signed cookie, so logging out cannot end it: a copied cookie
worked for its whole lifetime. Here the cookie is 256 random bits and the `web_sessions`
table (the registry's own database, shared by every worker and every host) holds the
session under the cookie's sha256. Ending a session deletes its row, after which the
cookie names nothing:

- logging out ends this session;
- logging in, and changing the password, end the session the request came with and start
  a new one (a session id chosen before login, by anyone, never becomes a logged-in one);
- a password change or reset, and "log out everywhere", end every session of the account.

Rows are written only when a session changes (a login, a flash message, a CSRF token for
a form), not on every request, and expire after `SESSION_MAX_AGE_SECONDS` whatever
happens (anonymous ones, which only carry a CSRF token or a message, after a day).
Flask-Login reads and writes the logged-in user through `flask.session` as usual;
Flask-WTF keeps its CSRF secret there. Data is serialized with Flask's own tagged JSON.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, select
from werkzeug.datastructures import CallbackDict

from registry.context import Registry
from registry.models import WebSession, utcnow

#: A login lasts this long, whatever happens in between.
SESSION_MAX_AGE_SECONDS = 14 * 24 * 3600
#: A session of nobody in particular (a CSRF token for the login form, a "logged out" message).
ANONYMOUS_MAX_AGE_SECONDS = 24 * 3600
#: Expired rows are deleted at most this often per process (and by `acc registry cleanup`).
_PURGE_EVERY_SECONDS = 60.0
_serializer = TaggedJSONSerializer()
#: The API takes bearer tokens and TUF is public: neither reads the session, so a browser's
#: cookie there costs no database read.
_SESSIONLESS_PREFIXES = ("/api/", "/tuf/")


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session of one request: a dict that knows its cookie value and whether it changed."""

    def __init__(self, data: dict[str, Any] | None = None, cookie: str | None = None, *, used: bool = True) -> None:
        def changed(_: Any) -> None:
            self.modified = True

        super().__init__(data or {}, changed)
        #: False for the API and TUF, which never depend on the session (Flask-Login still
        #: peeks at it after every request): their responses must not vary by cookie.
        self.used = used
        #: The cookie value naming this session's row; None until one is created.
        self.cookie = cookie
        self.modified = False
        #: Read during this request: the response then depends on the cookie (Vary: Cookie).
        self.accessed = False
        #: Set by `rotate`: the old row is deleted and the data saved under a new cookie.
        self.rotated = False

    def __getitem__(self, key: str) -> Any:
        self.accessed = self.used
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.accessed = self.used
        return super().get(key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.accessed = self.used
        return super().setdefault(key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = self.used
        return super().__contains__(key)

    def rotate(self) -> None:
        """End the session the request came with; whatever the session holds now is saved
        under a new id (none, if it is empty)."""
        self.rotated = True
        self.modified = True


def user_id_of(session: SessionMixin) -> int | None:
    """The logged-in account's id, as Flask-Login keeps it (`_user_id`, a string)."""
    value = session.get("_user_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class DatabaseSessionInterface(SessionInterface):
    """Flask's session interface, backed by the `web_sessions` table."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._purged_at = 0.0

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        if request.path.startswith(_SESSIONLESS_PREFIXES):
            return ServerSession(used=False)
        cookie = request.cookies.get(self.get_cookie_name(app), "")
        if not cookie or len(cookie) > 100:
            return ServerSession()
        with self.registry.db.read() as session:
            row = session.get(WebSession, _row_id(cookie))
            if row is None or row.expires_at <= utcnow():
                return ServerSession()
            try:
                data = _serializer.loads(row.data)
            except ValueError:
                return ServerSession()
        return ServerSession(data if isinstance(data, dict) else {}, cookie)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        name, domain, path = self.get_cookie_name(app), self.get_cookie_domain(app), self.get_cookie_path(app)
        if session.accessed:
            response.vary.add("Cookie")
        if not session.modified:
            return
        old = session.cookie if session.rotated else None
        if old is not None:
            session.cookie = None
        if not session:
            # Nothing left to keep: end the row (if any) and the cookie.
            ended = old or session.cookie
            if ended is not None:
                end_session(self.registry, ended)
                response.delete_cookie(name, domain=domain, path=path)
            return
        if old is not None:
            end_session(self.registry, old)
        fresh = session.cookie is None
        if fresh:
            session.cookie = secrets.token_urlsafe(32)
        self._store(session, fresh)
        response.set_cookie(
            name,
            session.cookie or "",
            httponly=self.get_cookie_httponly(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            domain=domain,
            path=path,
        )
        response.vary.add("Cookie")

    def _store(self, session: ServerSession, fresh: bool) -> None:
        assert session.cookie is not None
        now = utcnow()
        user_id = user_id_of(session)
        data = _serializer.dumps(dict(session))
        with self.registry.db.write() as db:
            row = None if fresh else db.get(WebSession, _row_id(session.cookie))
            if row is None:
                lifetime = SESSION_MAX_AGE_SECONDS if user_id is not None else ANONYMOUS_MAX_AGE_SECONDS
                db.add(
                    WebSession(
                        id=_row_id(session.cookie),
                        user_id=user_id,
                        data=data,
                        created_at=now,
                        expires_at=now + timedelta(seconds=lifetime),
                    )
                )
            else:
                row.data = data
                if row.user_id != user_id:
                    # Logged in or out without a rotation: the row now belongs to someone else.
                    row.user_id = user_id
                    row.created_at = now
                    lifetime = SESSION_MAX_AGE_SECONDS if user_id is not None else ANONYMOUS_MAX_AGE_SECONDS
                    row.expires_at = now + timedelta(seconds=lifetime)
            if time.monotonic() - self._purged_at > _PURGE_EVERY_SECONDS:
                self._purged_at = time.monotonic()
                db.execute(delete(WebSession).where(WebSession.expires_at <= now))


def end_session(registry: Registry, cookie: str) -> None:
    with registry.db.write() as session:
        session.execute(delete(WebSession).where(WebSession.id == _row_id(cookie)))


def end_all_sessions(registry: Registry, user_id: int) -> int:
    """End every session of account `user_id` (on every host); return how many there were."""
    with registry.db.write() as session:
        ids = session.execute(select(WebSession.id).where(WebSession.user_id == user_id)).scalars().all()
        session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return len(ids)


def purge_expired_sessions(registry: Registry, now: datetime | None = None) -> int:
    """Delete expired sessions (`acc registry cleanup`); return how many."""
    with registry.db.write() as session:
        result = session.execute(delete(WebSession).where(WebSession.expires_at <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)


def _row_id(cookie: str) -> str:
    # Only the hash is stored: a copy of the table (a backup) holds no usable cookie.
    return hashlib.sha256(cookie.encode()).hexdigest()
