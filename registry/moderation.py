"""What moderators read and do besides take-downs (registry.takedown): abuse reports and reviews.

The same functions serve the web page (/admin/moderation, an admin's name as the actor)
and the operator's CLI (`acc registry moderate`, actor "operator"); every write is audited
in the caller's transaction. Rows come back as plain values (`ReportRow`, `ReviewRow`), so
the page and the CLI print them after the session closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from registry.audit import audit
from registry.community import recount_rating
from registry.errors import bad_request, conflict, not_found
from registry.models import AbuseReport, Plugin, Review, User, utcnow

MAX_RESOLUTION_LENGTH = 2000
MAX_REMOVAL_REASON_LENGTH = 2000
#: How many rows a list shows at most (the newest).
LIST_LIMIT = 200


@dataclass(frozen=True)
class ReportRow:
    id: int
    plugin: str
    reporter: str  # "anonymous" when the account is gone or there was none
    reason: str
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "plugin": self.plugin,
            "reporter": self.reporter,
            "reason": self.reason,
            "created_at": iso(self.created_at),
            "resolved_at": iso(self.resolved_at) if self.resolved_at else None,
            "resolved_by": self.resolved_by,
            "resolution": self.resolution,
        }


@dataclass(frozen=True)
class ReviewRow:
    id: int
    plugin: str
    user: str
    stars: int
    text: str
    updated_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "plugin": self.plugin,
            "user": self.user,
            "stars": self.stars,
            "text": self.text,
            "updated_at": iso(self.updated_at),
        }


def iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def reports(session: Session, *, include_closed: bool = False, limit: int = LIST_LIMIT) -> list[ReportRow]:
    """Abuse reports, oldest first (the open ones only, unless `include_closed`)."""
    reporter = aliased(User)
    query = (
        select(AbuseReport, Plugin.name, reporter.name)
        .join(Plugin, Plugin.id == AbuseReport.plugin_id)
        .outerjoin(reporter, reporter.id == AbuseReport.reporter_id)
        .order_by(AbuseReport.created_at, AbuseReport.id)
        .limit(limit)
    )
    if not include_closed:
        query = query.where(AbuseReport.resolved_at.is_(None))
    return [
        ReportRow(
            id=r.id,
            plugin=plugin,
            reporter=name or "anonymous",
            reason=r.reason,
            created_at=r.created_at,
            resolved_at=r.resolved_at,
            resolved_by=r.resolved_by,
            resolution=r.resolution,
        )
        for r, plugin, name in session.execute(query)
    ]


def close_report(session: Session, report_id: int, resolution: str, actor: str, remote_addr: str) -> ReportRow:
    """Close the open report `report_id`, saying what was done about it."""
    resolution = resolution.strip()
    if not resolution:
        raise bad_request("say what was done about the report", hint="for example: taken down, or: not abuse")
    if len(resolution) > MAX_RESOLUTION_LENGTH:
        raise bad_request(f"the resolution is longer than {MAX_RESOLUTION_LENGTH} characters")
    report = session.get(AbuseReport, report_id)
    if report is None:
        raise not_found(f"no abuse report {report_id}", hint="list the open ones: `acc registry moderate reports`")
    if report.resolved_at is not None:
        raise conflict(
            f"report {report_id} was already closed by {report.resolved_by}: {report.resolution}",
            code="already_closed",
        )
    report.resolved_at, report.resolved_by, report.resolution = utcnow(), actor, resolution
    plugin = session.get(Plugin, report.plugin_id)
    assert plugin is not None  # the foreign key cascades
    audit(session, actor, "close_report", f"{report_id} {plugin.name}", remote_addr, resolution=resolution)
    session.flush()
    return _report_row(session, report)


def _report_row(session: Session, report: AbuseReport) -> ReportRow:
    plugin = session.get(Plugin, report.plugin_id)
    reporter = session.get(User, report.reporter_id) if report.reporter_id is not None else None
    return ReportRow(
        id=report.id,
        plugin=plugin.name if plugin else "",
        reporter=reporter.name if reporter else "anonymous",
        reason=report.reason,
        created_at=report.created_at,
        resolved_at=report.resolved_at,
        resolved_by=report.resolved_by,
        resolution=report.resolution,
    )


def recent_reviews(session: Session, *, plugin: str | None = None, limit: int = LIST_LIMIT) -> list[ReviewRow]:
    """Reviews, the most recently written or edited first (of `plugin` only, if named)."""
    query = (
        select(Review, Plugin.name, User.name)
        .join(Plugin, Plugin.id == Review.plugin_id)
        .join(User, User.id == Review.user_id)
        .order_by(Review.updated_at.desc(), Review.id.desc())
        .limit(limit)
    )
    if plugin is not None:
        query = query.where(Plugin.name == plugin)
    return [
        ReviewRow(id=r.id, plugin=p, user=u, stars=r.stars, text=r.text, updated_at=r.updated_at)
        for r, p, u in session.execute(query)
    ]


def remove_review(
    session: Session, plugin_name: str, user_name: str, reason: str, actor: str, remote_addr: str
) -> ReviewRow:
    """Remove `user_name`'s review of `plugin_name`; the plugin's rating is computed again
    from the reviews that remain. The audit entry keeps the review's stars and text."""
    reason = reason.strip()
    if not reason:
        raise bad_request("say why the review is removed", hint="for example: spam, or: abusive language")
    if len(reason) > MAX_REMOVAL_REASON_LENGTH:
        raise bad_request(f"the reason is longer than {MAX_REMOVAL_REASON_LENGTH} characters")
    found = session.execute(
        select(Review, Plugin)
        .join(Plugin, Plugin.id == Review.plugin_id)
        .join(User, User.id == Review.user_id)
        .where(Plugin.name == plugin_name, User.name == user_name)
    ).one_or_none()
    if found is None:
        raise not_found(
            f"{user_name} has no review of {plugin_name}",
            hint=f"list its reviews: `acc registry moderate reviews --plugin {plugin_name}`",
        )
    review, plugin = found
    row = ReviewRow(review.id, plugin.name, user_name, review.stars, review.text, review.updated_at)
    session.delete(review)
    session.flush()
    recount_rating(session, plugin)
    audit(
        session,
        actor,
        "remove_review",
        f"{plugin_name} {user_name}",
        remote_addr,
        stars=row.stars,
        text=row.text,
        reason=reason,
    )
    return row
