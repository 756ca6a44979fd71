"""The account page: API tokens (created, shown once, revoked), signing keys, Sigstore identities."""

from __future__ import annotations

import re

from flask import Response, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from registry import accounts
from registry.audit import audit
from registry.context import current_registry
from registry.errors import ApiError, bad_request
from registry.models import ApiToken, User, utcnow
from registry.ratelimit import hit
from registry.web.blueprint import bp
from registry.web.forms import error_text, field, whole_number
from registry.web.security import Viewer, client_address, current_viewer, require_viewer
from sdk.errors import ManifestError
from sdk.names import check_name

DEFAULT_TOKEN_DAYS = 90
MAX_SCOPED_PLUGINS = 50


@bp.get("/account")
def account() -> ResponseReturnValue:
    viewer = current_viewer()
    if viewer is None:
        return redirect(url_for("web.login", next=url_for("web.account")), 303)
    return account_page(viewer)


def account_page(
    viewer: Viewer,
    *,
    status: int = 200,
    form_errors: dict[str, str] | None = None,
    drafts: dict[str, str] | None = None,
) -> Response:
    with current_registry().db.read() as session:
        user = session.get(User, viewer.id)
        assert user is not None
        tokens = (
            session.execute(
                select(ApiToken)
                .where(ApiToken.user_id == user.id)
                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
            )
            .scalars()
            .all()
        )
        html = render_template(
            "web/account.html",
            user=user,
            tokens=tokens,
            now=utcnow(),
            form_errors=form_errors or {},
            drafts=drafts or {},
            default_token_days=DEFAULT_TOKEN_DAYS,
        )
    return Response(html, status=status, mimetype="text/html")


def _count_write() -> None:
    reg = current_registry()
    hit(reg.db, "write", client_address(), reg.config.write_rate_per_minute)


def _failed(viewer: Viewer, form: str, e: ApiError, drafts: dict[str, str]) -> Response:
    if e.status >= 500 or e.status == 429:
        raise e
    return account_page(viewer, status=e.status, form_errors={form: error_text(e)}, drafts=drafts)


@bp.post("/account/tokens")
def create_token() -> ResponseReturnValue:
    viewer = require_viewer()
    _count_write()
    drafts = {
        "description": field("description", "The description", limit=200),
        "plugins": field("plugins", "The plugin list", limit=2000),
        "expires_days": field("expires_days", "The expiry", limit=10),
    }
    try:
        names = _plugin_names(drafts["plugins"])
        days = whole_number("expires_days", "The expiry in days", low=1, high=3650, default=DEFAULT_TOKEN_DAYS)
        with current_registry().db.write() as session:
            user = session.get(User, viewer.id)
            assert user is not None
            text, token = accounts.create_token(
                session, user, plugins=names or None, expires_days=days, description=drafts["description"].strip()
            )
            audit(
                session,
                user.name,
                "create_token",
                token.prefix,
                client_address(),
                plugins=token.plugins,
                expires_days=days,
            )
    except ApiError as e:
        return _failed(viewer, "token", e, drafts)
    # The only time the token's text exists outside its owner's hands: this response, not stored, not cached.
    return render_template("web/token_created.html", token_text=text, token=token)


def _plugin_names(text: str) -> list[str]:
    names = sorted({n for n in re.split(r"[\s,]+", text) if n})
    if len(names) > MAX_SCOPED_PLUGINS:
        raise bad_request(f"a token may be scoped to at most {MAX_SCOPED_PLUGINS} plugins")
    for name in names:
        try:
            check_name(name)
        except ManifestError as e:
            raise bad_request(e.message, hint="separate plugin names with commas or spaces") from e
    return names


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int) -> ResponseReturnValue:
    viewer = require_viewer()
    _count_write()
    with current_registry().db.write() as session:
        user = session.get(User, viewer.id)
        assert user is not None
        token = accounts.revoke_token(session, user, token_id)
        audit(session, user.name, "revoke_token", token.prefix, client_address())
        prefix = token.prefix
    flash(f"The token {prefix}… is revoked: it no longer works.")
    return redirect(url_for("web.account", _anchor="tokens"), 303)


@bp.post("/account/keys")
def add_key() -> ResponseReturnValue:
    viewer = require_viewer()
    _count_write()
    drafts = {"public_key": field("public_key", "The public key", limit=4000)}
    try:
        if not drafts["public_key"].strip():
            raise bad_request("paste a public key", hint="the line `acc plugin keygen` printed, or its .pub file")
        with current_registry().db.write() as session:
            user = session.get(User, viewer.id)
            assert user is not None
            key = accounts.add_key(session, user, drafts["public_key"])
            audit(session, user.name, "add_key", key.key_id, client_address())
            key_id = key.key_id
    except ApiError as e:
        return _failed(viewer, "key", e, drafts)
    flash(f"The key {key_id} is on your account: archives it signs can be published.")
    return redirect(url_for("web.account", _anchor="keys"), 303)


@bp.post("/account/identities")
def add_identity() -> ResponseReturnValue:
    viewer = require_viewer()
    _count_write()
    drafts = {
        "identity": field("identity", "The identity", limit=254),
        "issuer": field("issuer", "The issuer", limit=254),
    }
    try:
        with current_registry().db.write() as session:
            user = session.get(User, viewer.id)
            assert user is not None
            row = accounts.add_identity(session, user, drafts["identity"], drafts["issuer"])
            audit(session, user.name, "add_identity", row.identity, client_address(), issuer=row.issuer)
            identity = row.identity
    except ApiError as e:
        return _failed(viewer, "identity", e, drafts)
    flash(f"The Sigstore identity {identity} is on your account.")
    return redirect(url_for("web.account", _anchor="identities"), 303)
