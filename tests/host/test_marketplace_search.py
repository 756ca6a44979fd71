"""Searching every added marketplace (host.marketplace.search.search_marketplaces): one that
cannot be reached is reported beside the others' hits, and is an error only when all fail."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from host.errors import MarketplaceError, MarketplaceUnreachable
from host.marketplace.config import Marketplace
from host.marketplace.search import search_marketplaces


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
