"""Search (registry.catalog.search) on SQLite and PostgreSQL: every filter, every order,
paging and totals, LIKE metacharacters taken literally, the short result cache, and
migration 0002, which adds the columns search filters and sorts on.

Most tests list plugins by writing their rows directly, with the listing columns
computed as publishing computes them (registry.listing): a catalogue built for the
edge cases, in milliseconds. One test publishes through the API, so the publish
pipeline's own copy of those columns is checked too. `reference_search` is the search
as it was before it moved into SQL (load every match, filter and sort in Python): the
new one must answer every query exactly as it did.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry import catalog, listing, schema
from registry.catalog import SearchQuery
from registry.config import RegistryConfig
from registry.context import Registry
from registry.db import Database
from registry.models import Base, Plugin, User
from registry.search_cache import CachedPage, SearchCache
from sdk.archive import PluginArchive
from sdk.names import confusable_key
from tests.postgres_kit import drop_database
from tests.registry_kit import Publisher, publish, variant

pytestmark = pytest.mark.usefixtures("database_url")

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Listed:
    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    downloads: int = 0
    #: (rating_sum, rating_count)
    ratings: tuple[int, int] = (0, 0)
    hours_ago: int = 0
    latest_version: str = "1.0.0"


CATALOGUE = (
    Listed(
        "git-count", "Counts commits per author", ("git", "stats"), ("vcs",), ("process",), downloads=500, hours_ago=5
    ),
    # 33/8 = 4.125 is listed as 4.12 (Python rounds the tie to even; SQL's ROUND would say 4.13)
    Listed(
        "gitb", "Git blame browser", ("git",), ("vcs",), ("fs", "process"), downloads=500, ratings=(33, 8), hours_ago=5
    ),
    Listed(
        "git",
        "Git helpers for 1000 files",
        (),
        ("vcs", "Data Science"),
        (),
        downloads=10,
        ratings=(412, 100),
        hours_ago=1,
    ),
    # 107/40 = 2.675 is listed as 2.67 (the double is just below 2.675; SQL's ROUND would say 2.68)
    Listed(
        "net-stats",
        "Fetches 100% of the statistics",
        ("http",),
        ("network",),
        ("fs", "http"),
        downloads=900,
        ratings=(107, 40),
        hours_ago=2,
    ),
    Listed(
        "ai-notes",
        "Summaries with snake_case names",
        ("notes",),
        ("writing",),
        ("llm",),
        downloads=50,
        ratings=(267, 100),
        hours_ago=3,
    ),
    Listed(
        "snake-case",
        "Renames snake-case and snakeXcase to camelCase",
        (),
        ("writing",),
        ("fs",),
        downloads=7,
        hours_ago=4,
    ),
    Listed(
        "back-slash",
        "Paths like C:\\temp and a_b",
        ("windows",),
        ("writing", "Data"),
        ("fs",),
        downloads=3,
        ratings=(5, 1),
        hours_ago=6,
    ),
    Listed(
        "odd-cats",
        "Categories with odd characters",
        (),
        ("c++", "a_b", "50%", "x y", "CAPS"),
        (),
        downloads=1,
        hours_ago=7,
    ),
    Listed("ab-c", "Name order check", (), ("order",), ("kv",), hours_ago=8),
    Listed("abb", "Name order check", (), ("order",), ("kv",), hours_ago=8),
    Listed("ab-a", "Name order check", (), ("order",), ("kv",), hours_ago=8),
    Listed(
        "unlisted", "Registered, nothing listed yet: git", ("git",), ("vcs",), (), downloads=10_000, latest_version=""
    ),
)


def add_listed(session: Session, owner: User, item: Listed) -> Plugin:
    """A plugin row as publishing (and reviewing) leaves it."""
    when = NOW - timedelta(hours=item.hours_ago)
    plugin = Plugin(
        name=item.name,
        confusable_key=confusable_key(item.name),
        owner=owner,
        description=item.description,
        keywords=list(item.keywords),
        categories=list(item.categories),
        capability_kinds=sorted(item.capabilities),
        latest_version=item.latest_version,
        search_text=listing.search_text(item.name, item.description, item.keywords, item.categories),
        filter_tokens=listing.filter_tokens(item.categories, sorted(item.capabilities)),
        downloads=item.downloads,
        rating_sum=item.ratings[0],
        rating_count=item.ratings[1],
        rating_hundredths=listing.rating_hundredths(*item.ratings),
        created_at=when,
        updated_at=when,
    )
    session.add(plugin)
    return plugin


@pytest.fixture
def registry(registry_config: RegistryConfig) -> Iterator[Registry]:
    """A fresh registry (SQLite or PostgreSQL) listing CATALOGUE, owned by alice."""
    reg = Registry.open(registry_config)
    with reg.db.write() as session:
        alice = User(name="alice", email="alice@example.com")
        session.add(alice)
        for item in CATALOGUE:
            add_listed(session, alice, item)
    yield reg
    reg.db.dispose()


def names(registry: Registry, cache: SearchCache | None = None, **query: Any) -> tuple[list[str], int]:
    with registry.db.read() as session:
        found, total = catalog.search(session, SearchQuery(**query), cache)
        return [p.name for p in found], total


def reference_search(session: Session, query: SearchQuery) -> tuple[list[str], int]:
    """The search before it moved into SQL, verbatim but for returning names."""
    rows = [
        p
        for p in session.execute(select(Plugin).where(Plugin.latest_version != "")).scalars()
        if all(word in p.search_text for word in query.q.lower().split()[:10])
    ]
    if query.category:
        rows = [p for p in rows if query.category in p.categories]
    if query.capability:
        rows = [p for p in rows if query.capability in p.capability_kinds]
    if query.no_network:
        rows = [p for p in rows if not set(p.capability_kinds) & set(catalog.NETWORK_CAPABILITIES)]
    words = query.q.lower().split()
    key: Any
    if query.sort == "downloads":
        key = lambda p: (-p.downloads, p.name)  # noqa: E731
    elif query.sort == "rating":
        key = lambda p: (-(p.rating or 0), -p.rating_count, p.name)  # noqa: E731
    elif query.sort == "recent":
        key = lambda p: (-p.updated_at.timestamp(), p.name)  # noqa: E731
    elif query.sort == "name" or not words:
        key = lambda p: p.name  # noqa: E731
    else:
        key = lambda p: (  # noqa: E731
            p.name != query.q.lower(),
            not all(w in p.name for w in words),
            -p.downloads,
            p.name,
        )
    rows.sort(key=key)
    start = (query.page - 1) * query.per_page
    return [p.name for p in rows[start : start + query.per_page]], len(rows)


# -- filters ----------------------------------------------------------------------------------


def test_every_word_must_appear_in_the_name_description_keywords_or_categories(registry: Registry) -> None:
    assert names(registry, q="git", sort="name") == (["git", "git-count", "gitb"], 3)
    assert names(registry, q="GIT blame", sort="name") == (["gitb"], 1), "words are case-insensitive"
    assert names(registry, q="stats", sort="name") == (["git-count", "net-stats"], 2), "a keyword, a name"
    assert names(registry, q="data science", sort="name") == (["git"], 1), "a category"
    assert names(registry, q="nothing-like-this") == ([], 0)


def test_unlisted_plugins_are_never_found(registry: Registry) -> None:
    assert "unlisted" not in names(registry, per_page=100)[0]
    assert names(registry, q="registered") == ([], 0)
    assert names(registry, category="vcs", sort="name") == (["git", "git-count", "gitb"], 3)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("100%", ["net-stats"]),  # not "1000 files": % is not a wildcard
        ("%", ["net-stats", "odd-cats"]),
        ("snake_case", ["ai-notes"]),  # not snake-case or snakeXcase: _ is not a wildcard
        ("_", ["ai-notes", "back-slash", "odd-cats"]),
        ("\\", ["back-slash"]),
        ("c:\\temp", ["back-slash"]),
        ("\\%", []),
    ],
)
def test_like_metacharacters_in_words_are_literal(registry: Registry, q: str, expected: list[str]) -> None:
    assert names(registry, q=q, sort="name") == (expected, len(expected))


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("vcs", ["git", "git-count", "gitb"]),
        ("writing", ["ai-notes", "back-slash", "snake-case"]),
        ("Data Science", ["git"]),
        ("Data", ["back-slash"]),  # a whole category, not the start of one
        ("Science", []),
        ("data science", []),  # categories match exactly, as before, capitals too
        ("CAPS", ["odd-cats"]),
        ("caps", []),
        ("c++", ["odd-cats"]),
        ("a_b", ["odd-cats"]),
        ("axb", []),
        ("50%", ["odd-cats"]),
        ("5%", []),
        ("x y", ["odd-cats"]),
        ("x", []),
        ("y cat:x", []),
        ("no-such-category", []),
    ],
)
def test_the_category_filter_matches_one_whole_category(registry: Registry, category: str, expected: list[str]) -> None:
    assert names(registry, category=category, sort="name") == (expected, len(expected))


@pytest.mark.parametrize(
    ("capability", "expected"),
    [
        ("fs", ["back-slash", "gitb", "net-stats", "snake-case"]),
        ("process", ["git-count", "gitb"]),
        ("http", ["net-stats"]),
        ("llm", ["ai-notes"]),
        ("f", []),
        ("FS", []),
        ("%", []),
    ],
)
def test_the_capability_filter_matches_one_capability(registry: Registry, capability: str, expected: list[str]) -> None:
    assert names(registry, capability=capability, sort="name") == (expected, len(expected))


def test_no_network_leaves_out_http_and_llm(registry: Registry) -> None:
    found, total = names(registry, no_network=True, sort="name", per_page=100)
    assert found == ["ab-a", "ab-c", "abb", "back-slash", "git", "git-count", "gitb", "odd-cats", "snake-case"]
    assert total == 9
    assert names(registry, no_network=True, q="stats") == (["git-count"], 1)
    assert names(registry, no_network=True, capability="fs", sort="name") == (["back-slash", "gitb", "snake-case"], 3)
    assert names(registry, no_network=True, capability="http") == ([], 0)


# -- orders -----------------------------------------------------------------------------------


def test_relevance_ranks_the_exact_name_then_names_with_every_word_then_downloads(registry: Registry) -> None:
    # gitb and git-count tie on downloads: the name decides (by code point: "-" before "b")
    assert names(registry, q="git")[0] == ["git", "git-count", "gitb"]
    assert names(registry, q="stats")[0] == ["net-stats", "git-count"]
    assert names(registry, q="count")[0] == ["git-count"]
    assert names(registry, q="order check")[0] == ["ab-a", "ab-c", "abb"], "no name has the words: downloads, name"
    assert names(registry, q="ab")[0] == ["ab-a", "ab-c", "abb"]
    assert names(registry, q="gitb blame")[0] == ["gitb"]


def test_without_words_relevance_is_by_name(registry: Registry) -> None:
    assert names(registry, per_page=100)[0] == names(registry, sort="name", per_page=100)[0]


def test_name_order_is_by_code_point(registry: Registry) -> None:
    found = names(registry, sort="name", per_page=100)[0]
    assert found == sorted(found)
    assert found[:5] == ["ab-a", "ab-c", "abb", "ai-notes", "back-slash"]


def test_downloads_order_breaks_ties_by_name(registry: Registry) -> None:
    assert names(registry, sort="downloads", per_page=5)[0] == ["net-stats", "git-count", "gitb", "ai-notes", "git"]


def test_rating_order_uses_the_rating_as_listed_then_the_number_of_reviews(registry: Registry) -> None:
    # git and gitb are both listed at 4.12; ai-notes and net-stats at 2.67: more reviews first
    found = names(registry, sort="rating", per_page=6)[0]
    assert found == ["back-slash", "git", "gitb", "ai-notes", "net-stats", "ab-a"]
    with registry.db.read() as session:
        ratings = {p.name: p.rating for p in catalog.search(session, SearchQuery(sort="rating", per_page=5))[0]}
    assert ratings == {"back-slash": 5.0, "git": 4.12, "gitb": 4.12, "ai-notes": 2.67, "net-stats": 2.67}


def test_recent_order_is_newest_first_then_by_name(registry: Registry) -> None:
    found = names(registry, sort="recent", per_page=100)[0]
    assert found[:5] == ["git", "net-stats", "ai-notes", "snake-case", "git-count"]
    assert found[5:] == ["gitb", "back-slash", "odd-cats", "ab-a", "ab-c", "abb"]


# -- paging -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", catalog.SORTS)
def test_pages_partition_the_results_and_every_page_has_the_total(registry: Registry, sort: str) -> None:
    everything, total = names(registry, sort=sort, per_page=100)
    assert total == len(everything) == 11
    pages = [names(registry, sort=sort, per_page=3, page=n) for n in range(1, 6)]
    assert [t for _, t in pages] == [11] * 5
    assert [len(p) for p, _ in pages] == [3, 3, 3, 2, 0]
    assert list(itertools.chain.from_iterable(p for p, _ in pages)) == everything
    assert names(registry, sort=sort, q="git", per_page=2, page=3) == ([], 3), "past the end: no rows, the total"
    assert names(registry, sort=sort, q="git", per_page=2, page=2)[1] == 3


# -- the same answers as before ---------------------------------------------------------------


def test_every_query_is_answered_as_the_python_search_did(registry: Registry) -> None:
    words = ["", "git", "stats", "git stats", "check order", "ab", "c", "%", "_", "\\", "data science", "GIT"]
    filters: list[dict[str, Any]] = [
        {},
        {"category": "vcs"},
        {"category": "writing"},
        {"capability": "fs"},
        {"no_network": True},
        {"capability": "fs", "no_network": True},
        {"category": "a_b"},
    ]
    paging = [{"per_page": 100}, {"per_page": 2, "page": 2}, {"per_page": 3, "page": 3}]
    checked = 0
    with registry.db.read() as session:
        for q, extra, sort, pages in itertools.product(words, filters, catalog.SORTS, paging):
            query = SearchQuery(q=q, sort=sort, **extra, **pages)
            found, total = catalog.search(session, query)
            assert ([p.name for p in found], total) == reference_search(session, query), query
            checked += 1
    assert checked == len(words) * len(filters) * len(catalog.SORTS) * len(paging)


@pytest.mark.parametrize("q", ["git", ""])
def test_a_listing_takes_three_queries_at_most_however_many_rows_it_shows(registry: Registry, q: str) -> None:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):  # not SQLite's BEGIN
            statements.append(statement)

    sa.event.listen(registry.db.reader, "before_cursor_execute", record)
    try:
        with registry.db.read() as session:
            found, _ = catalog.search(session, SearchQuery(q=q, per_page=100))
            summaries = [catalog.plugin_summary(p) for p in found]
    finally:
        sa.event.remove(registry.db.reader, "before_cursor_execute", record)
    assert len(summaries) == (3 if q else 11)
    assert {s["owner"] for s in summaries} == {"alice"}
    # with words: the page and the total in one, then the rows with their owners;
    # without: the total, the page, the rows
    assert len(statements) == (2 if q else 3), statements


# -- the cache --------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cache_entries_expire_after_their_ttl() -> None:
    clock = FakeClock()
    cache = SearchCache(ttl=5, clock=clock)
    cache.put("q", CachedPage((1, 2), 2))
    clock.now += 5
    assert cache.get("q") == CachedPage((1, 2), 2)
    clock.now += 0.1
    assert cache.get("q") is None
    assert len(cache) == 0


def test_the_cache_is_bounded_and_forgets_the_oldest_entry_first() -> None:
    clock = FakeClock()
    cache = SearchCache(ttl=5, max_entries=3, clock=clock)
    for n in range(3):
        cache.put(n, CachedPage((n,), 1))
        clock.now += 1
    cache.put(0, CachedPage((9,), 1))  # rewritten: now the newest
    cache.put(3, CachedPage((3,), 1))
    assert len(cache) == 3
    assert cache.get(1) is None
    assert [cache.get(n) for n in (0, 2, 3)] == [CachedPage((9,), 1), CachedPage((2,), 1), CachedPage((3,), 1)]


def test_cached_answers_keep_rows_fresh_and_orders_at_most_ttl_old(registry: Registry) -> None:
    clock = FakeClock()
    cache = SearchCache(ttl=5, clock=clock)
    assert names(registry, cache, sort="downloads", per_page=2) == (["net-stats", "git-count"], 11)
    assert names(registry, cache, sort="name", per_page=3) == (["ab-a", "ab-c", "abb"], 11)
    with registry.db.write() as session:  # as a download and an edit do: no metadata transaction
        session.execute(update(Plugin).where(Plugin.name == "abb").values(downloads=10_000, description="changed"))
    clock.now += 5
    assert names(registry, cache, sort="downloads", per_page=2) == (["net-stats", "git-count"], 11), "reused"
    with registry.db.read() as session:
        found, _ = catalog.search(session, SearchQuery(sort="name", per_page=3), cache)
        assert (found[2].name, found[2].downloads, found[2].description) == ("abb", 10_000, "changed"), (
            "a reused answer's rows are read again"
        )
    clock.now += 0.5
    assert names(registry, cache, sort="downloads", per_page=2) == (["abb", "net-stats"], 11), "expired"


def test_a_metadata_change_is_searchable_at_once_here_and_within_a_second_elsewhere(
    registry: Registry, registry_config: RegistryConfig
) -> None:
    clock = FakeClock()
    other_worker = Registry.open(registry_config)
    other_worker.search_cache = SearchCache(ttl=3600, clock=clock)
    try:
        assert names(registry, registry.search_cache, q="git") == (["git", "git-count", "gitb"], 3)
        assert names(other_worker, other_worker.search_cache, q="git") == (["git", "git-count", "gitb"], 3)
        with registry.metadata_transaction() as session:  # as a publish or a yank does
            session.execute(
                update(Plugin)
                .where(Plugin.name == "snake-case")
                .values(search_text=listing.search_text("snake-case", "now about git", (), ("writing",)))
            )
        now_found = (["git", "git-count", "gitb", "snake-case"], 4)
        assert names(registry, registry.search_cache, q="git") == now_found
        clock.now += 0.9
        assert names(other_worker, other_worker.search_cache, q="git") == (["git", "git-count", "gitb"], 3)
        clock.now += 0.2
        assert names(other_worker, other_worker.search_cache, q="git") == now_found
    finally:
        other_worker.db.dispose()


def test_the_json_api_reuses_whole_pages_of_summaries(registry: Registry) -> None:
    clock = FakeClock()
    cache = SearchCache(ttl=5, clock=clock)

    def listed() -> list[tuple[str, int]]:
        with registry.db.read() as session:
            summaries, total = catalog.search_summaries(session, SearchQuery(sort="downloads", per_page=2), cache)
            assert total == 11
            return [(s["name"], s["downloads"]) for s in summaries]

    assert listed() == [("net-stats", 900), ("git-count", 500)]
    with registry.db.write() as session:
        session.execute(update(Plugin).where(Plugin.name == "git-count").values(downloads=501))
    assert listed() == [("net-stats", 900), ("git-count", 500)], "counts as old as the page, at most 5 s"
    clock.now += 5.1
    assert listed() == [("net-stats", 900), ("git-count", 501)]
    with registry.db.read() as session:
        rows, _ = catalog.search(session, SearchQuery(sort="downloads", per_page=2))
        fresh = [catalog.plugin_summary(p) for p in rows]
        reused, _ = catalog.search_summaries(session, SearchQuery(sort="downloads", per_page=2), cache)
    assert reused == fresh


# -- through the API, after real publishes ----------------------------------------------------


def test_published_plugins_are_filtered_and_sorted_by_what_their_manifests_say(
    client: FlaskClient, alice: Publisher, bob: Publisher, example_archive: PluginArchive
) -> None:
    http = '[capabilities.http]\nhosts = ["api.example.com"]\nreason = "Fetches statistics to compare."\n'
    for data in (
        variant(example_archive, version="1.0.0"),
        variant(example_archive, name="net-stats", extra_toml=http),
    ):
        assert publish(client, alice, data).status_code == 201
    assert client.put("/api/v1/plugins/net-stats/reviews", json={"stars": 4}, headers=bob.auth).status_code == 200

    def listed(query: str) -> list[str]:
        body = client.get("/api/v1/plugins?" + query).get_json()
        assert body["total"] == len(body["plugins"])
        return [p["name"] for p in body["plugins"]]

    assert listed("category=analysis&sort=name") == ["net-stats", "project-stats"]
    assert listed("capability=process&sort=name") == ["net-stats", "project-stats"]
    assert listed("capability=http") == ["net-stats"]
    assert listed("network=none") == ["project-stats"]
    assert listed("sort=rating") == ["net-stats", "project-stats"]
    assert listed("q=net-stats") == ["net-stats"]


# -- migration 0002 ---------------------------------------------------------------------------


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Iterator[str]:
    """An empty database of the same kind as `database_url`. On PostgreSQL its default
    collation is a language's that ignores hyphens (ICU, alternate=shifted), as glibc's
    en_US does, so the name order shows whether search orders by code point."""
    if not database_url:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    admin_url = str(request.getfixturevalue("postgres_admin_url"))
    name = f"acc_migrate_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE_PROVIDER icu '
                "ICU_LOCALE 'en-US-u-ka-shifted' LOCALE 'C.UTF-8'"
            )
        )
    yield f"{admin_url.rpartition('/')[0]}/{name}"
    drop_database(admin, name)
    admin.dispose()


#: The tables as revision 0001 made them (only the columns these rows need values for).
_USERS_0001 = sa.table(
    "users",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("email", sa.String()),
    sa.column("password_hash", sa.String()),
    sa.column("created_at", sa.DateTime()),
)
_PLUGINS_0001 = sa.table(
    "plugins",
    *(sa.column(c, sa.String()) for c in ("name", "confusable_key", "description", "latest_version", "search_text")),
    *(sa.column(c, sa.JSON()) for c in ("keywords", "categories", "capability_kinds")),
    *(sa.column(c, sa.Integer()) for c in ("id", "owner_id", "downloads", "rating_count", "rating_sum")),
    *(sa.column(c, sa.DateTime()) for c in ("created_at", "updated_at")),
)


@dataclass
class Old:
    name: str
    categories: list[str]
    capabilities: list[str]
    ratings: tuple[int, int] = (0, 0)
    latest_version: str = "1.0.0"
    keywords: list[str] = field(default_factory=list)


def test_migration_0002_fills_the_search_columns_of_existing_plugins(empty_database_url: str) -> None:
    from alembic import command

    url = empty_database_url
    config: Any = schema._alembic_config(url)
    command.upgrade(config, "0001")
    old = [
        Old("ab-c", ["vcs"], ["process"], ratings=(33, 8)),
        Old("abb", ["Data Science", "50%"], ["fs", "http"], ratings=(107, 40)),
        Old("ab-a", [], ["llm"], ratings=(267, 100)),
        Old("aa", ["vcs"], []),
        Old("quiet", ["vcs"], [], latest_version=""),
    ]
    engine = sa.create_engine(url)
    when = datetime(2026, 11, 1)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(_USERS_0001).values(id=1, name="alice", email="a@example.com", password_hash="", created_at=when)
        )
        conn.execute(
            sa.insert(_PLUGINS_0001),
            [
                {
                    "id": n,
                    "name": p.name,
                    "confusable_key": confusable_key(p.name),
                    "owner_id": 1,
                    "description": f"{p.name} from before 0002",
                    "keywords": p.keywords,
                    "categories": p.categories,
                    "capability_kinds": p.capabilities,
                    "latest_version": p.latest_version,
                    "search_text": listing.search_text(p.name, f"{p.name} from before 0002", p.keywords, p.categories),
                    "downloads": 0,
                    "rating_sum": p.ratings[0],
                    "rating_count": p.ratings[1],
                    "created_at": when,
                    "updated_at": when,
                }
                for n, p in enumerate(old, start=1)
            ],
        )
    engine.dispose()

    schema.upgrade(url)
    assert schema.current_revision(url) == schema.head_revision()
    db = Database(url)
    try:
        with db.read() as session:
            rows = {p.name: p for p in session.execute(select(Plugin)).scalars()}
            for p in old:
                assert rows[p.name].filter_tokens == listing.filter_tokens(p.categories, p.capabilities), p.name
                assert rows[p.name].rating_hundredths == listing.rating_hundredths(*p.ratings), p.name
            assert rows["abb"].filter_tokens == " cat:+44ata+20+53cience cat:50+25 cap:fs cap:http "
            # code-point order ("-" before letters), whatever the database's collation
            assert [p.name for p in catalog.search(session, SearchQuery(sort="name"))[0]] == [
                "aa",
                "ab-a",
                "ab-c",
                "abb",
            ]
            for query, expected in [
                (SearchQuery(category="vcs"), ["aa", "ab-c"]),
                (SearchQuery(category="Data Science"), ["abb"]),
                (SearchQuery(category="50%"), ["abb"]),
                (SearchQuery(capability="http"), ["abb"]),
                (SearchQuery(no_network=True), ["aa", "ab-c"]),
                (SearchQuery(sort="rating"), ["ab-c", "ab-a", "abb", "aa"]),
                (SearchQuery(q="before 0002", sort="name"), ["aa", "ab-a", "ab-c", "abb"]),
            ]:
                found, total = catalog.search(session, query)
                assert ([p.name for p in found], total) == (expected, len(expected)), query
                assert ([p.name for p in found], total) == reference_search(session, query), query
    finally:
        db.dispose()


def test_the_migrations_build_exactly_the_schema_the_models_describe(empty_database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    schema.upgrade(empty_database_url)
    engine = sa.create_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata) == []
    finally:
        engine.dispose()
