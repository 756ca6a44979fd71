"""Attacking a marketplace client: tampering with what the registry serves, and forging its metadata.

Two ways to stand between the client and the registry, with the same rules:
`MemoryFetcher` serves the registry's Flask app to ngclient in this process (most attack
tests), `TamperingProxy` is a real HTTP proxy in front of a real server (what needs a real
connection or a real `acc` process). `Forger` signs metadata as the registry would, with
the online keys from its data dir; `RepositoryView` reads the genuine metadata.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from securesystemslib.signer import Signer
from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import Metadata, MetaFile, Snapshot, TargetFile, Targets, Timestamp
from tuf.api.serialization.json import JSONSerializer
from tuf.ngclient.fetcher import FetcherInterface

from registry.tuf_repo import load_signer

PLUGIN = "project-stats"
INDEX_PATH = f"{PLUGIN}/index.json"
_SERIALIZER = JSONSerializer(compact=True)


# -- tampering: a real proxy, or the registry in memory ----------------------------------


@dataclass
class Reply:
    """What a tampering rule answers instead of the registry."""

    body: Iterable[bytes]
    status: int = 200
    length: int | None = None  # Content-Length; None: the body ends when the connection closes
    headers: dict[str, str] = field(default_factory=dict)
    drop_after: int | None = None  # close the connection after this many body bytes


def data(body: bytes) -> Reply:
    return Reply([body], length=len(body))


def endless() -> Reply:
    return Reply(itertools.repeat(b"\0" * 65536))


Responder = Callable[[str], Reply]


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    proxy: TamperingProxy


class _ProxyHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        reply = cast(_ProxyServer, self.server).proxy.answer(self.path)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.length is not None:
            self.send_header("Content-Length", str(reply.length))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        sent = 0
        try:
            for chunk in reply.body:
                if reply.drop_after is not None and sent + len(chunk) >= reply.drop_after:
                    self.wfile.write(chunk[: reply.drop_after - sent])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)  # the network drops mid-download
                    return
                self.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client stopped reading: what it must do with endless data

    def log_message(self, format: str, *args: Any) -> None:
        return


class Tampering:
    """A test's rules: path regex -> what to answer instead of the registry."""

    def __init__(self) -> None:
        self._rules: list[tuple[re.Pattern[str], Responder]] = []
        self.tampered: list[str] = []

    def rewritten(self, path: str) -> Reply | None:
        """The reply a rule gives for `path` (noted in `tampered`), or None to pass it through."""
        for pattern, respond in list(self._rules):
            if pattern.fullmatch(path):
                self.tampered.append(path)
                return respond(path)
        return None

    @contextmanager
    def tampering(self, rules: Mapping[str, Responder]) -> Iterator[list[str]]:
        """Apply `rules` (path regex -> responder) inside the block; yield the paths they answered."""
        self._rules = [(re.compile(pattern), respond) for pattern, respond in rules.items()]
        self.tampered = []
        try:
            yield self.tampered
        finally:
            self._rules = []


class TamperingProxy(Tampering):
    """A real HTTP proxy: forwards GETs to the registry server, except the paths a test's rules rewrite.

    `upstream_url` may be set after the proxy starts (a marketplace can be added with the
    proxy's URL before the server behind it runs)."""

    def __init__(self, upstream: str = "") -> None:
        super().__init__()
        self.upstream_url = upstream
        self._server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.proxy = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def upstream(self, path: str) -> bytes:
        """The registry's genuine answer (uncompressed)."""
        with urllib.request.urlopen(self.upstream_url + path, timeout=30) as response:
            body: bytes = response.read()
            return body

    def answer(self, request_path: str) -> Reply:
        path = request_path.split("?", 1)[0]
        rewritten = self.rewritten(path)
        if rewritten is not None:
            return rewritten
        try:
            return data(self.upstream(request_path))
        except urllib.error.HTTPError as e:
            return Reply([e.read()], status=e.code, length=None)


class MemoryFetcher(Tampering, FetcherInterface):
    """ngclient's fetcher, answered by the registry's Flask app in this process.

    As python-tuf's own tests do with their RepositorySimulator: no socket and no server,
    every byte the client verifies still comes from the real registry code, and a test's
    rules (the same ones the proxy takes) rewrite chosen answers. Only a reply's status and
    body apply here; what needs a real connection (Content-Length, Content-Encoding, a
    connection dropped mid-body) is the proxy's to test.
    """

    def __init__(self, client: FlaskClient) -> None:
        super().__init__()
        self.client = client

    def genuine(self, path: str) -> bytes:
        """The registry's answer to `path`, untampered."""
        response = self.client.get(path)
        assert response.status_code == 200, f"{path}: HTTP {response.status_code}"
        return response.get_data()

    def _fetch(self, url: str) -> Iterator[bytes]:
        path = urlsplit(url).path
        reply = self.rewritten(path)
        if reply is None:
            response = self.client.get(path)
            reply = Reply([response.get_data()], status=response.status_code)
        if reply.status >= 400:
            raise tuf_errors.DownloadHTTPError(f"HTTP error {reply.status} for {url}", reply.status)
        return iter(reply.body)


# -- reading and forging the registry's metadata ---------------------------------------------


