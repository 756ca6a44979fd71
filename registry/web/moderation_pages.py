"""/admin/moderation: the admins' page (registry.admin_role) for abuse reports, reviews and
take-downs (registry.moderation, registry.takedown).

Anyone else, logged in or not, gets the same 404 as for a page that does not exist: the
page's existence is not advertised to people probing for admin URLs, and there is nothing
a non-admin could do about a 403 anyway (the role is given by the operator only).

Every action is a POST form (CSRF-checked like every form) with a confirmation step that
needs no JavaScript: the first POST answers with a page that says what will happen and
carries the same fields, plus `confirmed=yes`, to a second button; only that second POST
acts. Then post/redirect/get back to the page, with a flashed message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound

from registry import moderation, takedown
from registry.admin_role import is_admin
from registry.context import Registry, current_registry
from registry.errors import ApiError
from registry.models import User
from registry.ratelimit import hit
from registry.web.blueprint import bp
from registry.web.forms import error_text, field, whole_number
from registry.web.security import client_address, current_viewer

NAME_LIMIT = 100


@dataclass(frozen=True)
class Action:
    """One moderation action: the confirmation page's wording and its form's fields."""

    question: str
    button: str
    fields: dict[str, str]
    details: list[tuple[str, str]]


def require_admin() -> str:
    """The logged-in admin's name; for anyone else the same 404 as an unknown URL."""
    viewer = current_viewer()
    if viewer is not None:
        with current_registry().db.read() as session:
            if is_admin(session.get(User, viewer.id)):
                return viewer.name
    raise NotFound()


@bp.get("/admin/moderation")
def moderation_page() -> Response:
    require_admin()
    return _page()


def _page(error: str = "", status: int = 200) -> Response:
    with current_registry().db.read() as session:
        html = render_template(
            "web/moderation.html",
            reports=moderation.reports(session),
            reviews=moderation.recent_reviews(session, limit=50),
            taken_down=takedown.taken_down(session),
            error=error,
        )
    return Response(html, status=status, mimetype="text/html")


@bp.post("/admin/moderation/<action>")
def moderate(action: str) -> ResponseReturnValue:
    admin = require_admin()
    handler = _ACTIONS.get(action)
    if handler is None:
        raise NotFound()
    reg = current_registry()
    hit(reg.db, "write", client_address(), reg.config.write_rate_per_minute)
    try:
        outcome = handler(reg, admin)
    except ApiError as e:
        if e.status not in (400, 404, 409):
            raise
        return _page(error_text(e), status=e.status)
    if isinstance(outcome, Action):
        return _confirm(action, outcome)
    flash(outcome)
    return redirect(url_for("web.moderation_page"), 303)


# Each action reads its fields; unconfirmed, it answers what to ask (an Action); confirmed,
# it acts as `admin` and answers the message to show.


def _close_report(reg: Registry, admin: str) -> Action | str:
    report_id = whole_number("report_id", "The report", low=1, high=2**31 - 1)
    resolution = field("resolution", "The resolution", limit=moderation.MAX_RESOLUTION_LENGTH, required=True)
    if not _confirmed():
        return Action(
            f"Close report {report_id}?",
            "Yes, close the report",
            {"report_id": str(report_id), "resolution": resolution},
            [("Resolution", resolution)],
        )
    with reg.db.write() as session:
        closed = moderation.close_report(session, report_id, resolution, admin, client_address())
    return f"Report {closed.id} on {closed.plugin} is closed."


def _remove_review(reg: Registry, admin: str) -> Action | str:
    plugin = field("plugin", "The plugin", limit=NAME_LIMIT, required=True)
    user = field("user", "The reviewer", limit=NAME_LIMIT, required=True)
    reason = field("reason", "The reason", limit=moderation.MAX_REMOVAL_REASON_LENGTH, required=True)
    if not _confirmed():
        return Action(
            f"Remove {user}'s review of {plugin}?",
            "Yes, remove the review",
            {"plugin": plugin, "user": user, "reason": reason},
            [("Reason", reason), ("Then", f"{plugin}'s rating is counted again without it.")],
        )
    with reg.db.write() as session:
        moderation.remove_review(session, plugin, user, reason, admin, client_address())
    return f"{user}'s review of {plugin} is removed."


def _take_down(reg: Registry, admin: str) -> Action | str:
    plugin = field("plugin", "The plugin", limit=NAME_LIMIT, required=True).strip()
    reason = field("reason", "The reason", limit=takedown.MAX_TAKEDOWN_REASON, required=True)
    if not _confirmed():
        return Action(
            f"Take {plugin} down?",
            f"Yes, take {plugin} down",
            {"plugin": plugin, "reason": reason},
            [
                ("Reason", reason),
                (
                    "Then",
                    "every version is yanked with this reason in the signed metadata (acc refuses to install or "
                    "update to it), it leaves search and every listing, and its name stays reserved.",
                ),
            ],
        )
    yanked = takedown.take_down(reg, plugin, reason, admin, client_address())
    return f"{plugin} is taken down (versions yanked: {', '.join(yanked) or 'none'})."


def _restore(reg: Registry, admin: str) -> Action | str:
    plugin = field("plugin", "The plugin", limit=NAME_LIMIT, required=True).strip()
    if not _confirmed():
        return Action(
            f"Restore {plugin}?",
            f"Yes, restore {plugin}",
            {"plugin": plugin},
            [("Then", "the versions the take-down yanked are un-yanked, and it is listed again.")],
        )
    restored = takedown.restore(reg, plugin, admin, client_address())
    return f"{plugin} is restored (versions un-yanked: {', '.join(restored) or 'none'})."


_ACTIONS: dict[str, Callable[[Registry, str], Action | str]] = {
    "close-report": _close_report,
    "remove-review": _remove_review,
    "take-down": _take_down,
    "restore": _restore,
}


def _confirmed() -> bool:
    return request.form.get("confirmed") == "yes"


def _confirm(action: str, what: Action) -> str:
    return render_template(
        "web/moderation_confirm.html",
        action_url=url_for("web.moderate", action=action),
        what=what,
    )
