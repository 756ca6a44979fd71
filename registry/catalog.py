"""Read-side queries shared by the JSON API and the web pages: search, details, publishers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from packaging.version import Version as PkgVersion
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from registry.errors import bad_request, not_found
from registry.models import Plugin, Review, User, Version
from registry.text import is_storable

SORTS = ("relevance", "downloads", "rating", "recent", "name")
MAX_QUERY_LENGTH = 200
MAX_PER_PAGE = 100
#: Capabilities that reach the network: the "no network access" filter excludes them.
NETWORK_CAPABILITIES = ("http", "llm")


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    category: str = ""
    capability: str = ""
    no_network: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20

    @classmethod
    def from_args(cls, args: Any) -> SearchQuery:
        def number(key: str, default: int, low: int, high: int) -> int:
            raw = args.get(key, "")
            if raw == "":
                return default
            try:
                value = int(raw)
            except ValueError:
                raise bad_request(f"{key} must be a whole number, not {raw!r}") from None
            if not low <= value <= high:
                raise bad_request(f"{key} must be between {low} and {high}")
            return value

        sort = args.get("sort", "") or "relevance"
        if sort not in SORTS:
            raise bad_request(f"unknown sort {sort!r}", hint="sort by one of: " + ", ".join(SORTS))
        q = args.get("q", "")
        if len(q) > MAX_QUERY_LENGTH:
            raise bad_request(f"the query is longer than {MAX_QUERY_LENGTH} characters")
        for key in ("q", "category", "capability"):
            if not is_storable(args.get(key, "")):
                raise bad_request(f"{key} must not contain NUL characters")
        return cls(q=q.strip(), category=args.get("category", "").strip(),
                   capability=args.get("capability", "").strip(),
                   no_network=args.get("network", "") == "none", sort=sort, page=number("page", 1, 1, 10_000),
                   per_page=number("per_page", 20, 1, MAX_PER_PAGE))


def search(session: Session, query: SearchQuery) -> tuple[list[Plugin], int]:
    """Plugins matching every word of `q` (name, description, keywords, categories) and the filters."""
    stmt: Select[Plugin] = select(Plugin).where(Plugin.latest_version != "")
    for word in query.q.lower().split()[:10]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Plugin.search_text.like(f"%{escaped}%", escape="\\"))
    rows = list(session.execute(stmt).scalars().all())
    # Category and capability filters run here: they are JSON lists, which SQLite and
    # PostgreSQL query differently, and the text filter above has already narrowed the set.
    if query.category:
        rows = [p for p in rows if query.category in p.categories]
    if query.capability:
        rows = [p for p in rows if query.capability in p.capability_kinds]
    if query.no_network:
        rows = [p for p in rows if not set(p.capability_kinds) & set(NETWORK_CAPABILITIES)]
    rows.sort(key=_sort_key(query))
    start = (query.page - 1) * query.per_page
    return rows[start:start + query.per_page], len(rows)


def _sort_key(query: SearchQuery) -> Any:
    words = query.q.lower().split()
    if query.sort == "downloads":
        return lambda p: (-p.downloads, p.name)
    if query.sort == "rating":
        return lambda p: (-(p.rating or 0), -p.rating_count, p.name)
    if query.sort == "recent":
        return lambda p: (-p.updated_at.timestamp(), p.name)
    if query.sort == "name" or not words:
        return lambda p: p.name
    # relevance: exact name, then name containing the words, then popularity
    return lambda p: (p.name != query.q.lower(), not all(w in p.name for w in words), -p.downloads, p.name)


def get_plugin(session: Session, name: str) -> Plugin:
    plugin = session.execute(
        select(Plugin).where(Plugin.name == name).options(selectinload(Plugin.versions))
    ).scalar_one_or_none()
    if plugin is None or not plugin.versions:
        raise not_found(f"no plugin named {name!r}", hint="search for it: /api/v1/plugins?q=" + name[:40])
    return plugin


def get_version(plugin: Plugin, version: str) -> Version:
    row = next((v for v in plugin.versions if v.version == version), None)
    if row is None:
        raise not_found(f"{plugin.name} has no version {version!r}")
    return row


def versions_newest_first(plugin: Plugin) -> list[Version]:
    return sorted(plugin.versions, key=lambda v: PkgVersion(v.version), reverse=True)


def latest_version(plugin: Plugin) -> Version:
    return next(v for v in versions_newest_first(plugin) if v.version == plugin.latest_version)


def reviews(session: Session, plugin: Plugin) -> list[Review]:
    return list(session.execute(
        select(Review).where(Review.plugin_id == plugin.id).order_by(Review.updated_at.desc())).scalars())


def publisher_plugins(session: Session, user: User) -> list[Plugin]:
    return list(session.execute(
        select(Plugin).where(Plugin.owner_id == user.id, Plugin.latest_version != "").order_by(Plugin.name)).scalars())


def popular_and_recent(session: Session, count: int = 8) -> tuple[list[Plugin], list[Plugin]]:
    listed = select(Plugin).where(Plugin.latest_version != "")
    popular = list(session.execute(listed.order_by(Plugin.downloads.desc(), Plugin.name).limit(count)).scalars())
    recent = list(session.execute(listed.order_by(Plugin.updated_at.desc()).limit(count)).scalars())
    return popular, recent


def count_plugins(session: Session) -> int:
    return int(session.execute(select(func.count(Plugin.id)).where(Plugin.latest_version != "")).scalar_one())


# -- JSON shapes -----------------------------------------------------------------------------


def plugin_summary(p: Plugin) -> dict[str, Any]:
    return {"name": p.name, "latest_version": p.latest_version, "description": p.description,
            "keywords": p.keywords, "categories": p.categories, "capabilities": p.capability_kinds,
            "owner": p.owner.name, "downloads": p.downloads, "rating": p.rating, "rating_count": p.rating_count,
            "deprecated": p.deprecated, "updated_at": _iso(p.updated_at)}


def version_detail(p: Plugin, v: Version) -> dict[str, Any]:
    return {"name": p.name, "version": v.version, "description": v.description, "sha256": v.archive_sha256,
            "length": v.archive_length, "signature_kind": v.signature_kind, "signer": v.signer,
            "publisher": v.publisher.name, "yanked": v.yanked, "yank_reason": v.yank_reason, "abi": v.abi,
            "capabilities": v.capabilities, "dependencies": v.dependencies, "published_at": _iso(v.published_at),
            "readme": v.readme, "manifest": v.manifest_text}


def plugin_detail(p: Plugin) -> dict[str, Any]:
    latest = latest_version(p)
    return {**plugin_summary(p), "collaborators": [c.user.name for c in p.collaborators],
            "capability_details": latest.capabilities, "readme": latest.readme,
            "versions": [{"version": v.version, "yanked": v.yanked, "yank_reason": v.yank_reason,
                          "published_at": _iso(v.published_at), "sha256": v.archive_sha256}
                         for v in versions_newest_first(p)]}


def review_json(r: Review) -> dict[str, Any]:
    return {"user": r.user.name, "stars": r.stars, "text": r.text, "updated_at": _iso(r.updated_at)}


def _iso(value: Any) -> str:
    return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))
