"""Capability `http`, bound: fetch a URL on a host the user granted.

A grant (`HttpScope.hosts`) lists host patterns; their grammar is the format's
(`sdk.capabilities.http`, the same rules the manifest was checked with). URLs with user
info, other schemes, odd numeric hosts (``127.1``, ``0x7f.0.0.1``) or non-ASCII
characters are refused before any connection is made. The decision is a pure function, `check_url`; `fetch` is the IO
shell around it, and it re-checks every redirect with the same function.

Refusals, as the guest sees them (see `host.capabilities`)::

    Denied    the URL's scheme, host or port is not in the grant (also after a redirect)
    Invalid   malformed URL, unsupported scheme, user info, bad method or header,
              a header the host sets itself (Host, Content-Length, ...)
    LimitExceeded  request or response too large, too many headers or redirects, too slow
    Failed    DNS, connection, TLS or protocol failure

DNS rebinding: a granted name is resolved once per connection, each address it resolves
to is checked (`host.capabilities.addresses`: loopback, private, link-local, metadata and
other special addresses only when the grant names them literally), and the connection
goes to the checked address, never to a second lookup's answer; TLS still verifies the
certificate for the name. The resolver is `HttpScope.resolve`, a seam for tests.

Time: a fetch stops at `HttpScope.timeout_seconds` or at the plugin call's deadline
(`host.deadline`), whichever comes first, DNS included.

Proxies from the environment are never used: `http.client` does not read
``HTTP_PROXY``/``HTTPS_PROXY`` (unlike urllib), and this module does not either.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from host.capabilities.addresses import IPAddress, may_connect, special_kind
from host.capabilities.binding import BindContext, Binding, scope_as
from host.capabilities.errors import CapabilityError, Denied, Failed, Invalid, LimitExceeded
from host.deadline import current_deadline
from sdk.capabilities import Capability
from sdk.capabilities.http import (
    DEFAULT_PORTS,
    PRINTABLE_ASCII,
    HostRule,
    HttpCapability,
    ParsedTarget,
    bracket,
    normalise_host,
    parse_host_pattern,
    split_host_port,
)

if TYPE_CHECKING:
    # Loaded at the first fetch, not when the capability is bound: TLS (OpenSSL, about 4 MB
    # resident), http.client's email parser and sockets cost nothing for a plugin that never fetches.
    import http.client
    import socket
    import ssl

__all__ = [
    "ALLOWED_METHODS",
    "HOST_SET_HEADERS",
    "HostRule",
    "HttpRequest",
    "HttpResponse",
    "HttpScope",
    "ParsedTarget",
    "bind",
    "check_url",
    "fetch",
    "parse_host_pattern",
    "system_resolver",
]

MIB = 1024 * 1024

ALLOWED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Framing and hop-by-hop headers belong to the connection the host makes, not to the
# plugin: a plugin-chosen Content-Length or Transfer-Encoding is a request-smuggling tool.
HOST_SET_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
    }
)

MAX_URL_LENGTH = 8192
MAX_REQUEST_HEADERS = 100
MAX_REQUEST_HEADER_BYTES = 64 * 1024
# http.client itself stops at 100 header lines of 64 KiB each; these tighter caps apply
# to what is handed back to the plugin.
MAX_RESPONSE_HEADERS = 100
MAX_RESPONSE_HEADER_BYTES = 64 * 1024

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_BODY_HEADERS = frozenset({"content-type", "content-encoding", "content-language", "content-location"})
_READ_CHUNK = 64 * 1024
_USER_AGENT = "acc-plugins-http/1"

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# HTAB, visible ASCII, space and Latin-1 obs-text; no CR, LF, NUL or other controls.
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


def bind(capability: Capability, context: BindContext) -> Binding:
    scope = HttpScope(hosts=scope_as(capability, HttpCapability).hosts)

    def do_fetch(request: Any) -> HttpResponse:
        return fetch(
            scope,
            HttpRequest(
                method=request.method,
                url=request.url,
                headers=[(str(k), str(v)) for k, v in request.headers],
                body=bytes(request.body),
            ),
        )

    return Binding(functions={"fetch": do_fetch})


# ---------------------------------------------------------------------------------------
# The pure core: URL parsing, the grant decision.


def check_url(scope: HttpScope, url: str) -> ParsedTarget:
    """Parse `url` and check it against the grant; raise Invalid or Denied if refused.

    Pure: no DNS, no sockets. The returned target is what `fetch` connects to, so the
    check and the connection can never disagree about the host.
    """
    target = _parse_url(url)
    if any(rule.matches(target) for rule in scope.rules):
        return target
    where = f"{target.scheme}://{bracket(target.host)}:{target.port}"
    same_host = [rule.describe() for rule in scope.rules if rule.matches_host(target.host)]
    if same_host:
        raise Denied(
            f"host {target.host} is not in the plugin's http grant for {where}; "
            f"the grant allows only {', '.join(same_host)}"
        )
    raise Denied(f"host {target.host} is not in the plugin's http grant (requested {where})")


def _parse_url(url: str) -> ParsedTarget:
    if len(url) > MAX_URL_LENGTH:
        raise Invalid(f"URL longer than {MAX_URL_LENGTH} characters")
    # urlsplit silently drops tabs and newlines and treats backslashes leniently: refuse
    # anything that another parser might read differently.
    if not url.isascii() or not PRINTABLE_ASCII.fullmatch(url) or "\\" in url:
        raise Invalid(
            "URL must be printable ASCII without spaces or backslashes; "
            "percent-encode other characters and use the xn-- form of host names"
        )
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if not scheme:
        raise Invalid(f"URL {url!r} is not absolute; give http:// or https://")
    if scheme not in DEFAULT_PORTS:
        raise Invalid(f"scheme {scheme!r} is not supported: the http capability fetches http:// and https:// URLs only")
    if not url[len(scheme) + 1 :].startswith("//") or not parts.netloc:
        raise Invalid(f"URL {url!r} has no host")
    if "@" in parts.netloc:
        raise Invalid("URLs with user info (user@host) are not allowed; send credentials in a header")
    try:
        raw_host, port = split_host_port(parts.netloc, DEFAULT_PORTS[scheme])
        host = normalise_host(raw_host)
    except ValueError as e:
        raise Invalid(f"URL {url!r}: {e}") from e
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return ParsedTarget(scheme, host, port, path)


#: Resolves (host name, port) to IP address strings, in the order to try them.
Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """The system's resolver (getaddrinfo), each address once, in its order."""
    import socket  # here and below, not at the top: binding http costs nothing until a fetch

    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class HttpScope:
    """What the user granted: host patterns and the limits every fetch runs under."""

    hosts: tuple[str, ...]
    max_response_bytes: int = 8 * MIB
    max_request_bytes: int = 8 * MIB
    timeout_seconds: float = 30.0
    """Overall deadline for one fetch, across all its redirects."""
    max_redirects: int = 5
    #: How names are resolved: the system's resolver, or a test's.
    resolve: Resolver = field(default=system_resolver, repr=False, compare=False)
    rules: tuple[HostRule, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_response_bytes <= 0 or self.max_request_bytes <= 0:
            raise ValueError("http size limits must be positive")
        if not self.timeout_seconds > 0:
            raise ValueError("http timeout_seconds must be positive")
        if self.max_redirects < 0:
            raise ValueError("http max_redirects must not be negative")
        object.__setattr__(self, "rules", tuple(parse_host_pattern(h) for h in self.hosts))

    def allows(self, url: str) -> bool:
        """Whether `check_url` accepts `url`."""
        try:
            check_url(self, url)
        except CapabilityError:
            return False
        return True


# ---------------------------------------------------------------------------------------
# Requests and responses.


@dataclass
class HttpRequest:
    """A plugin's request, as it crosses the ABI."""

    method: str
    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass
class HttpResponse:
    """The final response after redirects; the body is complete and within the cap."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _check_request(scope: HttpScope, request: HttpRequest) -> list[tuple[str, str]]:
    if request.method not in ALLOWED_METHODS:
        raise Invalid(f"method {request.method!r} is not allowed; use one of {', '.join(sorted(ALLOWED_METHODS))}")
    if len(request.headers) > MAX_REQUEST_HEADERS:
        raise LimitExceeded(f"more than {MAX_REQUEST_HEADERS} request headers")
    size = 0
    for name, value in request.headers:
        if not _TOKEN.fullmatch(name):
            raise Invalid(f"header name {name!r} is not a valid HTTP token (no spaces, colons, CR or LF)")
        if not _HEADER_VALUE.fullmatch(value):
            raise Invalid(
                f"header {name} has a control character (CR, LF, NUL) or a non-Latin-1 character in its value"
            )
        if name.lower() in HOST_SET_HEADERS:
            raise Invalid(f"header {name} is set by the host, not the plugin; remove it")
        size += len(name) + len(value) + 4
    if size > MAX_REQUEST_HEADER_BYTES:
        raise LimitExceeded(f"request headers larger than {MAX_REQUEST_HEADER_BYTES} bytes")
    if len(request.body) > scope.max_request_bytes:
        raise LimitExceeded(f"request body larger than {scope.max_request_bytes} bytes")
    return list(request.headers)


# ---------------------------------------------------------------------------------------
# The IO shell.


def fetch(scope: HttpScope, request: HttpRequest) -> HttpResponse:
    """Perform `request` within `scope`, following redirects that stay in the grant.

    Raises Denied, Invalid, LimitExceeded or Failed (never a foreign exception for network
    trouble). The deadline covers the whole fetch: `scope.timeout_seconds`, or less when
    the plugin call's own deadline comes sooner.
    """
    headers = _check_request(scope, request)
    target = check_url(scope, request.url)
    method, body = request.method, request.body
    budget = _budget(scope)
    deadline = time.monotonic() + budget.seconds
    redirects = 0
    while True:
        reply = _exchange(scope, target, method, headers, body, deadline, budget)
        if reply.location is None:
            return HttpResponse(reply.status, reply.headers, reply.body)
        redirects += 1
        if redirects > scope.max_redirects:
            raise LimitExceeded(f"more than {scope.max_redirects} redirects (the last one from {target.url})")
        try:
            next_target = check_url(scope, urljoin(target.url, reply.location))
        except CapabilityError as e:
            raise type(e)(f"redirect from {target.url} refused: {e.message}") from e
        if (reply.status == 303 and method != "HEAD") or (reply.status in (301, 302) and method == "POST"):
            method, body = "GET", b""
            headers = [(n, v) for n, v in headers if n.lower() not in _BODY_HEADERS]
        if next_target.origin != target.origin:
            headers = [(n, v) for n, v in headers if n.lower() not in _CREDENTIAL_HEADERS]
        target = next_target


@dataclass(frozen=True)
class _Budget:
    """How long a fetch may take, and how a timeout is worded."""

    seconds: float
    limit: str

    def timeout(self) -> LimitExceeded:
        return LimitExceeded(f"no complete response within {self.seconds:g} seconds ({self.limit})")


def _budget(scope: HttpScope) -> _Budget:
    deadline = current_deadline()
    if deadline is None or deadline.remaining() >= scope.timeout_seconds:
        return _Budget(scope.timeout_seconds, "the http grant's time limit")
    if deadline.expired():
        raise LimitExceeded(f"no time left for a fetch: {deadline.describe()} has run out")
    return _Budget(deadline.remaining(), f"what was left of {deadline.describe()}")


@dataclass
class _Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    location: str | None


def _exchange(
    scope: HttpScope,
    target: ParsedTarget,
    method: str,
    headers: list[tuple[str, str]],
    body: bytes,
    deadline: float,
    budget: _Budget,
) -> _Reply:
    """One request/response on a fresh connection, closed before returning."""
    import http.client

    addresses = _checked_addresses(scope, target, deadline, budget)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise budget.timeout()
    conn = _connection(target, addresses, remaining)
    response: http.client.HTTPResponse | None = None
    with _Watchdog(conn, remaining) as watchdog:
        try:
            conn.connect()
            watchdog.watch(conn.sock)
            # The timer fires no earlier than the deadline: if it is not past yet, the
            # watched socket will be shut when it fires.
            if time.monotonic() >= deadline:
                raise budget.timeout()
            _send(conn, target, method, headers, body)
            response = conn.getresponse()
            reply_headers = _check_response_headers(response.getheaders())
            location = response.getheader("Location")
            if response.status in _REDIRECT_STATUSES and location:
                # A redirect's own body is never read.
                reply = _Reply(response.status, reply_headers, b"", location)
            else:
                reply = _Reply(response.status, reply_headers, _read_body(response, scope, target), None)
        except CapabilityError:
            if watchdog.fired.is_set():
                raise budget.timeout() from None
            raise
        except (OSError, http.client.HTTPException) as e:
            raise _translate(e, budget, target, watchdog.fired.is_set()) from e
        finally:
            # The response owns the socket once it says the connection will close.
            if response is not None:
                response.close()
            conn.close()
        # After the watchdog shuts the socket a read sees end-of-file, which can look
        # like a complete (truncated) body.
        if watchdog.fired.is_set():
            raise budget.timeout()
        return reply


@functools.cache
def _tls_context() -> ssl.SSLContext:
    import ssl

    # Our own default context, so certificate and host name checks are on even if the
    # process's default HTTPS context was swapped (PYTHONHTTPSVERIFY=0 and friends).
    return ssl.create_default_context()


def _checked_addresses(scope: HttpScope, target: ParsedTarget, deadline: float, budget: _Budget) -> list[IPAddress]:
    """The addresses `target` may be reached at: resolved once (within the deadline), each
    checked against the grant; Denied if any of them is special and not granted literally."""
    try:
        addresses = [ipaddress.ip_address(target.host)]
    except ValueError:
        addresses = [_parse_address(text, target) for text in _resolve(scope, target, deadline, budget)]
    if not addresses:
        raise Failed(f"could not resolve host {target.host}")
    granted = [rule.host for rule in scope.rules if rule.matches(target)]
    for address in addresses:
        if not may_connect(address, granted):
            shown = bracket(str(address))
            raise Denied(
                f"{target.host} resolves to {address}, {special_kind(address)}, which the http grant does not "
                f"name; only a grant of that address itself (e.g. {target.scheme}://{shown}:{target.port}) "
                "reaches it"
            )
    return addresses


def _parse_address(text: str, target: ParsedTarget) -> IPAddress:
    try:
        return ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        raise Failed(f"the resolver gave {target.host} an address that is not one: {text!r}") from None


def _resolve(scope: HttpScope, target: ParsedTarget, deadline: float, budget: _Budget) -> list[str]:
    # getaddrinfo has no timeout of its own: it runs on a thread the fetch stops waiting for.
    outcome: dict[str, Any] = {}

    def lookup() -> None:
        try:
            outcome["addresses"] = scope.resolve(target.host, target.port)
        except (OSError, UnicodeError) as e:
            outcome["error"] = e

    worker = threading.Thread(target=lookup, name="acc-http-resolve", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    if worker.is_alive():
        raise budget.timeout()
    if "error" in outcome:
        raise Failed(f"could not resolve host {target.host}") from outcome["error"]
    addresses: list[str] = outcome.get("addresses", [])
    return addresses


def _connection(target: ParsedTarget, addresses: list[IPAddress], timeout: float) -> http.client.HTTPConnection:
    """A connection to `target` that connects to the checked `addresses` only, in order.

    The connection keeps the name as its host: the Host header and TLS (SNI and the
    certificate's name check) use it, while the socket goes to an address already checked.
    """
    import http.client
    import socket

    conn: http.client.HTTPConnection
    if target.scheme == "https":
        conn = http.client.HTTPSConnection(target.host, target.port, timeout=timeout, context=_tls_context())
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    def connect_checked(_address: tuple[str, int], timeout: float, source: Any = None) -> socket.socket:
        failure: OSError | None = None
        for address in addresses:
            try:
                return socket.create_connection((str(address), target.port), timeout)
            except OSError as e:
                failure = e
        assert failure is not None
        raise failure

    conn._create_connection = connect_checked  # type: ignore[attr-defined]
    return conn


def _send(
    conn: http.client.HTTPConnection, target: ParsedTarget, method: str, headers: list[tuple[str, str]], body: bytes
) -> None:
    names = {name.lower() for name, _ in headers}
    conn.putrequest(method, target.path, skip_accept_encoding="accept-encoding" in names)
    if "user-agent" not in names:
        conn.putheader("User-Agent", _USER_AGENT)
    for name, value in headers:
        conn.putheader(name, value)
    if body or method in ("POST", "PUT", "PATCH"):
        conn.putheader("Content-Length", str(len(body)))
    conn.putheader("Connection", "close")
    conn.endheaders(body or None)


def _check_response_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if len(headers) > MAX_RESPONSE_HEADERS:
        raise LimitExceeded(f"response has more than {MAX_RESPONSE_HEADERS} headers")
    if sum(len(n) + len(v) + 4 for n, v in headers) > MAX_RESPONSE_HEADER_BYTES:
        raise LimitExceeded(f"response headers larger than {MAX_RESPONSE_HEADER_BYTES} bytes")
    return headers


def _read_body(response: http.client.HTTPResponse, scope: HttpScope, target: ParsedTarget) -> bytes:
    cap = scope.max_response_bytes
    declared = response.length  # from Content-Length; None when chunked or until close
    if declared is not None and declared > cap:
        raise LimitExceeded(f"response larger than {cap} bytes")
    chunks: list[bytes] = []
    total = 0
    while True:
        # Never ask for more than one byte past the cap: that byte proves "too large".
        chunk = response.read1(min(_READ_CHUNK, cap + 1 - total))
        if not chunk:
            break
        total += len(chunk)
        if total > cap:
            raise LimitExceeded(f"response larger than {cap} bytes")
        chunks.append(chunk)
    if declared is not None and total < declared:
        # http.client's read1 reports a short Content-Length body as a normal end.
        raise Failed(f"{target.host} closed the connection after {total} of {declared} bytes")
    return b"".join(chunks)


def _translate(
    error: OSError | http.client.HTTPException, budget: _Budget, target: ParsedTarget, timed_out: bool
) -> CapabilityError:
    """A short message for the guest; the full exception stays chained for host logs."""
    import http.client
    import socket
    import ssl

    where = f"{bracket(target.host)}:{target.port}"
    if timed_out or isinstance(error, TimeoutError):
        return budget.timeout()
    if isinstance(error, ssl.SSLCertVerificationError):
        return Failed(f"TLS certificate of {target.host} was not accepted: {error.verify_message}")
    if isinstance(error, ssl.SSLError):
        return Failed(f"TLS with {where} failed: {error.reason or type(error).__name__}")
    if isinstance(error, socket.gaierror):
        return Failed(f"could not resolve host {target.host}")
    if isinstance(error, http.client.LineTooLong) or (
        isinstance(error, http.client.HTTPException) and "got more than" in str(error)
    ):
        return LimitExceeded(f"response headers from {target.host} are too large")
    if isinstance(error, http.client.RemoteDisconnected):
        return Failed(f"{where} closed the connection without a response")
    if isinstance(error, ConnectionRefusedError):
        return Failed(f"connection to {where} refused")
    if isinstance(error, http.client.HTTPException):
        return Failed(f"invalid HTTP response from {where} ({type(error).__name__})")
    return Failed(f"connection to {where} failed: {error.strerror or type(error).__name__}")


class _Watchdog:
    """Shuts a connection's socket down when the fetch's overall deadline passes.

    Socket timeouts bound each read, not their sum: a server that trickles one byte a
    second would otherwise hold a fetch open indefinitely.
    """

    def __init__(self, conn: http.client.HTTPConnection, seconds: float) -> None:
        self._conn = conn
        self._sock: socket.socket | None = None
        self.fired = threading.Event()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket | None) -> None:
        """Hold on to the connected socket: http.client lets go of it (`conn.sock` becomes
        None) once a response says the connection will close, but keeps reading from it."""
        self._sock = sock

    def _fire(self) -> None:
        self.fired.set()
        # Before `watch`, `conn.sock` is the socket being connected or TLS-handshaken.
        sock = self._sock or self._conn.sock
        if sock is not None:
            import socket

            # The plain socket method: SSLSocket.shutdown would also drop its TLS state
            # under the reading thread's feet. OSError: the fetch closed it meanwhile.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.cancel()
