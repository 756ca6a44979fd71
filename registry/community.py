"""Ratings, reviews, abuse reports and collaborators: the writes that are not publishes."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.audit import audit
from registry.errors import bad_request, conflict, forbidden, not_found
from registry.listing import rating_hundredths
from registry.models import AbuseReport, Collaborator, Plugin, Review, User, utcnow

MAX_REVIEW_LENGTH = 5000
MAX_REPORT_LENGTH = 2000


def save_review(session: Session, user: User, plugin: Plugin, stars: object, text: str, remote_addr: str) -> Review:
    """Create or replace the user's one review of `plugin`; keep the aggregate in step."""
    if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
        raise bad_request("stars must be a whole number from 1 to 5")
    if len(text) > MAX_REVIEW_LENGTH:
        raise bad_request(f"the review is longer than {MAX_REVIEW_LENGTH} characters")
    review = session.execute(
        select(Review).where(Review.plugin_id == plugin.id, Review.user_id == user.id)
    ).scalar_one_or_none()
    if review is None:
        review = Review(plugin_id=plugin.id, user_id=user.id, stars=stars, text=text.strip())
        session.add(review)
        plugin.rating_count += 1
        plugin.rating_sum += stars
    else:
        plugin.rating_sum += stars - review.stars
        review.stars, review.text, review.updated_at = stars, text.strip(), utcnow()
    plugin.rating_hundredths = rating_hundredths(plugin.rating_sum, plugin.rating_count)
    session.flush()
    audit(session, user.name, "review", plugin.name, remote_addr, stars=stars)
    return review


def delete_review(session: Session, user: User, plugin: Plugin, remote_addr: str) -> None:
    """Delete the user's own review of `plugin`; the aggregate is counted again from the
    reviews that remain (so it cannot drift, whatever happened before)."""
    review = own_review(session, user, plugin)
    if review is None:
        raise not_found(f"you have not reviewed {plugin.name}", hint="nothing to delete")
    stars = review.stars
    session.delete(review)
    session.flush()
    recount_rating(session, plugin)
    audit(session, user.name, "delete_review", plugin.name, remote_addr, stars=stars)


def recount_rating(session: Session, plugin: Plugin) -> None:
    """Set `plugin`'s rating count, sum and listed rating from its reviews as they are now
    (after a review is deleted, by its author or a moderator: registry.moderation)."""
    count, total = session.execute(
        select(func.count(Review.id), func.coalesce(func.sum(Review.stars), 0)).where(Review.plugin_id == plugin.id)
    ).one()
    plugin.rating_count, plugin.rating_sum = int(count), int(total)
    plugin.rating_hundredths = rating_hundredths(plugin.rating_sum, plugin.rating_count)


def own_review(session: Session, user: User, plugin: Plugin) -> Review | None:
    return session.execute(
        select(Review).where(Review.plugin_id == plugin.id, Review.user_id == user.id)
    ).scalar_one_or_none()


def report_plugin(session: Session, user: User | None, plugin: Plugin, reason: str, remote_addr: str) -> AbuseReport:
    reason = reason.strip()
    if not reason:
        raise bad_request("say what is wrong with the plugin")
    if len(reason) > MAX_REPORT_LENGTH:
        raise bad_request(f"the report is longer than {MAX_REPORT_LENGTH} characters")
    report = AbuseReport(plugin_id=plugin.id, reporter_id=user.id if user else None, reason=reason)
    session.add(report)
    audit(session, user.name if user else "anonymous", "report", plugin.name, remote_addr)
    return report


def add_collaborator(session: Session, owner: User, plugin: Plugin, name: str, remote_addr: str) -> None:
    if plugin.owner_id != owner.id:
        raise forbidden(f"only the owner of {plugin.name} may add collaborators")
    user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
    if user is None:
        raise not_found(f"no user named {name!r}")
    if user.id == owner.id or any(c.user_id == user.id for c in plugin.collaborators):
        raise conflict(f"{name} can already publish {plugin.name}")
    plugin.collaborators.append(Collaborator(plugin_id=plugin.id, user_id=user.id))
    audit(session, owner.name, "add_collaborator", plugin.name, remote_addr, user=name)


def remove_collaborator(session: Session, owner: User, plugin: Plugin, name: str, remote_addr: str) -> None:
    if plugin.owner_id != owner.id:
        raise forbidden(f"only the owner of {plugin.name} may remove collaborators")
    match = next((c for c in plugin.collaborators if c.user.name == name), None)
    if match is None:
        raise not_found(f"{name} is not a collaborator on {plugin.name}")
    plugin.collaborators.remove(match)
    audit(session, owner.name, "remove_collaborator", plugin.name, remote_addr, user=name)
