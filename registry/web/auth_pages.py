"""Register (confirmed by a mailed link), log in, log out.

Registration never says whether an email address is registered: a new address gets a
confirmation link, a registered one gets a note that someone tried (with how to log in or
reset the password), and both answers are the same page. The account logs in once its
link is followed. User names are public (publisher pages), so a taken name is said.

Passwords are hashed by registry.accounts; the forms are rate limited per client address
(config.login_rate_per_minute), and failed logins per account (registry/web/throttle.py).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.security import generate_password_hash

from registry import accounts, email_links
from registry.audit import audit
from registry.context import current_registry
from registry.errors import ApiError, bad_request, conflict
from registry.mailer import Mail
from registry.notify import send_after_commit
from registry.ratelimit import hit
from registry.web.blueprint import bp
from registry.web.forms import FormProblems, error_text, field, local_target
from registry.web.security import client_address, current_viewer, log_in, log_out
from registry.web.throttle import check_account_not_throttled, count_failed_login

MAX_NAME_LENGTH = 64
MAX_EMAIL_LENGTH = 254


def _next_target() -> str:
    raw = request.values.get("next", "")
    return local_target(raw, url_for("web.account"))


def site_url() -> str:
    return (current_registry().config.public_url or request.host_url).rstrip("/")


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    target = _next_target()
    if request.method == "GET":
        if current_viewer() is not None:
            return redirect(target, 303)
        return render_template("web/register.html", next=target, values={}, errors={})
    reg = current_registry()
    hit(reg.db, "register", client_address(), reg.config.login_rate_per_minute)
    values = {
        "name": request.form.get("name", "")[:MAX_NAME_LENGTH],
        "email": request.form.get("email", "")[:MAX_EMAIL_LENGTH],
    }
    try:
        email = _register(target)
    except FormProblems as problems:
        return render_template("web/register.html", next=target, values=values, errors=problems.by_field), (
            problems.status
        )
    return render_template("web/check_email.html", email=email, reason="register")


def _register(target: str) -> str:
    """Create the pending account and mail its link, or mail the address's owner; return the
    address. Every problem with the form is found before refusing (FormProblems), so the
    page shows them all at once."""
    problems = FormProblems()
    name = problems.check("name", _user_name_field)
    email = problems.check("email", _email_field)
    password = problems.check(
        "password", lambda: field("password", "The password", limit=accounts.MAX_PASSWORD_LENGTH, required=True)
    )
    if password is not None:
        problems.check("password", lambda: accounts.check_password_strength(password))
    confirm = problems.check(
        "confirm", lambda: field("confirm", "The repeated password", limit=accounts.MAX_PASSWORD_LENGTH)
    )
    if password is not None and confirm is not None and password != confirm:
        problems.add("confirm", bad_request("the two passwords differ", hint="type the same password in both fields"))
    reg = current_registry()
    if name is not None:
        with reg.db.read() as session:
            if accounts.name_taken(session, name):  # said: names are public (publisher pages)
                problems.add("name", _name_taken())
    if problems or name is None or email is None or password is None:
        raise problems
    with reg.db.write() as session:
        owner = accounts.email_owner(session, email)
        if owner is None:
            try:
                user = accounts.create_user(session, name, email, password, confirmed=False)
            except ApiError as e:  # registered a moment ago by someone else
                problems.add("name", e)
                raise problems from e
            token = email_links.issue(session, user, email_links.CONFIRM)
            link = f"{site_url()}{url_for('web.confirm_email', token=token, next=target)}"
            audit(session, user.name, "register", user.name, client_address())
            body = (
                f"Hello {name},\n\nfollow this link within two days to confirm your address and log in:\n\n"
                f"{link}\n\nIf you did not register, ignore this mail: no account is made without the link.\n"
            )
            send_after_commit(session, reg.mailer, Mail(email, "Confirm your registry account", body))
            return email
        # A registered address is never said: its owner is told instead, and the page is the same.
        generate_password_hash(password)  # spend what the other path spends on hashing
        reset = f"{site_url()}{url_for('web.reset_request')}"
        body = (
            f"Hello,\n\nsomeone (you?) tried to register a new account with this address, which already "
            f"belongs to the account {owner.name}. No new account was made.\n\nIf it was you, log in as "
            f"{owner.name}, or reset your password at {reset}\n"
        )
        audit(session, "anonymous", "register_existing_email", owner.name, client_address())
        send_after_commit(session, reg.mailer, Mail(owner.email, "Registration attempt with your address", body))
        return email


def _user_name_field() -> str:
    name = field("name", "The user name", limit=MAX_NAME_LENGTH, required=True).strip()
    accounts.check_user_name(name)
    return name


def _email_field() -> str:
    email = field("email", "The email address", limit=MAX_EMAIL_LENGTH, required=True).strip()
    accounts.check_email(email)
    return email


def _name_taken() -> ApiError:
    return conflict(
        "the name is already registered", code="account_exists", hint="log in instead, or choose another name"
    )


@bp.get("/confirm/<token>")
def confirm_email(token: str) -> ResponseReturnValue:
    """The link mailed at registration: confirms the address and logs the account in."""
    from registry.models import utcnow

    with current_registry().db.write() as session:
        user = email_links.redeem(session, token, email_links.CONFIRM)
        user.email_confirmed_at = utcnow()
        audit(session, user.name, "confirm_email", user.email, client_address())
    log_in(user)
    flash(f"Welcome, {user.name}! Your account is ready.")
    return redirect(_next_target(), 303)


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
        except ApiError as e:
            if e.status == 401:
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
