"""The http capability against a real HTTP server on loopback, and its pure URL check.

Only 127.0.0.0/8 is ever contacted: refused URLs (other hosts, 127.0.0.2, evil.example)
are refused by `check_url` before any DNS lookup or connection.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from host.capabilities.errors import CapabilityError, Denied, Failed, Invalid, LimitExceeded
from host.capabilities.http import (
    HttpRequest,
    HttpScope,
    check_url,
    fetch,
    parse_host_pattern,
)

BIG_BYTES = 10 * 1024 * 1024
ENDLESS_BYTES = 256 * 1024 * 1024
SMALL_CAP = 1024 * 1024


@dataclass
class ServerState:
    """What the test server saw, shared with the tests."""

    port: int = 0
    hits: list[tuple[str, str, str]] = field(default_factory=list)  # (Host, method, path)
    release: threading.Event = field(default_factory=threading.Event)
    endless_done: threading.Event = field(default_factory=threading.Event)
    endless_sent: int = 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: ServerState


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean."""

    def do_GET(self) -> None:
        self._route()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _route(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        state.hits.append((self.headers.get("Host", ""), self.command, url.path))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        base = f"http://127.0.0.1:{state.port}"
        match url.path:
            case "/ok":
                self._reply(200, b"hello from /ok")
            case "/big":
                self._big()
            case "/endless":
                self._endless()
            case "/redirect-ok":
                self._redirect(302, "/ok")
            case "/redirect-out":
                self._redirect(302, f"http://127.0.0.2:{state.port}/ok")
            case "/redirect-named-out":
                self._redirect(302, "http://evil.example/ok")
            case "/redirect-file":
                self._redirect(302, "file:///etc/passwd")
            case "/redirect":
                query = parse_qs(url.query)
                self._redirect(int(query.get("status", ["302"])[0]), query["to"][0])
            case "/loop":
                self._redirect(302, f"{base}/loop")
            case "/slow":
                state.release.wait(10)
                self._reply(200, b"too late")
            case "/trickle":
                self._trickle()
            case "/echo-headers":
                echo = {
                    "method": self.command,
                    "body": body.decode("latin-1"),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
                self._reply(200, json.dumps(echo).encode())
            case "/many-headers":
                self.send_response(200)
                for i in range(150):
                    self.send_header(f"X-Header-{i}", "v")
                self.send_header("Content-Length", "0")
                self.end_headers()
            case "/large-headers":
                self.send_response(200)
                for i in range(20):
                    self.send_header(f"X-Header-{i}", "v" * 4000)
                self.send_header("Content-Length", "0")
                self.end_headers()
            case _:
                self._reply(404, b"no such path")

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, status: int, location: str) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _big(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(BIG_BYTES))
        self.end_headers()
        chunk = b"x" * 65536
        try:
            for _ in range(BIG_BYTES // len(chunk)):
                self.wfile.write(chunk)
        except OSError:
            pass  # the client hung up, as it should

    def _endless(self) -> None:
        # No Content-Length: the body ends when the server closes, so only the client's
        # own cap can stop it. Records how much the client let through.
        state = self.server.state
        self.send_response(200)
        self.end_headers()
        chunk = b"y" * 65536
        try:
            while state.endless_sent < ENDLESS_BYTES:
                self.wfile.write(chunk)
                state.endless_sent += len(chunk)
        except OSError:
            pass
        finally:
            state.endless_done.set()

    def _trickle(self) -> None:
        # One byte every 50 ms: every single read finishes well within a socket timeout,
        # only an overall deadline stops it.
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                if self.server.state.release.wait(0.05):
                    return
                self.wfile.write(b"z")
        except OSError:
            pass


def _serve(server: _Server) -> Iterator[ServerState]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.state
    finally:
        server.state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def server() -> Iterator[ServerState]:
    """A real ThreadingHTTPServer on 127.0.0.1, a fresh port per test."""
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.state = ServerState(port=httpd.server_address[1])
    yield from _serve(httpd)


def _scope(state: ServerState, *extra: str, **limits: Any) -> HttpScope:
    return HttpScope((f"http://127.0.0.1:{state.port}", *extra), **limits)


def _get(url: str, headers: list[tuple[str, str]] | None = None) -> HttpRequest:
    return HttpRequest("GET", url, headers or [], b"")


# ---------------------------------------------------------------------------------------
# Fetches against the real server.


def test_allowed_fetch_returns_status_headers_and_body(server: ServerState) -> None:
    response = fetch(_scope(server), _get(f"http://127.0.0.1:{server.port}/ok"))

    assert response.status == 200
    assert response.body == b"hello from /ok"
    assert ("Content-Length", "14") in response.headers
    assert server.hits == [(f"127.0.0.1:{server.port}", "GET", "/ok")]


def test_non_2xx_status_is_returned_not_raised(server: ServerState) -> None:
    response = fetch(_scope(server), _get(f"http://127.0.0.1:{server.port}/missing"))

    assert (response.status, response.body) == (404, b"no such path")


def test_unlisted_host_is_denied_naming_the_host(server: ServerState) -> None:
    with pytest.raises(Denied) as caught:
        fetch(_scope(server), _get("https://example.com/"))

    assert "example.com" in caught.value.message
    assert "not in the plugin's http grant" in caught.value.message
    assert server.hits == []


def test_https_only_entry_refuses_plain_http_url(server: ServerState) -> None:
    scope = HttpScope((f"127.0.0.1:{server.port}",))  # bare entry: https only

    with pytest.raises(Denied) as caught:
        fetch(scope, _get(f"http://127.0.0.1:{server.port}/ok"))

    assert "127.0.0.1" in caught.value.message
    assert f"https://127.0.0.1:{server.port}" in caught.value.message  # what is allowed
    assert server.hits == []


def test_wrong_port_is_denied(server: ServerState) -> None:
    other_port = server.port + 1 if server.port < 65535 else server.port - 1

    with pytest.raises(Denied) as caught:
        fetch(_scope(server), _get(f"http://127.0.0.1:{other_port}/ok"))

    assert "not in the plugin's http grant" in caught.value.message
    assert str(other_port) in caught.value.message


def test_userinfo_trick_is_refused_before_connecting(server: ServerState) -> None:
    url = f"http://127.0.0.1:{server.port}@127.0.0.2:{server.port}/ok"

    with pytest.raises(Invalid, match="user info"):
        fetch(_scope(server), _get(url))

    assert server.hits == []


def test_file_scheme_is_refused(server: ServerState) -> None:
    with pytest.raises(Invalid, match="scheme 'file' is not supported"):
        fetch(_scope(server), _get("file:///etc/passwd"))


def test_redirect_within_grant_is_followed(server: ServerState) -> None:
    response = fetch(_scope(server), _get(f"http://127.0.0.1:{server.port}/redirect-ok"))

    assert (response.status, response.body) == (200, b"hello from /ok")
    assert [path for _, _, path in server.hits] == ["/redirect-ok", "/ok"]


@pytest.mark.parametrize(
    ("path", "named_host"),
    [
        ("/redirect-out", "127.0.0.2"),
        ("/redirect-named-out", "evil.example"),
    ],
)
def test_redirect_outside_grant_is_denied(server: ServerState, path: str, named_host: str) -> None:
    with pytest.raises(Denied) as caught:
        fetch(_scope(server), _get(f"http://127.0.0.1:{server.port}{path}"))

    assert named_host in caught.value.message
    assert "not in the plugin's http grant" in caught.value.message
    assert "redirect" in caught.value.message
    assert [p for _, _, p in server.hits] == [path]


def test_redirect_to_other_scheme_is_refused(server: ServerState) -> None:
    with pytest.raises(Invalid, match="scheme 'file'"):
        fetch(_scope(server), _get(f"http://127.0.0.1:{server.port}/redirect-file"))


def test_redirect_loop_hits_limit(server: ServerState) -> None:
    scope = _scope(server, max_redirects=3)

    with pytest.raises(LimitExceeded, match="more than 3 redirects"):
        fetch(scope, _get(f"http://127.0.0.1:{server.port}/loop"))

    assert len(server.hits) == 4  # the first request and three followed redirects


def test_oversized_declared_response_hits_limit(server: ServerState) -> None:
    scope = _scope(server, max_response_bytes=SMALL_CAP)
    started = time.monotonic()

    with pytest.raises(LimitExceeded, match=f"response larger than {SMALL_CAP} bytes"):
        fetch(scope, _get(f"http://127.0.0.1:{server.port}/big"))

    assert time.monotonic() - started < 5


def test_oversized_endless_response_stops_reading_at_the_cap(server: ServerState) -> None:
    scope = _scope(server, max_response_bytes=SMALL_CAP)

    with pytest.raises(LimitExceeded, match=f"response larger than {SMALL_CAP} bytes"):
        fetch(scope, _get(f"http://127.0.0.1:{server.port}/endless"))

    assert server.endless_done.wait(10), "the server kept writing after the client stopped"
    # The cap plus what the kernel's socket buffers absorbed, nowhere near 256 MiB.
    assert server.endless_sent < 64 * 1024 * 1024


def test_slow_response_hits_time_limit(server: ServerState) -> None:
    scope = _scope(server, timeout_seconds=0.5)
    started = time.monotonic()

    with pytest.raises(LimitExceeded, match=r"within 0\.5 seconds"):
        fetch(scope, _get(f"http://127.0.0.1:{server.port}/slow"))

    assert time.monotonic() - started < 3


def test_trickling_response_hits_overall_deadline(server: ServerState) -> None:
    scope = _scope(server, timeout_seconds=0.5)
    started = time.monotonic()

    with pytest.raises(LimitExceeded, match=r"within 0\.5 seconds"):
        fetch(scope, _get(f"http://127.0.0.1:{server.port}/trickle"))

    assert time.monotonic() - started < 3


def test_too_many_response_headers_hit_limit(server: ServerState) -> None:
    with pytest.raises(LimitExceeded, match=r"response headers .* too large"):
        fetch(_scope(server), _get(f"http://127.0.0.1:{server.port}/many-headers"))


def test_oversized_response_headers_hit_limit(server: ServerState) -> None:
    with pytest.raises(LimitExceeded, match="response headers larger than 65536 bytes"):
        fetch(_scope(server), _get(f"http://127.0.0.1:{server.port}/large-headers"))


@pytest.mark.parametrize(
    "header",
    [
        ("X-Note", "a\r\nX-Injected: 1"),
        ("X-Note", "a\nb"),
        ("X-Note", "a\x00b"),
        ("X-Note\r\nX-Injected", "1"),
        ("X Note", "1"),
    ],
)
def test_cr_lf_or_control_character_in_header_is_refused(server: ServerState, header: tuple[str, str]) -> None:
    with pytest.raises(Invalid):
        fetch(_scope(server), _get(f"http://127.0.0.1:{server.port}/ok", [header]))

    assert server.hits == []


@pytest.mark.parametrize(
    "name",
    [
        "Host",
        "content-length",
        "Transfer-Encoding",
        "Connection",
        "Upgrade",
    ],
)
def test_host_set_header_is_refused(server: ServerState, name: str) -> None:
    request = _get(f"http://127.0.0.1:{server.port}/ok", [(name, "1")])

    with pytest.raises(Invalid, match="set by the host"):
        fetch(_scope(server), request)

    assert server.hits == []


def test_method_outside_the_allowed_set_is_refused(server: ServerState) -> None:
    with pytest.raises(Invalid, match="method 'TRACE' is not allowed"):
        fetch(_scope(server), HttpRequest("TRACE", f"http://127.0.0.1:{server.port}/ok", [], b""))

    assert server.hits == []


def test_request_body_over_cap_hits_limit(server: ServerState) -> None:
    scope = _scope(server, max_request_bytes=1000)
    request = HttpRequest("POST", f"http://127.0.0.1:{server.port}/echo-headers", [], b"x" * 1001)

    with pytest.raises(LimitExceeded, match="request body larger than 1000 bytes"):
        fetch(scope, request)

    assert server.hits == []


def test_post_sends_body_and_plugin_headers(server: ServerState) -> None:
    request = HttpRequest(
        "POST",
        f"http://127.0.0.1:{server.port}/echo-headers",
        [("Content-Type", "text/plain"), ("X-Twice", "a"), ("X-Twice", "b")],
        b"payload",
    )

    echo = json.loads(fetch(_scope(server), request).body)

    assert echo["method"] == "POST"
    assert echo["body"] == "payload"
    assert echo["headers"]["content-length"] == "7"
    assert echo["headers"]["content-type"] == "text/plain"
    assert echo["headers"]["host"] == f"127.0.0.1:{server.port}"


def test_redirect_to_other_host_drops_authorization_and_cookie(server: ServerState) -> None:
    scope = _scope(server, f"http://localhost:{server.port}")
    to = f"http://localhost:{server.port}/echo-headers"
    request = _get(
        f"http://127.0.0.1:{server.port}/redirect?to={to}",
        [("Authorization", "Bearer secret"), ("Cookie", "s=1"), ("X-Keep", "yes")],
    )

    echo = json.loads(fetch(scope, request).body)

    assert echo["headers"]["host"] == f"localhost:{server.port}"
    assert "authorization" not in echo["headers"]
    assert "cookie" not in echo["headers"]
    assert echo["headers"]["x-keep"] == "yes"


def test_redirect_to_same_host_keeps_authorization(server: ServerState) -> None:
    request = _get(f"http://127.0.0.1:{server.port}/redirect?to=/echo-headers", [("Authorization", "Bearer secret")])

    echo = json.loads(fetch(_scope(server), request).body)

    assert echo["headers"]["authorization"] == "Bearer secret"


def test_redirect_to_host_not_granted_is_denied_before_sending_credentials(server: ServerState) -> None:
    to = f"http://localhost:{server.port}/echo-headers"  # same server, but not granted
    request = _get(f"http://127.0.0.1:{server.port}/redirect?to={to}", [("Authorization", "Bearer secret")])

    with pytest.raises(Denied, match="host localhost is not in the plugin's http grant"):
        fetch(_scope(server), request)

    assert [host for host, _, _ in server.hits] == [f"127.0.0.1:{server.port}"]


def test_303_turns_post_into_get_without_body(server: ServerState) -> None:
    request = HttpRequest(
        "POST",
        f"http://127.0.0.1:{server.port}/redirect?status=303&to=/echo-headers",
        [("Content-Type", "text/plain")],
        b"payload",
    )

    echo = json.loads(fetch(_scope(server), request).body)

    assert echo["method"] == "GET"
    assert echo["body"] == ""
    assert "content-type" not in echo["headers"]


def test_307_keeps_method_and_body(server: ServerState) -> None:
    request = HttpRequest(
        "POST", f"http://127.0.0.1:{server.port}/redirect?status=307&to=/echo-headers", [], b"payload"
    )

    echo = json.loads(fetch(_scope(server), request).body)

    assert (echo["method"], echo["body"]) == ("POST", "payload")


def test_connection_refused_is_a_short_failure(server: ServerState) -> None:
    # Bind and close a socket to get a loopback port nobody listens on.
    probe = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = probe.server_address[1]
    probe.server_close()

    with pytest.raises(Failed, match=rf"connection to 127\.0\.0\.1:{port} refused"):
        fetch(HttpScope((f"http://127.0.0.1:{port}",)), _get(f"http://127.0.0.1:{port}/"))


# ---------------------------------------------------------------------------------------
# TLS: certificate verification is on.


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[ServerState]:
    """The same handler behind TLS with a self-signed certificate no CA vouches for."""
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.state = ServerState(port=httpd.server_address[1])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_self_signed(tmp_path))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    yield from _serve(httpd)


def test_https_certificate_is_verified(tls_server: ServerState) -> None:
    scope = HttpScope((f"127.0.0.1:{tls_server.port}",))  # bare entry: https

    with pytest.raises(Failed, match=r"certificate of 127\.0\.0\.1 was not accepted"):
        fetch(scope, _get(f"https://127.0.0.1:{tls_server.port}/ok"))

    assert tls_server.hits == []


# ---------------------------------------------------------------------------------------
# The pure decision: no network.

ALLOW = "allow"

URL_CASES: list[tuple[tuple[str, ...], str, str | type[CapabilityError]]] = [
    # exact host names: https, port 443, case and trailing dot normalised
    (("api.github.com",), "https://api.github.com/repos/x?page=2", ALLOW),
    (("api.github.com",), "https://API.GitHub.COM/repos", ALLOW),
    (("api.github.com",), "https://api.github.com./repos", ALLOW),
    (("API.GITHUB.COM.",), "https://api.github.com/", ALLOW),
    (("api.github.com",), "https://api.github.com:443/", ALLOW),
    (("api.github.com",), "HTTPS://api.github.com/", ALLOW),
    (("api.github.com",), "http://api.github.com/", Denied),
    (("api.github.com",), "https://api.github.com:8443/", Denied),
    (("api.github.com",), "https://github.com/", Denied),
    (("api.github.com",), "https://api.github.com.evil.com/", Denied),
    (("api.github.com",), "https://evil.com/?api.github.com", Denied),
    (("api.github.com",), "https://evil.com/#@api.github.com", Denied),
    (("api.github.com",), "https://api.github.com..", Invalid),
    # user info, backslashes, whitespace, non-ASCII
    (("api.github.com",), "https://api.github.com@evil.com/", Invalid),
    (("api.github.com",), "https://user:pw@api.github.com/", Invalid),
    (("api.github.com",), "https://evil.com\\@api.github.com/", Invalid),
    (("api.github.com",), "https://api.github.com\t.evil.com/", Invalid),
    (("api.github.com",), "https://api.github.com/ x", Invalid),
    (("api.github.com",), "https://api.gith\u212aub.com/", Invalid),
    # other schemes and non-absolute URLs
    (("api.github.com",), "file:///etc/passwd", Invalid),
    (("api.github.com",), "ftp://api.github.com/", Invalid),
    (("api.github.com",), "data:text/plain,hello", Invalid),
    (("api.github.com",), "//api.github.com/", Invalid),
    (("api.github.com",), "https:api.github.com/", Invalid),
    # ports
    (("example.com:8443",), "https://example.com:8443/", ALLOW),
    (("example.com:8443",), "https://example.com/", Denied),
    (("api.github.com",), "https://api.github.com:0/", Invalid),
    (("api.github.com",), "https://api.github.com:+443/", Invalid),
    (("api.github.com",), "https://api.github.com:99999/", Invalid),
    (("api.github.com",), "https://api.github.com:/", Invalid),
    # wildcards: one or more labels, never the bare domain or a look-alike
    (("*.github.com",), "https://api.github.com/", ALLOW),
    (("*.github.com",), "https://a.b.github.com/", ALLOW),
    (("*.github.com",), "https://github.com/", Denied),
    (("*.github.com",), "https://evilgithub.com/", Denied),
    (("*.github.com",), "https://github.com.evil.com/", Denied),
    (("*.github.com",), "http://api.github.com/", Denied),
    # plain http only where the entry says so, on its port
    (("http://127.0.0.1:8080",), "http://127.0.0.1:8080/x", ALLOW),
    (("http://127.0.0.1:8080",), "https://127.0.0.1:8080/x", Denied),
    (("http://127.0.0.1:8080",), "http://127.0.0.1/x", Denied),
    (("http://example.com",), "http://example.com/", ALLOW),
    (("http://example.com",), "http://example.com:8080/", Denied),
    (("https://example.com",), "https://example.com/", ALLOW),
    # IP literals: only when listed exactly, only in canonical form
    (("http://127.0.0.1:8080",), "http://localhost:8080/", Denied),
    (("http://127.0.0.1:8080",), "http://127.0.0.2:8080/", Denied),
    (("http://127.0.0.1:8080",), "http://127.1:8080/", Invalid),
    (("http://127.0.0.1:8080",), "http://2130706433:8080/", Invalid),
    (("http://127.0.0.1:8080",), "http://0x7f.0.0.1:8080/", Invalid),
    (("http://127.0.0.1:8080",), "http://0177.0.0.1:8080/", Invalid),
    (("http://127.0.0.1:8080",), "http://[::ffff:127.0.0.1]:8080/", Denied),
    (("*.github.com",), "https://140.82.112.6/", Denied),
    (("https://[::1]:8443",), "https://[0:0::1]:8443/", ALLOW),
    (("https://[::1]:8443",), "https://[::2]:8443/", Denied),
    (("https://[::1]:8443",), "https://[fe80::1%25eth0]:8443/", Invalid),
    # nothing granted: nothing allowed
    ((), "https://api.github.com/", Denied),
]


@pytest.mark.parametrize(("hosts", "url", "expected"), URL_CASES)
def test_check_url_table(hosts: tuple[str, ...], url: str, expected: str | type[CapabilityError]) -> None:
    scope = HttpScope(hosts)
    if expected == ALLOW:
        assert scope.allows(url)
        target = check_url(scope, url)
        assert target.path.startswith("/")
    else:
        assert isinstance(expected, type)
        assert not scope.allows(url)
        with pytest.raises(expected):
            check_url(scope, url)


def test_check_url_returns_the_normalised_target() -> None:
    target = check_url(HttpScope(("*.github.com",)), "https://API.GitHub.com./a/b?c=d#frag")

    assert (target.scheme, target.host, target.port, target.path) == ("https", "api.github.com", 443, "/a/b?c=d")


def test_denied_message_names_the_host_and_the_grant() -> None:
    with pytest.raises(Denied) as caught:
        check_url(HttpScope(("api.github.com",)), "https://evil.example/x")

    assert caught.value.message == (
        "host evil.example is not in the plugin's http grant (requested https://evil.example:443)"
    )


@pytest.mark.parametrize(
    "entry",
    [
        "*",
        "*.com",
        "a.*.com",
        "**.github.com",
        "*.127.0.0.1",
        "http://example.com/path",
        "user@example.com",
        "example.com:0",
        "example.com:http",
        "exa mple.com",
        "ex\u212aample.com",
        "",
        "http://",
    ],
)
def test_malformed_grant_entries_are_rejected(entry: str) -> None:
    with pytest.raises(ValueError):
        parse_host_pattern(entry)
    with pytest.raises(ValueError):
        HttpScope((entry,))


# ---------------------------------------------------------------------------------------
# DNS rebinding: the address a granted name resolves to is checked at connect time.


def _resolving_to(*addresses: str) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.0.0.2",
        "::1",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",
        "fd00:ec2::254",
        "fe80::1",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "::ffff:127.0.0.1",
        "64:ff9b::7f00:1",
        "2002:7f00:1::",
    ],
    ids=lambda a: a,
)
def test_a_granted_name_resolving_to_a_special_address_is_refused(server: ServerState, address: str) -> None:
    # The grant names rebind.example; its DNS now answers with an address of the user's own
    # network (here: where the test server listens, for the loopback cases).
    scope = HttpScope((f"http://rebind.example:{server.port}",), resolve=_resolving_to(address))

    with pytest.raises(Denied) as refused:
        fetch(scope, _get(f"http://rebind.example:{server.port}/ok"))

    assert f"rebind.example resolves to {ipaddress.ip_address(address)}" in refused.value.message
    assert "only a grant of that address itself" in refused.value.message
    assert server.hits == []


