"""Read-side queries shared by the JSON API and the web pages: search, details, publishers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from packaging.version import Version as PkgVersion
from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload, selectinload

from registry import listing
from registry.declared import declared
from registry.errors import bad_request, not_found
from registry.models import Plugin, RepoLock, Review, User, Version
from registry.search_cache import CachedPage, RenderedPage, SearchCache
from registry.text import is_storable
from registry.vocabulary import Vocabulary, read_vocabulary
from sdk import index_format
from sdk.names import similar_names
from sdk.publisher_mark import parse_mark

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
        return cls(
            q=q.strip(),
            category=args.get("category", "").strip(),
            capability=args.get("capability", "").strip(),
            no_network=args.get("network", "") == "none",
            sort=sort,
            page=number("page", 1, 1, 10_000),
            per_page=number("per_page", 20, 1, MAX_PER_PAGE),
        )


def search(session: Session, query: SearchQuery, cache: SearchCache | None = None) -> tuple[list[Plugin], int]:
    """One page of the plugins matching every word of `q` (name, description, keywords,
    categories) and the filters, in `query.sort` order, and how many match in all.

    Filtering, counting, sorting and paging run in SQL, and only the page's rows are
    loaded, with their owners' names. With a `cache`, a recent answer to the same query
    at the same repository generation is reused (registry.search_cache says when that
    is safe): which plugins, in what order; their rows are read again.
    """
    key, cached = _cached(session, query, cache)
    if cached is not None:
        return _plugins_by_id(session, cached.plugin_ids), cached.total
    rows, total = _search(session, query)
    _remember(cache, key, rows, total)
    return rows, total


def search_summaries(
    session: Session, query: SearchQuery, cache: SearchCache | None = None
) -> tuple[list[dict[str, Any]], int]:
    """`search` as the JSON API lists it: each plugin's `plugin_summary`. With a `cache`, a
    recent page of summaries is reused whole, so its download counts and ratings may be
    up to the cache's ttl old (the API's responses say `max-age=30` anyway). The dicts
    are shared with the cache: do not change them."""
    key, cached = _cached(session, query, cache)
    if cached is None:
        rows, total = _search(session, query)
        cached = _remember(cache, key, rows, total)
    return list(cached.summaries), cached.total


#: A search's cache key: the query and the repository generation it was answered at.
SearchKey = tuple[SearchQuery, int]


def _cached(
    session: Session, query: SearchQuery, cache: SearchCache | None
) -> tuple[SearchKey | None, CachedPage | None]:
    """The cache key of `query` at the current repository generation, and its entry if any."""
    if cache is None:
        return None, None
    generation = cache.generation(
        lambda: session.execute(select(RepoLock.generation).where(RepoLock.id == 1)).scalar_one_or_none()
    )
    if generation is None:
        return None, None
    key = (query, generation)
    entry = cache.get(key)
    return key, entry if isinstance(entry, CachedPage) else None


def cached_search_page(
    session: Session, query: SearchQuery, cache: SearchCache | None
) -> tuple[tuple[str, SearchQuery, int] | None, str | None]:
    """The cache key of the search page for `query` as visitors who are not logged in see
    it, at the current repository generation, and the page if it is cached (same rules as
    `search`'s answers: registry.search_cache)."""
    if cache is None:
        return None, None
    generation = cache.generation(
        lambda: session.execute(select(RepoLock.generation).where(RepoLock.id == 1)).scalar_one_or_none()
    )
    if generation is None:
        return None, None
    key = ("page", query, generation)
    entry = cache.get(key)
    return key, entry.html if isinstance(entry, RenderedPage) else None


def _remember(cache: SearchCache | None, key: SearchKey | None, rows: list[Plugin], total: int) -> CachedPage:
    page = CachedPage(tuple(p.id for p in rows), total, tuple(plugin_summary(p) for p in rows))
    if cache is not None and key is not None:
        cache.put(key, page)
    return page


def _search(session: Session, query: SearchQuery) -> tuple[list[Plugin], int]:
    conditions = _conditions(query)
    order = _order(query, _by_code_point(session, Plugin.name))
    offset = (query.page - 1) * query.per_page
    ids = select(Plugin.id).where(*conditions).order_by(*order).offset(offset).limit(query.per_page)
    count = select(func.count()).select_from(Plugin).where(*conditions)
    if query.q.split():
        # Words are matched with LIKE '%word%', which reads every row: one pass gives both
        # the page and the total (the window counts every match before LIMIT applies).
        found = session.execute(ids.add_columns(func.count().over())).all()
        if found:
            return _plugins_by_id(session, tuple(row[0] for row in found)), int(found[0][1])
        return [], int(session.execute(count).scalar_one()) if offset else 0
    # Without words the indexes serve both: the count, and the order (by name, downloads
    # or date), which is read in index order until the page is full.
    total = int(session.execute(count).scalar_one())
    if offset >= total:
        return [], total
    return _plugins_by_id(session, tuple(session.execute(ids).scalars())), total


def _plugins_by_id(session: Session, ids: tuple[int, ...]) -> list[Plugin]:
    """The plugins with these ids, in this order, with their owners' names (one query)."""
    if not ids:
        return []
    found = {
        p.id: p
        for p in session.execute(
            select(Plugin)
            .where(Plugin.id.in_(ids))
            .options(joinedload(Plugin.owner).load_only(User.name, User.verified_by))
        ).scalars()
    }
    return [found[i] for i in ids if i in found]


def _conditions(query: SearchQuery) -> list[ColumnElement[bool]]:
    conditions = [listing.is_listed()]
    conditions += [Plugin.search_text.like(_containing(word), escape="\\") for word in query.q.lower().split()[:10]]
    if query.category:
        conditions.append(_has_token(listing.category_token(query.category)))
    if query.capability:
        conditions.append(_has_token(listing.capability_token(query.capability)))
    if query.no_network:
        conditions += [~_has_token(listing.capability_token(kind)) for kind in NETWORK_CAPABILITIES]
    return conditions


def _order(query: SearchQuery, name: ColumnElement[str]) -> list[ColumnElement[Any]]:
    """ORDER BY terms; each order ends with the (unique) name, so every order is total."""
    words = query.q.lower().split()
    if query.sort == "downloads":
        return [Plugin.downloads.desc(), name]
    if query.sort == "rating":
        return [Plugin.rating_hundredths.desc(), Plugin.rating_count.desc(), name]
    if query.sort == "recent":
        return [Plugin.updated_at.desc(), name]
    if query.sort == "name" or not words:
        return [name]
    # relevance: the exact name, then names containing every word, then popularity. Names
    # are lowercase ASCII, so SQLite's LIKE (which ignores ASCII case) matches as `in` does.
    name_has_every_word = and_(*[Plugin.name.like(_containing(word), escape="\\") for word in words])
    return [
        case((Plugin.name == query.q.lower(), 0), else_=1),
        case((name_has_every_word, 0), else_=1),
        Plugin.downloads.desc(),
        name,
    ]


def _by_code_point(session: Session, column: InstrumentedAttribute[str]) -> ColumnElement[str]:
    """`column` ordered by code point, as Python orders strings: SQLite's BINARY collation
    (its default); on PostgreSQL "C", as a database's default collation may be a
    language's (glibc's en_US ignores hyphens)."""
    return column.collate("C" if session.get_bind().dialect.name == "postgresql" else "BINARY")


def _containing(text: str) -> str:
    """A LIKE pattern (escape character backslash) matching `text` anywhere, literally."""
    return f"%{_escape_like(text)}%"


def _has_token(token: str) -> ColumnElement[bool]:
    return Plugin.filter_tokens.like(f"% {_escape_like(token)} %", escape="\\")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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


def signer_changes(plugin: Plugin) -> dict[str, Mapping[str, Any]]:
    """The versions signed by another signer than the version before them -> that signer."""
    oldest_first = reversed(versions_newest_first(plugin))
    return index_format.signer_changes([(v.version, v.signer) for v in oldest_first])


def latest_version(plugin: Plugin) -> Version:
    return next(v for v in versions_newest_first(plugin) if v.version == plugin.latest_version)


def reviews(session: Session, plugin: Plugin) -> list[Review]:
    return list(
        session.execute(
            select(Review).where(Review.plugin_id == plugin.id).order_by(Review.updated_at.desc())
        ).scalars()
    )


def publisher_plugins(session: Session, user: User) -> list[Plugin]:
    return list(
        session.execute(
            select(Plugin).where(Plugin.owner_id == user.id, listing.is_listed()).order_by(Plugin.name)
        ).scalars()
    )


def popular_and_recent(session: Session, count: int = 8) -> tuple[list[Plugin], list[Plugin]]:
    """The most downloaded plugins, then the most recently updated of the others: the home
    page lists no plugin twice."""
    listed = select(Plugin).where(listing.is_listed())
    popular = list(session.execute(listed.order_by(Plugin.downloads.desc(), Plugin.name).limit(count)).scalars())
    others = listed.where(Plugin.id.not_in([p.id for p in popular])) if popular else listed
    recent = list(session.execute(others.order_by(Plugin.updated_at.desc(), Plugin.name).limit(count)).scalars())
    return popular, recent


def vocabulary(session: Session, cache: SearchCache | None = None) -> Vocabulary:
    """The listed plugins' categories with counts and their words (registry.vocabulary);
    with a `cache`, read once per repository generation, as searches are."""
    generation = (
        cache.generation(
            lambda: session.execute(select(RepoLock.generation).where(RepoLock.id == 1)).scalar_one_or_none()
        )
        if cache is not None
        else None
    )
    if cache is not None and generation is not None:
        known = cache.get_vocabulary(generation)
        if known is not None:
            return known
    found = read_vocabulary(session)
    if cache is not None and generation is not None:
        cache.put_vocabulary(generation, found)
    return found


#: "Did you mean" looks at this many words of a query, each at most this long: the
#: comparison is quadratic in a word's length and linear in the vocabulary, and anyone can search.
MAX_CORRECTED_WORDS = 5
MAX_CORRECTED_LENGTH = 40


def corrected_query(query: SearchQuery, words: frozenset[str]) -> SearchQuery | None:
    """`query` with each word of `q` that no plugin is described with replaced by the closest
    one that is ("did you mean"); None when no word changes."""
    fixed = []
    for index, word in enumerate(query.q.split()):
        typed = word.lower()
        if index >= MAX_CORRECTED_WORDS or typed in words or len(typed) > MAX_CORRECTED_LENGTH:
            fixed.append(word)
            continue
        # similar_names allows one typo per four letters: only words that close in length can match.
        allowed = max(1, len(typed) // 4)
        pool = [w for w in words if abs(len(w) - len(typed)) <= allowed]
        similar = similar_names(typed, pool, limit=1)
        fixed.append(similar[0] if similar else word)
    text = " ".join(fixed)
    return replace(query, q=text, page=1) if text != " ".join(query.q.split()) else None


def count_plugins(session: Session) -> int:
    return int(session.execute(select(func.count(Plugin.id)).where(listing.is_listed())).scalar_one())


# -- JSON shapes -----------------------------------------------------------------------------


def plugin_summary(p: Plugin) -> dict[str, Any]:
    return {
        "name": p.name,
        "latest_version": p.latest_version,
        "description": p.description,
        "keywords": p.keywords,
        "categories": p.categories,
        "capabilities": p.capability_kinds,
        "owner": p.owner.name,
        "owner_verified": publisher_mark_json(p.owner),
        "downloads": p.downloads,
        "rating": p.rating,
        "rating_count": p.rating_count,
        "deprecated": p.deprecated,
        "updated_at": _iso(p.updated_at),
    }


def publisher_mark_json(user: User) -> dict[str, Any] | None:
    """The account's verified-publisher mark for the API: {how, domain, text}, or None."""
    mark = parse_mark(user.verified_by)
    return mark.to_json() if mark is not None else None


def version_detail(p: Plugin, v: Version) -> dict[str, Any]:
    return {
        "name": p.name,
        "version": v.version,
        "description": v.description,
        "sha256": v.archive_sha256,
        "length": v.archive_length,
        "signature_kind": v.signature_kind,
        "signer": v.signer,
        "publisher": v.publisher.name,
        "yanked": v.yanked,
        "yank_reason": v.yank_reason,
        "abi": v.abi,
        "capabilities": v.capabilities,
        "dependencies": v.dependencies,
        "published_at": _iso(v.published_at),
        "readme": v.readme,
        "manifest": v.manifest_text,
        **declared(v.manifest_text).as_json(),
    }


def plugin_detail(p: Plugin) -> dict[str, Any]:
    latest = latest_version(p)
    return {
        **plugin_summary(p),
        "collaborators": [c.user.name for c in p.collaborators],
        "taken_down": {"at": _iso(p.taken_down_at), "reason": p.takedown_reason} if p.taken_down_at else None,
        "capability_details": latest.capabilities,
        "readme": latest.readme,
        **declared(latest.manifest_text).as_json(),
        "versions": [
            {
                "version": v.version,
                "yanked": v.yanked,
                "yank_reason": v.yank_reason,
                "published_at": _iso(v.published_at),
                "sha256": v.archive_sha256,
            }
            for v in versions_newest_first(p)
        ],
    }


def review_json(r: Review) -> dict[str, Any]:
    return {"user": r.user.name, "stars": r.stars, "text": r.text, "updated_at": _iso(r.updated_at)}


def _iso(value: Any) -> str:
    return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))
