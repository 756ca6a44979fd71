"""Searching every added marketplace (host.marketplace.search): one that cannot be reached is
reported beside the others' hits, and is an error only when all fail; every page is read,
and a marketplace that pages for ever is cut off."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import host.marketplace.search as search_module
from host.errors import MarketplaceError, MarketplaceUnreachable
from host.marketplace.config import Marketplace
from host.marketplace.search import SearchQuery, search_marketplaces


class _SearchHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(
            {"plugins": [{"name": "git", "latest_version": "1.2.0", "downloads": 7, "capabilities": ["process"]}]}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def search_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SearchHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _market(name: str, url: str, tmp_path: Path) -> Marketplace:
    return Marketplace(name=name, url=url, root_sha256="0" * 64, added_at="", directory=tmp_path / name)


def test_an_unreachable_marketplace_is_a_failure_beside_the_others_hits(search_server: str, tmp_path: Path) -> None:
    found = search_marketplaces(
        [_market("up", search_server, tmp_path), _market("down", _closed_port_url(), tmp_path)], "git"
    )
    assert [(h.marketplace, h.name, h.latest_version, h.capabilities) for h in found.hits] == [
        ("up", "git", "1.2.0", ("process",))
    ]
    assert [type(f) for f in found.failures] == [MarketplaceUnreachable]
    assert "cannot reach marketplace down" in found.failures[0].message
    assert found.searched == 2


def test_when_every_marketplace_fails_the_first_failure_is_the_error(tmp_path: Path) -> None:
    markets = [_market("first", _closed_port_url(), tmp_path), _market("second", _closed_port_url(), tmp_path)]
    with pytest.raises(MarketplaceUnreachable, match="cannot reach marketplace first"):
        search_marketplaces(markets, "git")


def test_searching_no_marketplace_says_how_to_add_one() -> None:
    with pytest.raises(MarketplaceError, match="no marketplace has been added") as refused:
        search_marketplaces([], "git")
    assert refused.value.hint == "add one with `acc marketplace add URL --root-sha256 HEX`"


class _PagingHandler(http.server.BaseHTTPRequestHandler):
    """Answers /api/v1/plugins like the registry: `server.catalog(page, per_page)` gives
    (names, total) for a page; every request is recorded on the server."""

    server: _PagingServer

    def do_GET(self) -> None:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        self.server.requests.append(query)
        names, total = self.server.catalog(int(query["page"]), int(query["per_page"]))
        document: dict[str, object] = {"plugins": [{"name": n, "latest_version": "1.0.0"} for n in names]}
        if total is not None:
            document["total"] = total
        body = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _PagingServer(http.server.ThreadingHTTPServer):
    def __init__(self, catalog: Callable[[int, int], tuple[list[str], int | None]]) -> None:
        super().__init__(("127.0.0.1", 0), _PagingHandler)
        self.catalog = catalog
        self.requests: list[dict[str, str]] = []


@contextmanager
def _paging(catalog: Callable[[int, int], tuple[list[str], int | None]]) -> Iterator[_PagingServer]:
    server = _PagingServer(catalog)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _honest(names: list[str], *, with_total: bool = True) -> Callable[[int, int], tuple[list[str], int | None]]:
    def catalog(page: int, per_page: int) -> tuple[list[str], int | None]:
        return names[(page - 1) * per_page : page * per_page], len(names) if with_total else None

    return catalog


@pytest.mark.parametrize("with_total", [True, False], ids=["with total", "without total"])
def test_search_follows_the_pages_until_every_result_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_total: bool
) -> None:
    monkeypatch.setattr(search_module, "PAGE_SIZE", 2)
    names = [f"plugin-{i}" for i in range(5)]
    with _paging(_honest(names, with_total=with_total)) as server:
        found = search_module.search(_market("m", f"http://127.0.0.1:{server.server_port}", tmp_path), "")
    assert [h.name for h in found.hits] == names
    assert (found.total, found.complete) == (5, True)
    assert [r["page"] for r in server.requests] == ["1", "2", "3"]
    assert {r["per_page"] for r in server.requests} == {"2"}


def test_a_marketplace_repeating_one_page_for_ever_is_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It claims a billion results and serves the same full page for every page number."""
    monkeypatch.setattr(search_module, "PAGE_SIZE", 2)
    with _paging(lambda page, per_page: (["a", "b"], 10**9)) as server:
        found = search_module.search(_market("m", f"http://127.0.0.1:{server.server_port}", tmp_path), "")
    assert [h.name for h in found.hits] == ["a", "b"]
    assert len(server.requests) == 2  # the second page brought nothing new: stop


def test_a_marketplace_with_endless_results_is_cut_at_the_cap_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "PAGE_SIZE", 2)
    monkeypatch.setattr(search_module, "MAX_RESULTS", 6)
    endless = lambda page, per_page: ([f"p{page}-{i}" for i in range(per_page)], 10**9)  # noqa: E731
    with _paging(endless) as server:
        market = _market("endless", f"http://127.0.0.1:{server.server_port}", tmp_path)
        results = search_marketplaces([market], "")
    assert len(results.hits) == 6 and len(server.requests) == 3
    assert results.truncated == [("endless", 10**9)]


def test_a_plugin_moving_between_pages_is_listed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A download between two requests moves `b` from page 1 to page 2: it is listed once."""
    monkeypatch.setattr(search_module, "PAGE_SIZE", 2)
    pages = {1: ["a", "b"], 2: ["b", "c"], 3: ["d"]}
    with _paging(lambda page, per_page: (pages.get(page, []), 4)) as server:
        found = search_module.search(_market("m", f"http://127.0.0.1:{server.server_port}", tmp_path), "")
    assert [h.name for h in found.hits] == ["a", "b", "c", "d"]


def test_the_filters_are_sent_as_the_registry_names_them(tmp_path: Path) -> None:
    query = SearchQuery(words="lint", category="quality", capability="process", no_network=True, sort="downloads")
    with _paging(_honest([])) as server:
        search_module.search(_market("m", f"http://127.0.0.1:{server.server_port}", tmp_path), query)
    assert server.requests == [
        {
            "q": "lint",
            "category": "quality",
            "capability": "process",
            "network": "none",
            "sort": "downloads",
            "page": "1",
            "per_page": "100",
        }
    ]
