"""The account page: API tokens (created, shown once, revoked), signing keys, Sigstore
identities, the password, logging out everywhere, and the security changes made to the account.

Creating a token and adding a key or an identity need the account's password, typed
recently (registry/web/reauth.py), and each is told to the account holder (registry/notify.py).
"""

from __future__ import annotations

import re

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import accounts
from registry.audit import audit
from registry.context import current_registry
from registry.errors import ApiError, bad_request, not_found
from registry.models import ApiToken, User, utcnow
from registry.notify import notify_security_change, recent_notifications
from registry.permissions import DEFAULT_PERMISSIONS, DESCRIPTIONS, Permission, parse_permissions
from registry.ratelimit import hit
from registry.web.blueprint import bp
from registry.web.forms import error_text, field, whole_number
from registry.web.reauth import recently_confirmed, require_recent_password
from registry.web.security import Viewer, client_address, current_viewer, log_in, log_out, require_viewer
from registry.web.sessions import end_all_sessions
from registry.web.shown_once import keep_for_next_page, take
from sdk.errors import ManifestError
from sdk.names import check_name

DEFAULT_TOKEN_DAYS = 90
_NEW_TOKEN = "new_token"
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
            notifications=recent_notifications(session, user),
            now=utcnow(),
            form_errors=form_errors or {},
            drafts=drafts or {},
            default_token_days=DEFAULT_TOKEN_DAYS,
            permissions=[(p.value, DESCRIPTIONS[p]) for p in Permission],
            chosen_permissions=(drafts or {}).get("permissions", " ".join(DEFAULT_PERMISSIONS)).split(),
            password_recent=recently_confirmed(),
        )
    return Response(html, status=status, mimetype="text/html")


def _count_write() -> None:
    reg = current_registry()
    hit(reg.db, "write", client_address(), reg.config.write_rate_per_minute)


def _failed(viewer: Viewer, form: str, e: ApiError, drafts: dict[str, str]) -> Response:
    if e.status >= 500 or e.status == 429:
        raise e
    return account_page(viewer, status=e.status, form_errors={form: error_text(e)}, drafts=drafts)


def _site_url() -> str:
    return current_registry().config.public_url or request.host_url


def _notify(session: Session, user: User, kind: str, message: str) -> None:
    notify_security_change(session, current_registry().mailer, user, kind, message, _site_url())


def _confirm_password(viewer: Viewer) -> None:
    """The recent-password check, before any write transaction (a failure is counted in one)."""
    with current_registry().db.read() as session:
        user = session.get(User, viewer.id)
        assert user is not None
    require_recent_password(user)


@bp.post("/account/tokens")
def create_token() -> ResponseReturnValue:
    viewer = require_viewer()
    _count_write()
    drafts = {
        "description": field("description", "The description", limit=200),
        "plugins": field("plugins", "The plugin list", limit=2000),
        "expires_days": field("expires_days", "The expiry", limit=10),
        "permissions": " ".join(request.form.getlist("permissions")[: len(Permission)]),
    }
    try:
        names = _plugin_names(drafts["plugins"])
        days = whole_number("expires_days", "The expiry in days", low=1, high=3650, default=DEFAULT_TOKEN_DAYS)
        granted = parse_permissions(drafts["permissions"].split())
        _confirm_password(viewer)
        with current_registry().db.write() as session:
            user = session.get(User, viewer.id)
            assert user is not None
            text, token = accounts.create_token(
                session,
                user,
                plugins=names or None,
                permissions=granted,
                expires_days=days,
                description=drafts["description"].strip(),
            )
            audit(
                session,
                user.name,
                "create_token",
                token.prefix,
                client_address(),
                plugins=token.plugins,
                permissions=token.permissions,
                expires_days=days,
            )
            scope = ", ".join(token.plugins) if token.plugins else "all your plugins"
            _notify(
                session,
                user,
                "token_created",
                f"A new API token {token.prefix}… ({', '.join(token.permissions)} on {scope}) was created "
                f"from {client_address()}.",
            )
    except ApiError as e:
        return _failed(viewer, "token", e, drafts)
    # Post/redirect/get: a refresh of the token's page must not send the form again and
    # mint a second token. The text waits, sealed, in this session for the next page only.
    if keep_for_next_page(_NEW_TOKEN, text, token_id=token.id):
        return redirect(url_for("web.new_token"), 303)
    return _token_page(text, token)  # no session cookie to seal it with (not for a logged-in viewer)


@bp.get("/account/tokens/new")
def new_token() -> ResponseReturnValue:
    """The token just made, shown once: a second visit (a refresh) finds it gone."""
    viewer = current_viewer()
    if viewer is None:
        return redirect(url_for("web.login", next=url_for("web.account")), 303)
    kept = take(_NEW_TOKEN)
    token = None
    if kept is not None:
        with current_registry().db.read() as session:
            token = session.get(ApiToken, kept[1].get("token_id"))
    if kept is None or token is None or token.user_id != viewer.id:
        flash(
            "A new token is shown only once, on the page right after it is made. If you did not copy it, "
            "revoke it below and create another."
        )
        return redirect(url_for("web.account", _anchor="tokens"), 303)
    return _token_page(kept[0], token)


