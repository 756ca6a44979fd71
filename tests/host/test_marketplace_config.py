"""Marketplace configuration on disk, the gzip-aware TUF fetcher's caps, and start-up staying lean."""

from __future__ import annotations

import gzip
import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tuf.api import exceptions as tuf_errors

from host.errors import MarketplaceError, MarketplaceUntrusted
from host.marketplace.config import MarketplaceConfig, default_name, normalize_url, root_fingerprint
from host.paths import HostPaths
from host.store import LocalStore
from tests.helpers import REPO


@pytest.mark.parametrize(
    ("url", "base", "name"),
    [
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080", "127.0.0.1-8080"),
        ("https://Plugins.Example.com", "https://plugins.example.com", "plugins.example.com"),
        ("https://example.com/acc/", "https://example.com/acc", "example.com"),
        ("http://[::1]:9000", "http://[::1]:9000", "1-9000"),
    ],
)
def test_urls_are_normalized_and_named_after_host_and_port(url: str, base: str, name: str) -> None:
    assert normalize_url(url) == base
    assert default_name(normalize_url(url)) == name


@pytest.mark.parametrize(
    "url", ["ftp://example.com", "example.com", "https://user:pw@example.com", "https://example.com/?q=1"]
)
def test_urls_that_are_not_a_marketplace_base_are_refused(url: str) -> None:
    with pytest.raises(MarketplaceError):
        normalize_url(url)


def test_add_list_remove_and_a_changed_pinned_root_is_refused(tmp_path: Path) -> None:
    paths = HostPaths(home=tmp_path / "home", cache=tmp_path / "cache")
    config = MarketplaceConfig(paths)
    market, new = config.add("acme", "https://acme.example", b'{"root": 1}')
    assert new and market.root_sha256 == root_fingerprint(b'{"root": 1}')
    assert config.add("acme", "https://acme.example", b'{"root": 1}') == (market, False)
    with pytest.raises(MarketplaceError, match="already exists"):
        config.add("acme", "https://other.example", b'{"root": 1}')
    assert [m.name for m in config.list()] == ["acme"]
    assert config.pinned_root(market) == b'{"root": 1}'
    market.root_file.write_bytes(b'{"root": 2}')
    with pytest.raises(MarketplaceUntrusted, match="no longer matches its sha256"):
        config.pinned_root(market)
    config.remove("acme")
    assert config.list() == [] and not market.directory.exists()
    with pytest.raises(MarketplaceError, match="no marketplace named 'acme' \\(added: none\\)"):
        config.get("acme")


def test_a_directory_without_config_is_not_a_marketplace_and_is_replaced_by_add(tmp_path: Path) -> None:
    paths = HostPaths(home=tmp_path / "home", cache=tmp_path / "cache")
    (paths.marketplaces / "acme" / "metadata").mkdir(parents=True)  # an interrupted add
    config = MarketplaceConfig(paths)
    assert config.list() == []
    market, new = config.add("acme", "https://acme.example", b"{}")
    assert new and config.list() == [market]


def test_a_state_file_without_marketplace_fields_is_still_read(tmp_path: Path) -> None:
    paths = HostPaths(home=tmp_path / "home", cache=tmp_path / "cache")
    paths.home.mkdir(parents=True)
    paths.state_file.write_text(
        json.dumps(
            {
                "version": 1,
                "plugins": {
                    "git": {
                        "current": "1.0.0",
                        "granted": ["process"],
                        "versions": {
                            "1.0.0": {
                                "archive_sha256": "a" * 64,
                                "wasm_sha256": "b" * 64,
                                "signer": "k",
                                "installed_at": "t",
                            }
                        },
                    }
                },
            }
        )
    )
    [plugin] = LocalStore(paths).list()
    assert (plugin.name, plugin.version, plugin.marketplace) == ("git", "1.0.0", "")


class _GzipHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"signed": "small"}' if self.path == "/small" else b"\0" * (20 * 1024 * 1024)
        self.server.accept_encodings.append(self.headers.get("Accept-Encoding", ""))  # type: ignore[attr-defined]
        data = gzip.compress(body)
        self.send_response(200)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gzip_server() -> Iterator[tuple[str, list[str]]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _GzipHandler)
    server.accept_encodings = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.accept_encodings  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def test_the_fetcher_asks_for_gzip_decodes_it_and_caps_the_decoded_length(gzip_server: tuple[str, list[str]]) -> None:
    from host.marketplace.tuf_client import GzipFetcher

    url, encodings = gzip_server
    fetcher = GzipFetcher()
    assert fetcher.download_bytes(f"{url}/small", 1024) == b'{"signed": "small"}'
    assert encodings == ["gzip"]
    # ~20 KB on the wire, 20 MB decoded: cut off at the cap, like uncompressed endless data.
    with pytest.raises(tuf_errors.DownloadLengthMismatchError):
        fetcher.download_bytes(f"{url}/bomb", 16_384)


def test_help_and_plugin_list_import_neither_tuf_nor_urllib3(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from acc_cli.root import cli\n"
        "for args in (['--help'], ['plugin', '--help'], ['marketplace', '--help'], ['plugin', 'list']):\n"
        "    result = CliRunner().invoke(cli, args, env={'ACC_HOME': sys.argv[1]})\n"
        "    assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'tuf', 'urllib3', 'wasmtime', 'sigstore'}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "home")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert proc.stdout.strip() == "[]"
