"""A scripted stand-in for a JSON web API: a real HTTP server on loopback that answers from a
table of routes and records every request it received (method, path, query, headers, body).

Used as GitHub's REST API (github_standin.py) and OSV's (deps tests). The plugins reach it
through the host's real http capability code, granted for exactly this server's origin.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.query.get(name, [default])[0]


#: (status, JSON body) or (status, JSON body, extra headers).
Reply = tuple[int, Any] | tuple[int, Any, dict[str, str]]
Handler = Callable[[Received, re.Match[str]], Reply]


class ScriptedApi:
    """Routes are (method, path regex, handler); the first whose regex fullmatches answers."""

    def __init__(self, routes: list[tuple[str, str, Handler]]) -> None:
        self.routes = [(method, re.compile(pattern), handler) for method, pattern, handler in routes]
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def origin_grant(self) -> str:
        """This server as an http grant entry (plain http to this port)."""
        return self.url

    def answer(self, request: Received) -> Reply:
        for method, pattern, handler in self.routes:
            match = pattern.fullmatch(request.path)
            if method == request.method and match:
                return handler(request, match)
        return 404, {"message": "Not Found"}

    @contextmanager
    def running(self) -> Iterator[ScriptedApi]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                request = Received(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                with api._lock:
                    api.received.append(request)
                reply = api.answer(request)
                status, body = reply[0], reply[1]
                extra = reply[2] if len(reply) > 2 else {}  # type: ignore[misc]
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
