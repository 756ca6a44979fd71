"""The forms on a plugin's page: rate and review it (one review per account), report abuse."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from registry import catalog, community
from registry.context import current_registry
from registry.errors import ApiError
from registry.models import User
from registry.ratelimit import hit
from registry.web.blueprint import bp
from registry.web.catalog_pages import plugin_page
from registry.web.forms import error_text, field, whole_number
from registry.web.security import client_address, require_viewer


@bp.post("/plugins/<name>/review")
def review(name: str) -> ResponseReturnValue:
    viewer = require_viewer()
    reg = current_registry()
    hit(reg.db, "write", client_address(), reg.config.write_rate_per_minute)
    try:
        stars = whole_number("stars", "The rating", low=1, high=5)
        text = field("text", "The review", limit=community.MAX_REVIEW_LENGTH)
        with reg.db.write() as session:
            user = session.get(User, viewer.id)
            assert user is not None  # current_viewer() just loaded it
            community.save_review(session, user, catalog.get_plugin(session, name), stars, text, client_address())
    except ApiError as e:
        if e.status not in (400, 409):
            raise
        drafts = {
            "stars": request.form.get("stars", "")[:1],
            "text": request.form.get("text", "")[: community.MAX_REVIEW_LENGTH],
        }
        return plugin_page(name, status=e.status, form_errors={"review": error_text(e)}, drafts=drafts)
    flash("Your review is saved. Thank you!")
    return redirect(url_for("web.plugin", name=name, _anchor="reviews"), 303)


@bp.route("/plugins/<name>/review/delete", methods=["GET", "POST"])
def delete_review(name: str) -> ResponseReturnValue:
    """Delete your own review, after a confirm step (a page with one form, no JavaScript): a
    POST without `confirmed=yes` only leads to that page."""
    viewer = require_viewer()
    reg = current_registry()
    if request.method == "POST" and request.form.get("confirmed") == "yes":
        hit(reg.db, "write", client_address(), reg.config.write_rate_per_minute)
        with reg.db.write() as session:
            user = session.get(User, viewer.id)
            assert user is not None
            community.delete_review(session, user, catalog.get_plugin(session, name), client_address())
        flash("Your review is deleted.")
        return redirect(url_for("web.plugin", name=name, _anchor="reviews"), 303)
    if request.method == "POST":
        return redirect(url_for("web.delete_review", name=name), 303)
    with reg.db.read() as session:
        user = session.get(User, viewer.id)
        assert user is not None
        plugin = catalog.get_plugin(session, name)
        review = community.own_review(session, user, plugin)
        if review is None:
            flash(f"You have no review of {plugin.name} to delete.")
            return redirect(url_for("web.plugin", name=name, _anchor="reviews"), 303)
        explanation = [
            f"Your review gives {plugin.name} {review.stars} out of 5"
            + (f" and says: “{review.text}”" if review.text else "")
            + ".",
            "Deleting it removes your rating from the plugin's average too. You can rate the plugin again later.",
        ]
        plugin_name = plugin.name
    return render_template(
        "web/confirm.html",
        heading=f"Delete your review of {plugin_name}?",
        explanation=explanation,
        action=url_for("web.delete_review", name=plugin_name),
        button="Delete the review",
        cancel=url_for("web.plugin", name=plugin_name, _anchor="reviews"),
        cancel_text="keep the review",
    )


@bp.post("/plugins/<name>/report")
def report(name: str) -> ResponseReturnValue:
    viewer = require_viewer()
    reg = current_registry()
    hit(reg.db, "write", client_address(), reg.config.write_rate_per_minute)
    try:
        reason = field("reason", "The report", limit=community.MAX_REPORT_LENGTH, required=True)
        with reg.db.write() as session:
            community.report_plugin(
                session, session.get(User, viewer.id), catalog.get_plugin(session, name), reason, client_address()
            )
    except ApiError as e:
        if e.status != 400:
            raise
        drafts = {"reason": request.form.get("reason", "")[: community.MAX_REPORT_LENGTH]}
        return plugin_page(name, status=e.status, form_errors={"report": error_text(e)}, drafts=drafts)
    flash("Thank you: the registry's operators will look at your report.")
    return redirect(url_for("web.plugin", name=name), 303)
