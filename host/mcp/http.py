"""`acc mcp serve --transport http`: streamable HTTP, on loopback, behind a token.

Whoever can reach the port and present the token runs the served plugins as the user,
so every request passes `Guard` before the SDK sees it:

1. **Host** must name this server exactly (`127.0.0.1:PORT`, `localhost:PORT`, or the
   address given with `--allow-remote`): a web page that rebinds its own domain name to
   127.0.0.1 (DNS rebinding) sends its own name and is refused (421).
2. **Origin**, when a browser sends one, must be this server's own origin: a page of any
   other site (or another local port) is refused (403).
3. **Authorization: Bearer TOKEN** must carry the token of `acc mcp token` (401 with
   `WWW-Authenticate: Bearer` otherwise), compared in constant time.

A client that disconnects before a request's answer abandons it: its call is stopped, as
when a stdio client goes away (`_AnswerWatch`).

The server binds loopback unless `--allow-remote` names another address (a wildcard
such as 0.0.0.0 is refused: Host checks need the one name clients use). The SDK's own
DNS-rebinding check runs behind the guard with the same lists, and its body-size limit
caps a request at the same size as a stdio message.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from host.errors import InputError
from host.mcp.token import token_matches

if TYPE_CHECKING:  # the SDK is imported when serving starts, not to check an address
    from host.mcp.server import McpService

MCP_PATH = "/mcp"
#: How long a stopping server waits for open requests before it cuts them (their calls are stopped).
GRACEFUL_SHUTDOWN_SECONDS = 5
#: A POST body larger than this is not read for request ids (the SDK caps bodies lower anyway).
MAX_WATCHED_BODY_BYTES = 16 * 1024 * 1024


def bind_address(host: str, *, allow_remote: bool) -> str:
    """The literal address to bind for `host`; loopback unless `allow_remote`."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError as e:
        raise InputError(
            f"--host {host!r} is not an IP address", hint="give the address to listen on, e.g. 127.0.0.1"
        ) from e
    if address.is_unspecified:
        raise InputError(
            f"--host {host} would listen on every address",
            hint="name the one address clients connect to (Host headers are checked against it)",
        )
    if not address.is_loopback and not allow_remote:
        raise InputError(
            f"--host {host} is not a loopback address: anyone who can reach it and has the token could run "
            "your plugins as you",
            hint="keep the default 127.0.0.1, or pass --allow-remote if you really mean it",
        )
    return str(address)


def own_names(address: str, port: int) -> set[str]:
    """The Host header values that name this server."""
    ip = ipaddress.ip_address(address)
    literal = f"[{address}]" if ip.version == 6 else address
    names = {f"{literal}:{port}"}
    if ip.is_loopback:
        names.add(f"localhost:{port}")
    return names


class Guard:
    """ASGI middleware: Host, Origin, then the bearer token, before anything else runs; and
    for a session's POST, whether the client went away before its answer (`on_abandoned`)."""

    def __init__(
        self,
        app: Any,
        *,
        hosts: set[str],
        token: str,
        on_abandoned: Callable[[str, str | int], None] | None = None,
    ) -> None:
        self.app = app
        self.hosts = hosts
        self.origins = {f"http://{host}" for host in hosts}
        self.token = token
        self.on_abandoned = on_abandoned

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # lifespan
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        host = headers.get("host", "")
        if host not in self.hosts:
            await _refuse(send, 421, f"this is not the server for Host {host[:100]!r}", {})
            return
        origin = headers.get("origin")
        if origin is not None and origin not in self.origins:
            await _refuse(send, 403, f"requests from the web page origin {origin[:100]!r} are refused", {})
            return
        scheme, _, presented = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token_matches(self.token, presented.strip()):
            challenge = {"www-authenticate": 'Bearer realm="acc mcp"'}
            await _refuse(send, 401, "a bearer token is required: Authorization: Bearer $(acc mcp token)", challenge)
            return
        session_id = headers.get("mcp-session-id")
        if scope.get("method") == "POST" and session_id and self.on_abandoned is not None:
            watch = _AnswerWatch(session_id, self.on_abandoned)
            await self.app(scope, watch.receive(receive), watch.send(send))
            return
        await self.app(scope, receive, send)


class _AnswerWatch:
    """Follows one POST of a session: the ids of the requests it carries, and whether the
    client disconnects before the response is complete (then each request is abandoned).

    The SDK keeps no events to replay (no resumability), so a result whose stream closed
    can reach nobody; MCP's own rule that a disconnect is not a cancel assumes a stream the
    client can resume. The disconnect is seen through `receive`, which the SDK's event
    stream keeps reading for exactly that."""

    def __init__(self, session_id: str, on_abandoned: Callable[[str, str | int], None]) -> None:
        self.session_id = session_id
        self.on_abandoned = on_abandoned
        self.body = bytearray()
        self.request_ids: list[str | int] = []
        self.answered = False

    def receive(self, receive: Any) -> Any:
        async def watched() -> dict[str, Any]:
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                if len(self.body) <= MAX_WATCHED_BODY_BYTES:
                    self.body += message.get("body", b"")
                if not message.get("more_body", False):
                    self.request_ids = _request_ids(bytes(self.body))
                    self.body = bytearray()
            elif message["type"] == "http.disconnect" and not self.answered:
                self.answered = True  # once
                for request_id in self.request_ids:
                    self.on_abandoned(self.session_id, request_id)
            return message

        return watched

    def send(self, send: Any) -> Any:
        async def watched(message: dict[str, Any]) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self.answered = True

        return watched


def _request_ids(body: bytes) -> list[str | int]:
    """The ids of the JSON-RPC requests in a POST body (none if it is not readable)."""
    if len(body) > MAX_WATCHED_BODY_BYTES:
        return []
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return []
    messages = document if isinstance(document, list) else [document]
    return [m["id"] for m in messages if isinstance(m, dict) and "method" in m and _plain_id(m.get("id"))]


def _plain_id(value: object) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


async def _refuse(send: Any, status: int, message: str, extra: dict[str, str]) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(key.encode(), value.encode()) for key, value in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def listening_socket(address: str, port: int) -> socket.socket:
    """A bound, listening socket (port 0: any free one)."""
    family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
    except OSError as e:
        sock.close()
        raise InputError(f"cannot listen on {address}:{port} ({e.strerror})", hint="pick another --port") from e
    sock.listen(128)
    sock.set_inheritable(False)
    return sock


async def serve_http(
    service: McpService, sock: socket.socket, token: str, max_body_bytes: int, on_ready: Callable[[str], None]
) -> None:
    """Serve MCP on `sock` until SIGINT/SIGTERM; calls still running then are stopped."""
    import anyio
    import uvicorn
    from mcp.server.transport_security import TransportSecuritySettings

    address, port = sock.getsockname()[:2]
    hosts = own_names(address, port)
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=sorted(hosts),
        allowed_origins=sorted(f"http://{host}" for host in hosts),
    )
    app = service.server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        transport_security=security,
        host=address,
        max_request_body_size=max_body_bytes,
    )
    config = uvicorn.Config(
        Guard(app, hosts=hosts, token=token, on_abandoned=service.abandon_http_request),
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        server_header=False,
    )
    server = uvicorn.Server(config)
    literal = f"[{address}]" if ":" in address else address
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(service.watch)

            async def announce_when_started() -> None:
                while not server.started:
                    await anyio.sleep(0.01)
                on_ready(f"http://{literal}:{port}{MCP_PATH}")

            group.start_soon(announce_when_started)
            await server.serve(sockets=[sock])
            group.cancel_scope.cancel()
    finally:
        await service.aclose()