def _token_page(text: str, token: ApiToken) -> str:
    # The only time the token's text exists outside its owner's hands: this response (not cached).
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


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke a token of the account, after a confirm step (a page with one form, no
    JavaScript): a POST without `confirmed=yes` only leads to that page."""
    viewer = require_viewer()
    if request.method == "GET":
        return _confirm_revoke(viewer, token_id)
    if request.form.get("confirmed") != "yes":
        return redirect(url_for("web.revoke_token", token_id=token_id), 303)
    _count_write()
    with current_registry().db.write() as session:
        user = session.get(User, viewer.id)
        assert user is not None
        token = accounts.revoke_token(session, user, token_id)
        audit(session, user.name, "revoke_token", token.prefix, client_address())
        prefix = token.prefix
    flash(f"The token {prefix}… is revoked: it no longer works.")
    return redirect(url_for("web.account", _anchor="tokens"), 303)


def _confirm_revoke(viewer: Viewer, token_id: int) -> ResponseReturnValue:
    with current_registry().db.read() as session:
        token = session.get(ApiToken, token_id) if 0 < token_id <= accounts.MAX_ROW_ID else None
        if token is None or token.user_id != viewer.id:
            raise not_found(f"you have no token {token_id}")
        if token.revoked_at is not None:
            flash(f"The token {token.prefix}… is already revoked.")
            return redirect(url_for("web.account", _anchor="tokens"), 303)
        scope = ", ".join(token.plugins) if token.plugins else "all your plugins"
        explanation = [
            f"The token {token.prefix}…{' (' + token.description + ')' if token.description else ''} may "
            f"{', '.join(token.permissions)} on {scope}.",
            "Once revoked it stops working at once, for good: anything that publishes with it (a CI job, "
            "a script) fails until you give it a new token.",
        ]
    return render_template(
        "web/confirm.html",
        heading=f"Revoke the token {token.prefix}…?",
        explanation=explanation,
        action=url_for("web.revoke_token", token_id=token_id),
        button="Revoke the token",
        cancel=url_for("web.account", _anchor="tokens"),
        cancel_text="keep the token",
    )


@bp.post("/account/keys")
def add_key() -> ResponseReturnValue:
    viewer = require_viewer()
    _count_write()
    drafts = {"public_key": field("public_key", "The public key", limit=4000)}
    try:
        if not drafts["public_key"].strip():
            raise bad_request("paste a public key", hint="the line `acc plugin keygen` printed, or its .pub file")
        _confirm_password(viewer)
        with current_registry().db.write() as session:
            user = session.get(User, viewer.id)
            assert user is not None
            key = accounts.add_key(session, user, drafts["public_key"])
            audit(session, user.name, "add_key", key.key_id, client_address())
            _notify(
                session,
                user,
                "key_added",
                f"The signing key {key.key_id} was added to your account from {client_address()}: "
                "archives it signs can now be published as yours.",
            )
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
        _confirm_password(viewer)
        with current_registry().db.write() as session:
            user = session.get(User, viewer.id)
            assert user is not None
            row = accounts.add_identity(session, user, drafts["identity"], drafts["issuer"])
            audit(session, user.name, "add_identity", row.identity, client_address(), issuer=row.issuer)
            _notify(
                session,
                user,
                "identity_added",
                f"The Sigstore identity {row.identity} (issuer {row.issuer}) was added to your account from "
                f"{client_address()}: archives it signs can now be published as yours.",
            )
            identity = row.identity
    except ApiError as e:
        return _failed(viewer, "identity", e, drafts)
    flash(f"The Sigstore identity {identity} is on your account.")
    return redirect(url_for("web.account", _anchor="identities"), 303)


@bp.post("/account/password")
def change_password() -> ResponseReturnValue:
    """A new password: needs the current one; ends every session of the account (on every
    host) and continues in a new one."""
    viewer = require_viewer()
    _count_write()
    try:
        _confirm_current_password(viewer)
        password = field("new_password", "The new password", limit=accounts.MAX_PASSWORD_LENGTH, required=True)
        if password != field("confirm", "The repeated password", limit=accounts.MAX_PASSWORD_LENGTH):
            raise bad_request("the two new passwords differ", hint="type the same new password in both fields")
        with current_registry().db.write() as session:
            user = session.get(User, viewer.id)
            assert user is not None
            accounts.set_password(user, password)
            audit(session, user.name, "change_password", user.name, client_address())
            _notify(
                session,
                user,
                "password_changed",
                f"Your password was changed from {client_address()}; every other session of your account was "
                "logged out.",
            )
    except ApiError as e:
        return _failed(viewer, "password", e, {})
    end_all_sessions(current_registry(), viewer.id)
    log_in(user)
    flash("Your password is changed; every other session of your account was logged out.")
    return redirect(url_for("web.account", _anchor="password"), 303)


def _confirm_current_password(viewer: Viewer) -> None:
    """A password change always asks for the current password, recent login or not."""
    from registry.web.reauth import PASSWORD_FIELD, mark_confirmed
    from registry.web.throttle import check_account_not_throttled, count_failed_login

    current = field(PASSWORD_FIELD, "Your current password", limit=accounts.MAX_PASSWORD_LENGTH, required=True)
    with current_registry().db.read() as session:
        user = session.get(User, viewer.id)
        assert user is not None
    check_account_not_throttled(user.name)
    if not accounts.password_matches(user, current):
        count_failed_login(user.name)
        raise ApiError(401, "wrong_password", "that is not your current password", hint="type your current password")
    mark_confirmed()


@bp.post("/account/sessions/end")
def end_sessions() -> ResponseReturnValue:
    """Log out everywhere: every session of the account ends, this one included."""
    viewer = require_viewer()
    _count_write()
    with current_registry().db.write() as session:
        user = session.get(User, viewer.id)
        assert user is not None
        audit(session, user.name, "end_sessions", user.name, client_address())
        _notify(
            session, user, "sessions_ended", f"Every session of your account was logged out from {client_address()}."
        )
    ended = end_all_sessions(current_registry(), viewer.id)
    log_out()
    flash(f"You are logged out everywhere ({ended} session{'' if ended == 1 else 's'} ended).")
    return redirect(url_for("web.home"), 303)
