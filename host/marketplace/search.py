"""Search a marketplace through its JSON API (`/api/v1/plugins?q=`), every page of it.

Search results are not signed: they only help a user find a name. Whatever is installed
afterwards is chosen and verified from the TUF-signed index, never from these results.

The API answers a page at a time (`page`, `per_page` up to 100, and the `total` that
match). `search` asks for pages of PAGE_SIZE until it holds `total` results or a page
comes back short or empty, so a search never stops silently at the first page. A
marketplace that claims more than MAX_RESULTS is read up to that many, and the results
say they were cut (`SearchResults.truncated`). A plugin that moves between pages while
they are read (a new download changes the order) is listed once.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from host.errors import MarketplaceError, MarketplaceUnreachable
from host.marketplace.config import Marketplace
from sdk.publisher_mark import PublisherMark, mark_from_json

MAX_SEARCH_BYTES = 2 * 1024 * 1024  # per page
SEARCH_TIMEOUT_SECONDS = 15.0
#: Results per request: the registry's largest page.
PAGE_SIZE = 100
#: Results read from one marketplace at most (100 pages of at most 2 MB).
MAX_RESULTS = 10_000
#: The orders the registry's API knows (registry/catalog.py SORTS).
SORTS = ("relevance", "downloads", "rating", "recent", "name")


@dataclass(frozen=True)
class SearchQuery:
    """What to look for: words matched in names, descriptions, keywords and categories,
    and filters the registry applies before paging."""

    words: str = ""
    category: str = ""
    capability: str = ""
    #: Only plugins that ask for no network capability (http, llm).
    no_network: bool = False
    sort: str = "relevance"

    def parameters(self) -> dict[str, str]:
        """The API's query parameters for this search (page and size aside)."""
        params = {"q": self.words}
        if self.category:
            params["category"] = self.category
        if self.capability:
            params["capability"] = self.capability
        if self.no_network:
            params["network"] = "none"
        if self.sort != "relevance":
            params["sort"] = self.sort
        return params


@dataclass(frozen=True)
class SearchHit:
    marketplace: str
    name: str
    latest_version: str
    description: str
    rating: float | None
    rating_count: int
    downloads: int
    capabilities: tuple[str, ...]
    deprecated: bool
    owner: str = ""
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    updated_at: str = ""
    #: The marketplace says it checked who the owner is (unsigned, like every search result).
    owner_verified: PublisherMark | None = None


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    #: The marketplaces that could not be searched (when at least one could).
    failures: list[MarketplaceError]
    #: How many marketplaces were searched.
    searched: int
    #: Marketplaces whose matches were more than MAX_RESULTS: (name, how many it claims).
    truncated: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class MarketplaceHits:
    """Every result of one marketplace (up to MAX_RESULTS) and how many it says match."""

    hits: list[SearchHit]
    total: int
    #: False when MAX_RESULTS were read and the marketplace claims more.
    complete: bool = True


def search_marketplaces(markets: list[Marketplace], query: SearchQuery | str) -> SearchResults:
    """Search each marketplace; one that cannot be reached is a failure beside the others'
    hits, and an error only when none could be searched. With several marketplaces and an
    order other than relevance, their results are merged in that order."""
    if isinstance(query, str):
        query = SearchQuery(words=query)
    if query.sort not in SORTS:
        raise MarketplaceError(f"unknown sort {query.sort!r}", hint="sort by one of: " + ", ".join(SORTS))
    if not markets:
        raise MarketplaceError(
            "no marketplace has been added", hint="add one with `acc marketplace add URL --root-sha256 HEX`"
        )
    hits: list[SearchHit] = []
    failures: list[MarketplaceError] = []
    truncated: list[tuple[str, int]] = []
    for market in markets:
        try:
            found = search(market, query)
        except MarketplaceError as e:
            failures.append(e)
            continue
        hits.extend(found.hits)
        if not found.complete:
            truncated.append((market.name, found.total))
    if len(failures) == len(markets):
        raise failures[0]
    if len(markets) > 1 and query.sort != "relevance":
        hits.sort(key=_ORDERS[query.sort])
    return SearchResults(hits, failures, len(markets), truncated)


_ORDERS: dict[str, Any] = {
    "downloads": lambda h: (-h.downloads, h.name, h.marketplace),
    "rating": lambda h: (h.rating is None, -(h.rating or 0.0), -h.rating_count, h.name, h.marketplace),
    "recent": lambda h: (_descending(h.updated_at), h.name, h.marketplace),
    "name": lambda h: (h.name, h.marketplace),
}


def _descending(text: str) -> tuple[int, ...]:
    """A key that sorts ISO timestamps newest first (they compare as text)."""
    return tuple(-ord(c) for c in text)