def test_one_special_address_among_public_ones_refuses_the_fetch(server: ServerState) -> None:
    scope = HttpScope((f"http://rebind.example:{server.port}",), resolve=_resolving_to("93.184.216.34", "127.0.0.1"))
    with pytest.raises(Denied, match="resolves to 127.0.0.1, a loopback address"):
        fetch(scope, _get(f"http://rebind.example:{server.port}/ok"))
    assert server.hits == []


def test_the_connection_goes_to_the_checked_address_not_a_second_lookup(server: ServerState) -> None:
    # The first answer is the one checked and used: a resolver that would answer
    # differently the second time is never asked again.
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])
    scope = HttpScope((f"http://localhost:{server.port}",), resolve=lambda host, port: next(answers))
    response = fetch(scope, _get(f"http://localhost:{server.port}/echo-headers"))

    assert response.status == 200
    assert json.loads(response.body)["headers"]["host"] == f"localhost:{server.port}"  # the name, not the address
    assert next(answers) == ["10.9.9.9"]  # the second answer was never taken


def test_localhost_reaches_loopback_only(server: ServerState) -> None:
    scope = HttpScope((f"http://localhost:{server.port}",), resolve=_resolving_to("10.0.0.7"))
    with pytest.raises(Denied, match="resolves to 10.0.0.7, a private network address"):
        fetch(scope, _get(f"http://localhost:{server.port}/ok"))


