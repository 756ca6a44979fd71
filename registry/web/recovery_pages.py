"""Password reset by a mailed link. Asking for one answers the same whether or not the
address belongs to an account; following it sets a new password, confirms the address,
ends every session of the account and logs in afresh."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from registry import accounts, email_links
from registry.audit import audit
from registry.context import current_registry
from registry.errors import ApiError, bad_request
from registry.mailer import Mail
from registry.models import utcnow
from registry.notify import notify_security_change, send_after_commit
from registry.ratelimit import hit
from registry.web.auth_pages import MAX_EMAIL_LENGTH, site_url
from registry.web.blueprint import bp
from registry.web.forms import error_text, field
from registry.web.security import client_address, log_in
from registry.web.sessions import end_all_sessions


@bp.route("/reset", methods=["GET", "POST"])
def reset_request() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("web/reset_request.html", email="", error=None)
    reg = current_registry()
    hit(reg.db, "reset", client_address(), reg.config.login_rate_per_minute)
    email = request.form.get("email", "")[:MAX_EMAIL_LENGTH]
    try:
        email = field("email", "The email address", limit=MAX_EMAIL_LENGTH, required=True).strip()
    except ApiError as e:
        return render_template("web/reset_request.html", email=email, error=error_text(e)), e.status
    with reg.db.write() as session:
        owner = accounts.email_owner(session, email)
        if owner is not None:
            token = email_links.issue(session, owner, email_links.RESET)
            link = f"{site_url()}{url_for('web.reset_password', token=token)}"
            body = (
                f"Hello {owner.name},\n\nfollow this link within an hour to choose a new password:\n\n{link}\n\n"
                "If you did not ask for it, ignore this mail: your password stays as it is.\n"
            )
            audit(session, "anonymous", "reset_requested", owner.name, client_address())
            send_after_commit(session, reg.mailer, Mail(owner.email, "Reset your registry password", body))
    # The same page whether or not the address is registered.
    return render_template("web/check_email.html", email=email, reason="reset")


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    reg = current_registry()
    with reg.db.read() as session:
        name = email_links.holder(session, token, email_links.RESET).name
    if request.method == "GET":
        return render_template("web/reset_password.html", token=token, name=name, error=None)
    hit(reg.db, "reset", client_address(), reg.config.login_rate_per_minute)
    try:
        password = field("password", "The new password", limit=accounts.MAX_PASSWORD_LENGTH, required=True)
        if password != field("confirm", "The repeated password", limit=accounts.MAX_PASSWORD_LENGTH):
            raise bad_request("the two passwords differ", hint="type the same password in both fields")
        accounts.check_password_strength(password)
    except ApiError as e:
        return render_template("web/reset_password.html", token=token, name=name, error=error_text(e)), e.status
    with reg.db.write() as session:
        user = email_links.redeem(session, token, email_links.RESET)
        accounts.set_password(user, password)
        if user.email_confirmed_at is None:
            user.email_confirmed_at = utcnow()  # the link proved the address
        audit(session, user.name, "reset_password", user.name, client_address())
        notify_security_change(
            session,
            reg.mailer,
            user,
            "password_reset",
            f"Your password was reset through the link mailed to you, from {client_address()}; every "
            "session of your account was logged out.",
            site_url(),
        )
    end_all_sessions(reg, user.id)
    log_in(user)
    flash("Your new password is set; every other session of your account was logged out.")
    return redirect(url_for("web.account"), 303)
