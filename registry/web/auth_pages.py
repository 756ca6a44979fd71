"""Register, log in, log out. Passwords are hashed by registry.accounts; both forms are rate
limited per client address (config.login_rate_per_minute), and failed logins per account
(registry/web/throttle.py)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from registry import accounts
from registry.audit import audit
from registry.context import current_registry
from registry.errors import ApiError, bad_request
from registry.models import User
from registry.ratelimit import hit
from registry.web.blueprint import bp
from registry.web.forms import error_text, field, local_target
from registry.web.security import client_address, current_viewer, log_in, log_out
from registry.web.throttle import check_account_not_throttled, count_failed_login

MAX_NAME_LENGTH = 64
MAX_EMAIL_LENGTH = 254


def _next_target() -> str:
    raw = request.values.get("next", "")
    return local_target(raw, url_for("web.account"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    target = _next_target()
    if request.method == "GET":
        if current_viewer() is not None:
            return redirect(target, 303)
        return render_template("web/register.html", next=target, values={}, error=None)
    reg = current_registry()
    hit(reg.db, "register", client_address(), reg.config.login_rate_per_minute)
    values = {
        "name": request.form.get("name", "")[:MAX_NAME_LENGTH],
        "email": request.form.get("email", "")[:MAX_EMAIL_LENGTH],
    }
    try:
        user = _create_account()
    except ApiError as e:
        return render_template("web/register.html", next=target, values=values, error=error_text(e)), e.status
    log_in(user)
    flash(f"Welcome, {user.name}! Your account is ready.")
    return redirect(target, 303)


def _create_account() -> User:
    name = field("name", "The user name", limit=MAX_NAME_LENGTH, required=True).strip()
    email = field("email", "The email address", limit=MAX_EMAIL_LENGTH, required=True).strip()
    password = field("password", "The password", limit=accounts.MAX_PASSWORD_LENGTH, required=True)
    confirm = field("confirm", "The repeated password", limit=accounts.MAX_PASSWORD_LENGTH)
    if password != confirm:
        raise bad_request("the two passwords differ", hint="type the same password in both fields")
    with current_registry().db.write() as session:
        user = accounts.create_user(session, name, email, password)
        audit(session, user.name, "register", user.name, client_address())
    return user


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    target = _next_target()
    if request.method == "GET":
        if current_viewer() is not None:
            return redirect(target, 303)
        return render_template("web/login.html", next=target, name="", error=None)
    reg = current_registry()
    hit(reg.db, "login", client_address(), reg.config.login_rate_per_minute)
    name = request.form.get("name", "")[:MAX_NAME_LENGTH]
    try:
        field("name", "The user name", limit=MAX_NAME_LENGTH, required=True)
        password = field("password", "The password", limit=accounts.MAX_PASSWORD_LENGTH, required=True)
        check_account_not_throttled(name)
        try:
            with reg.db.read() as session:
                user = accounts.check_login(session, name.strip(), password)
        except ApiError:
            count_failed_login(name)
            raise
    except ApiError as e:
        if e.status == 429:
            raise
        # 401 without a WWW-Authenticate challenge: this is a form, not HTTP authentication.
        return render_template("web/login.html", next=target, name=name, error=error_text(e)), e.status
    log_in(user)
    flash(f"You are logged in as {user.name}.")
    return redirect(target, 303)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    log_out()
    flash("You are logged out.")
    return redirect(url_for("web.home"), 303)