def test_a_grant_of_the_literal_address_reaches_it(server: ServerState) -> None:
    # What the existing tests do: the consent prompt showed the address itself.
    response = fetch(_scope(server), _get(f"http://127.0.0.1:{server.port}/ok"))
    assert response.status == 200


def test_a_public_address_is_not_refused_by_the_address_check() -> None:
    from host.capabilities.addresses import is_special, may_connect

    for text in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "1.1.1.1"):
        address = ipaddress.ip_address(text)
        assert not is_special(address)
        assert may_connect(address, ["example.com"])
    assert may_connect(ipaddress.ip_address("10.1.2.3"), ["10.1.2.3"])
    assert not may_connect(ipaddress.ip_address("10.1.2.4"), ["10.1.2.3"])


def test_a_resolver_that_hangs_is_cut_by_the_deadline() -> None:
    never = threading.Event()

    def hang(host: str, port: int) -> list[str]:
        never.wait(10)
        return ["127.0.0.1"]

    scope = HttpScope(("http://slow-dns.example:80",), timeout_seconds=0.5, resolve=hang)
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match="within 0.5 seconds"):
        fetch(scope, _get("http://slow-dns.example/"))
    assert time.monotonic() - started < 2
    never.set()


def test_the_capability_loads_tls_and_http_client_only_at_the_first_fetch(server: ServerState) -> None:
    """A plugin granted http that never fetches costs no OpenSSL (about 4 MB resident) in a
    long-lived host: binding imports neither ssl, http.client nor socket; a fetch does."""
    import subprocess
    import sys

    from tests.helpers import REPO

    code = (
        "import sys, host.capabilities.http as http\n"
        "print('ssl' in sys.modules, 'http.client' in sys.modules, 'socket' in sys.modules)\n"
        f"scope = http.HttpScope(('http://127.0.0.1:{server.port}',))\n"
        f"reply = http.fetch(scope, http.HttpRequest('GET', 'http://127.0.0.1:{server.port}/ok', [], b''))\n"
        "print(reply.status, 'ssl' in sys.modules, 'http.client' in sys.modules, 'socket' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["False False False", "200 True True True"]