class RepositoryView:
    """The registry's metadata as of one timestamp: genuine bytes, read with `read(path)`."""

    def __init__(self, read: Callable[[str], bytes], timestamp: bytes | None = None) -> None:
        self.read = read
        self.timestamp_bytes = timestamp if timestamp is not None else read("/tuf/metadata/timestamp.json")
        self.timestamp = Metadata[Timestamp].from_bytes(self.timestamp_bytes)
        self.snapshot_bytes = self.metadata_bytes("snapshot", self.timestamp.signed.snapshot_meta.version)
        self.snapshot = Metadata[Snapshot].from_bytes(self.snapshot_bytes)

    def metadata_bytes(self, role: str, version: int) -> bytes:
        return self.read(f"/tuf/metadata/{version}.{role}.json")

    def bin_name(self, target: str) -> str:
        version = self.snapshot.signed.meta["targets.json"].version
        targets = Metadata[Targets].from_bytes(self.metadata_bytes("targets", version)).signed
        assert targets.delegations is not None and targets.delegations.succinct_roles is not None
        return targets.delegations.succinct_roles.get_role_for_target(target)

    def bin_version(self, name: str) -> int:
        return self.snapshot.signed.meta[f"{name}.json"].version

    def bin(self, name: str) -> Metadata[Targets]:
        return Metadata[Targets].from_bytes(self.metadata_bytes(name, self.bin_version(name)))

    def index_bytes(self) -> bytes:
        info = self.bin(self.bin_name(INDEX_PATH)).signed.targets[INDEX_PATH]
        return self.read(f"/tuf/targets/{PLUGIN}/{info.hashes['sha256']}.index.json")

    def index(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.index_bytes())
        return document

    def entry(self, version: str) -> dict[str, Any]:
        entries: list[dict[str, Any]] = [v for v in self.index()["versions"] if v["version"] == version]
        [entry] = entries
        return entry


def signed(metadata: Metadata[Any], signer: Signer) -> bytes:
    metadata.signatures.clear()
    metadata.sign(signer)
    return metadata.to_bytes(_SERIALIZER)


class Forger:
    """Signs metadata as the registry would, with the online keys from its data dir."""

    def __init__(self, keys_dir: Path) -> None:
        self.keys_dir = keys_dir

    def key(self, role: str) -> Signer:
        return load_signer(self.keys_dir, role)

    def timestamp(
        self,
        view: RepositoryView,
        snapshot: bytes,
        snapshot_version: int,
        *,
        version: int | None = None,
        expires: datetime | None = None,
        signer: Signer | None = None,
    ) -> bytes:
        meta = MetaFile(
            version=snapshot_version, length=len(snapshot), hashes={"sha256": hashlib.sha256(snapshot).hexdigest()}
        )
        timestamp = Timestamp(
            version=version or view.timestamp.signed.version + 1,
            snapshot_meta=meta,
            expires=expires or datetime.now(UTC) + timedelta(hours=12),
        )
        return signed(Metadata(timestamp), signer or self.key("timestamp"))

    def snapshot(
        self, view: RepositoryView, bins: Mapping[str, int], *, signer: Signer | None = None
    ) -> tuple[bytes, int]:
        meta = {**view.snapshot.signed.meta, **{f"{name}.json": MetaFile(version=v) for name, v in bins.items()}}
        version = view.snapshot.signed.version + 1
        snapshot = Snapshot(version=version, expires=datetime.now(UTC) + timedelta(days=1), meta=meta)
        return signed(Metadata(snapshot), signer or self.key("snapshot")), version

    def new_top(
        self,
        view: RepositoryView,
        bins: Mapping[str, int],
        *,
        snapshot_signer: Signer | None = None,
        timestamp_signer: Signer | None = None,
        expires: datetime | None = None,
    ) -> dict[str, Responder]:
        """Rules serving a new snapshot (naming `bins` at the given versions) and its timestamp."""
        snapshot, version = self.snapshot(view, bins, signer=snapshot_signer)
        timestamp = self.timestamp(view, snapshot, version, expires=expires, signer=timestamp_signer)
        return {
            r"/tuf/metadata/timestamp\.json": lambda _: data(timestamp),
            rf"/tuf/metadata/{version}\.snapshot\.json": lambda _: data(snapshot),
        }

    def index(self, view: RepositoryView, index: bytes, *, bins_signer: Signer | None = None) -> dict[str, Responder]:
        """Rules serving `index` as the plugin's signed index: a new bin, snapshot and timestamp."""
        name = view.bin_name(INDEX_PATH)
        bin_md = view.bin(name)
        bin_md.signed.targets[INDEX_PATH] = TargetFile.from_data(INDEX_PATH, index)
        bin_md.signed.version += 1
        bin_bytes = signed(bin_md, bins_signer or self.key("bins"))
        digest = hashlib.sha256(index).hexdigest()
        return {
            **self.new_top(view, {name: bin_md.signed.version}),
            rf"/tuf/metadata/{bin_md.signed.version}\.{name}\.json": lambda _: data(bin_bytes),
            rf"/tuf/targets/{PLUGIN}/{digest}\.index\.json": lambda _: data(index),
        }

    def index_with(self, view: RepositoryView, version: str, **changes: Any) -> dict[str, Responder]:
        """Rules serving the current index with `changes` made to one version's entry."""
        document = view.index()
        for entry in document["versions"]:
            if entry["version"] == version:
                entry.update(changes)
        return self.index(view, json.dumps(document).encode())
