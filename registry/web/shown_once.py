"""A secret shown once, on the page a form's POST redirects to (post/redirect/get).

A new API token is made by a POST; answering that POST with the token's page would make
a refresh send the form again and mint a second token. So the POST keeps the token in the
session and redirects; the next GET takes it out (shows it) and a refresh finds nothing.

The session lives in the database (registry/web/sessions.py), which keeps only a hash of
the session cookie. The secret is sealed (AES-GCM) with a key derived from the cookie
itself, so a copy of the sessions table (a backup, a database reader) holds no usable
token; only the browser that made it can open it, and only once.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import session

from registry.web.sessions import ServerSession

_SESSION_KEY = "shown_once"


def keep_for_next_page(purpose: str, secret: str, **context: Any) -> bool:
    """Keep `secret` (with JSON-able `context`) sealed in this session for the next
    `take(purpose)`; False when this request has no session cookie yet to seal it with."""
    cookie = _cookie()
    if cookie is None:
        return False
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key(cookie)).encrypt(nonce, secret.encode(), purpose.encode())
    session[_SESSION_KEY] = {
        "purpose": purpose,
        "nonce": base64.b64encode(nonce).decode(),
        "sealed": base64.b64encode(sealed).decode(),
        "context": context,
    }
    return True


def take(purpose: str) -> tuple[str, dict[str, Any]] | None:
    """The secret kept for `purpose` and its context, removed from the session; None when
    there is none (already shown), or it cannot be opened with this session's cookie."""
    kept = session.pop(_SESSION_KEY, None)
    cookie = _cookie()
    if not isinstance(kept, dict) or kept.get("purpose") != purpose or cookie is None:
        return None
    try:
        nonce = base64.b64decode(kept["nonce"], validate=True)
        sealed = base64.b64decode(kept["sealed"], validate=True)
        secret = AESGCM(_key(cookie)).decrypt(nonce, sealed, purpose.encode()).decode()
    except (KeyError, TypeError, ValueError, InvalidTag):
        return None
    context = kept.get("context")
    return secret, context if isinstance(context, dict) else {}


def _cookie() -> str | None:
    current = session._get_current_object()  # type: ignore[attr-defined]
    return current.cookie if isinstance(current, ServerSession) and not current.rotated else None


def _key(cookie: str) -> bytes:
    return hashlib.sha256(b"acc registry: shown once\0" + cookie.encode()).digest()
