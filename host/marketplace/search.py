"""Search a marketplace through its JSON API (`/api/v1/plugins?q=`).

Search results are not signed: they only help a user find a name. Whatever is installed
afterwards is chosen and verified from the TUF-signed index, never from these results.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from host.errors import MarketplaceError, MarketplaceUnreachable
from host.marketplace.config import Marketplace

MAX_SEARCH_BYTES = 2 * 1024 * 1024
SEARCH_TIMEOUT_SECONDS = 15.0


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


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    #: The marketplaces that could not be searched (when at least one could).
    failures: list[MarketplaceError]
    #: How many marketplaces were searched.
    searched: int


def search_marketplaces(markets: list[Marketplace], query: str) -> SearchResults:
    """Search each marketplace; one that cannot be reached is a failure beside the others'
    hits, and an error only when none could be searched."""
    if not markets:
        raise MarketplaceError(
            "no marketplace has been added", hint="add one with `acc marketplace add URL --root-sha256 HEX`"
        )
    hits: list[SearchHit] = []
    failures: list[MarketplaceError] = []
    for market in markets:
        try:
            hits.extend(search(market, query))
        except MarketplaceError as e:
            failures.append(e)
    if len(failures) == len(markets):
        raise failures[0]
    return SearchResults(hits, failures, len(markets))


def search(marketplace: Marketplace, query: str) -> list[SearchHit]:
    url = f"{marketplace.url}/api/v1/plugins?" + urllib.parse.urlencode({"q": query})
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "acc"})
    try:
        with urllib.request.urlopen(request, timeout=SEARCH_TIMEOUT_SECONDS) as response:
            raw: bytes = response.read(MAX_SEARCH_BYTES + 1)
    except urllib.error.HTTPError as e:
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
        return [_hit(marketplace.name, p) for p in plugins]
    except (ValueError, KeyError, TypeError) as e:
        raise MarketplaceError(
            f"marketplace {marketplace.name} sent a search result acc cannot read ({e})",
            hint="is the URL an acc marketplace? see `acc marketplace list`",
        ) from e


def _hit(marketplace: str, p: Any) -> SearchHit:
    if not isinstance(p, dict):
        raise TypeError("a result is not an object")
    rating = p.get("rating")
    capabilities = p.get("capabilities") or []
    return SearchHit(
        marketplace=marketplace,
        name=str(p["name"]),
        latest_version=str(p.get("latest_version", "")),
        description=str(p.get("description", "")),
        rating=float(rating) if isinstance(rating, int | float) and not isinstance(rating, bool) else None,
        rating_count=int(p.get("rating_count") or 0),
        downloads=int(p.get("downloads") or 0),
        capabilities=tuple(str(c) for c in capabilities) if isinstance(capabilities, list) else (),
        deprecated=bool(p.get("deprecated")),
    )