def search(marketplace: Marketplace, query: SearchQuery | str) -> MarketplaceHits:
    """Every result of `query` on one marketplace, page after page (see the module docstring)."""
    if isinstance(query, str):
        query = SearchQuery(words=query)
    hits: dict[str, SearchHit] = {}
    claimed: int | None = None
    for page in range(1, MAX_RESULTS // PAGE_SIZE + 1):
        found, claimed = _page(marketplace, {**query.parameters(), "page": str(page), "per_page": str(PAGE_SIZE)})
        before = len(hits)
        for hit in found:
            hits.setdefault(hit.name, hit)
        last_page = len(found) < PAGE_SIZE or (claimed is not None and len(hits) >= claimed)
        if last_page or len(hits) == before:  # a full page of nothing new: the rest would repeat it
            return MarketplaceHits(list(hits.values()), max(claimed or 0, len(hits)), complete=True)
    return MarketplaceHits(list(hits.values()), max(claimed or 0, len(hits)), complete=False)


def _page(
    marketplace: Marketplace, params: dict[str, str], *, timeout: float = SEARCH_TIMEOUT_SECONDS
) -> tuple[list[SearchHit], int | None]:
    """One page of results and the `total` the marketplace claims (None if it says none)."""
    url = f"{marketplace.url}/api/v1/plugins?" + urllib.parse.urlencode(params)
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "acc"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw: bytes = response.read(MAX_SEARCH_BYTES + 1)
    except urllib.error.HTTPError as e:
        detail = _api_error(e)
        if e.code == 400 and detail:  # the registry refused the query itself: say what it said
            raise MarketplaceError(f"marketplace {marketplace.name} refused the search: {detail}") from e
        raise MarketplaceUnreachable(
            f"marketplace {marketplace.name} ({marketplace.url}) answered {e.code} {e.reason} to a search",
            hint="try again later",
        ) from e
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise MarketplaceUnreachable(
            f"cannot reach marketplace {marketplace.name} at {marketplace.url} ({reason})",
            hint="check your network connection and that the marketplace is up",
        ) from e
    if len(raw) > MAX_SEARCH_BYTES:
        raise MarketplaceError(f"marketplace {marketplace.name} sent an oversized search result")
    try:
        document = json.loads(raw)
        plugins = document["plugins"]
        if not isinstance(plugins, list):
            raise TypeError("plugins is not a list")
        claimed = document.get("total")
        total = claimed if type(claimed) is int and claimed >= 0 else None
        return [_hit(marketplace.name, p) for p in plugins], total
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise MarketplaceError(
            f"marketplace {marketplace.name} sent a search result acc cannot read ({e})",
            hint="is the URL an acc marketplace? see `acc marketplace list`",
        ) from e


def _api_error(error: urllib.error.HTTPError) -> str:
    """The registry's own message for a refused request, if it sent one (one line, capped)."""
    try:
        body = json.loads(error.read(64 * 1024))
        message = body["error"]["message"]
    except (ValueError, KeyError, TypeError, OSError):
        return ""
    return " ".join(str(message).split())[:300]


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _hit(marketplace: str, p: Any) -> SearchHit:
    if not isinstance(p, dict):
        raise TypeError("a result is not an object")
    rating = p.get("rating")
    return SearchHit(
        marketplace=marketplace,
        name=str(p["name"]),
        latest_version=str(p.get("latest_version", "")),
        description=str(p.get("description", "")),
        rating=float(rating) if isinstance(rating, int | float) and not isinstance(rating, bool) else None,
        rating_count=int(p.get("rating_count") or 0),
        downloads=int(p.get("downloads") or 0),
        capabilities=_strings(p.get("capabilities")),
        deprecated=bool(p.get("deprecated")),
        owner=str(p.get("owner") or ""),
        categories=_strings(p.get("categories")),
        keywords=_strings(p.get("keywords")),
        updated_at=str(p.get("updated_at") or ""),
        owner_verified=mark_from_json(p.get("owner_verified")),
    )


#: How long looking for "did you mean" names may take per marketplace, in all.
SUGGEST_TIMEOUT_SECONDS = 5.0


def names_like(markets: list[Marketplace], name: str) -> set[str]:
    """Names of published plugins a person who typed `name` may have meant: the results of a
    search for each word of it, and the most downloaded plugins (for a one-word typo). A
    few requests per marketplace, on the error path only; a marketplace that fails adds
    nothing. Unsigned, like every search: for "did you mean" hints only."""
    queries = [SearchQuery(words=word) for word in name.split("-")[:3] if len(word) >= 3]
    queries.append(SearchQuery(sort="downloads"))
    found: set[str] = set()
    for market in markets:
        for query in queries:
            params = {**query.parameters(), "page": "1", "per_page": str(PAGE_SIZE)}
            try:
                hits, _ = _page(market, params, timeout=SUGGEST_TIMEOUT_SECONDS / len(queries))
            except MarketplaceError:
                break
            found.update(hit.name for hit in hits)
    return found
