"""Behind a TLS reverse proxy (docs/registry.md, "Behind a TLS reverse proxy"): the scheme
the proxy saw is believed only from the proxies `trusted_proxies` counts, the host is never
taken from X-Forwarded-Host, and `public_url` overrides both. (Client addresses:
tests/registry/test_front_end.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from registry.app import create_app
from tests.registry_kit import config_for

PROXY = "127.0.0.1"  # nginx or Caddy on the same host


@pytest.fixture
def data_dir(sqlite_template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "registry-data"
    shutil.copytree(sqlite_template, copy)
    return copy


def _pin_url_shown(data_dir: Path, headers: dict[str, str], **settings: object) -> str:
    """The marketplace URL in the home page's `acc marketplace add` command."""
    app = create_app(config_for(data_dir, **settings))
    try:
        page = app.test_client().get("/", headers=headers, environ_base={"REMOTE_ADDR": PROXY})
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        start = text.index("acc marketplace add ") + len("acc marketplace add ")
        return text[start : text.index(" ", start)]
    finally:
        app.extensions["acc_registry"].db.dispose()


@pytest.mark.parametrize(
    ("trusted_proxies", "headers", "shown"),
    [
        # What nginx/Caddy send: Host as the client asked, the scheme TLS ended with.
        (1, {"Host": "plugins.example.com", "X-Forwarded-Proto": "https"}, "https://plugins.example.com"),
        # No proxy configured: X-Forwarded-Proto is anyone's to forge, so it is ignored.
        (0, {"Host": "plugins.example.com", "X-Forwarded-Proto": "https"}, "http://plugins.example.com"),
        # X-Forwarded-Host is never believed (the proxy passes Host itself).
        (1, {"Host": "plugins.example.com", "X-Forwarded-Host": "evil.example"}, "http://plugins.example.com"),
        # Two values where one proxy is trusted: the one our proxy appended wins.
        (1, {"Host": "plugins.example.com", "X-Forwarded-Proto": "https, http"}, "http://plugins.example.com"),
    ],
    ids=["proxy-https", "untrusted-proto", "forwarded-host-ignored", "client-prefix-ignored"],
)
def test_the_scheme_comes_from_the_trusted_proxy_only_and_the_host_from_host(
    data_dir: Path, trusted_proxies: int, headers: dict[str, str], shown: str
) -> None:
    assert _pin_url_shown(data_dir, headers, trusted_proxies=trusted_proxies) == shown


def test_public_url_overrides_whatever_the_request_says(data_dir: Path) -> None:
    headers = {"Host": "evil.example", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example"}
    shown = _pin_url_shown(data_dir, headers, trusted_proxies=1, public_url="https://plugins.example.com")
    assert shown == "https://plugins.example.com"
