"""TUF attacks on `acc plugin install`, each against a real registry server behind a tampering proxy.

The marketplace is added through the proxy's URL (pinning the registry's real root), so every
byte the client downloads passes through it. A test installs rules that rewrite chosen
responses, runs the real `acc` CLI, and checks that the refusal says what was wrong (no
traceback) and that the version installed before the attack is untouched and still runs.

Attacks that need the registry's online keys (a stolen timestamp, snapshot or bins key, or a
registry gone rogue) are forged with the keys in the registry's data dir, signed the way
registry/tuf_repo.py signs. A mirror without keys can only replay, mix and alter bytes.

One registry, one proxy and one publish set-up per module. Every test starts from a copy of
one user home that installed project-stats 1.0.0 before 1.1.0 was published: its trusted
metadata is older than the registry's, so the next install fetches a new timestamp,
snapshot, bin, index, archive and signature, and each of them can be attacked.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest
from securesystemslib.signer import CryptoSigner, Signer
from tuf.api.metadata import Metadata, MetaFile, Snapshot, TargetFile, Targets, Timestamp
from tuf.api.serialization.json import JSONSerializer

from host.marketplace.config import MarketplaceConfig
from host.marketplace.tuf_client import MarketplaceClient
from host.paths import host_paths
from registry.tuf_repo import load_signer
from sdk.archive import read_archive
from sdk.signing import generate_keypair, sign_archive
from tests.helpers import TEST_CACHE
from tests.registry_kit import variant
from tests.server_kit import ACC, acc, running_registry

pytestmark = pytest.mark.slow

PLUGIN = "project-stats"
OTHER = "line-census"
INDEX_PATH = f"{PLUGIN}/index.json"
NEW = "1.1.0"
_SERIALIZER = JSONSerializer(compact=True)
# The server keeps timestamp.json in memory for a second (registry/tuf_views.py).
TIMESTAMP_CACHE_SECONDS = 1.2


# -- the tampering proxy ---------------------------------------------------------------------


@dataclass
class Reply:
    """What the proxy sends instead of the registry's answer."""

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


class TamperingProxy:
    """Forwards GETs to the registry, except the paths a test's rules rewrite."""

    def __init__(self, upstream: str) -> None:
        self.upstream_url = upstream
        self._rules: list[tuple[re.Pattern[str], Responder]] = []
        self.tampered: list[str] = []
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
        for pattern, respond in list(self._rules):
            if pattern.fullmatch(path):
                self.tampered.append(path)
                return respond(path)
        try:
            return data(self.upstream(request_path))
        except urllib.error.HTTPError as e:
            return Reply([e.read()], status=e.code, length=None)

    @contextmanager
    def tampering(self, rules: Mapping[str, Responder]) -> Iterator[list[str]]:
        """Apply `rules` (path regex -> responder) inside the block; yield the paths they answered."""
        self._rules = [(re.compile(pattern), respond) for pattern, respond in rules.items()]
        self.tampered = []
        try:
            yield self.tampered
        finally:
            self._rules = []


# -- reading and forging the registry's metadata ---------------------------------------------


class RepositoryView:
    """The registry's metadata as of one timestamp (genuine bytes, through the proxy's upstream)."""

    def __init__(self, proxy: TamperingProxy, timestamp: bytes | None = None) -> None:
        self.proxy = proxy
        self.timestamp_bytes = timestamp if timestamp is not None else proxy.upstream("/tuf/metadata/timestamp.json")
        self.timestamp = Metadata[Timestamp].from_bytes(self.timestamp_bytes)
        self.snapshot_bytes = self.metadata_bytes("snapshot", self.timestamp.signed.snapshot_meta.version)
        self.snapshot = Metadata[Snapshot].from_bytes(self.snapshot_bytes)

    def metadata_bytes(self, role: str, version: int) -> bytes:
        return self.proxy.upstream(f"/tuf/metadata/{version}.{role}.json")

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
        return self.proxy.upstream(f"/tuf/targets/{PLUGIN}/{info.hashes['sha256']}.index.json")

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

    def __init__(self, proxy: TamperingProxy, keys_dir: Path) -> None:
        self.proxy = proxy
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


# -- the module's registry and users ---------------------------------------------------------


@dataclass
class World:
    proxy: TamperingProxy
    forger: Forger
    early_timestamp: bytes  # signed before the template user's last refresh
    template_home: Path
    database: Path  # the registry's SQLite file, for attacks on its storage
    env: dict[str, str]
    archives: dict[str, Path]  # "1.0.0", "1.1.0", OTHER -> signed archive

    def path_of(self, version: str, suffix: str = "") -> str:
        """The URL path of project-stats' archive (or its .sig), as the consistent-snapshot client asks."""
        entry = RepositoryView(self.proxy).entry(version)
        digest = entry["signature_sha256" if suffix else "sha256"]
        return f"/tuf/targets/{PLUGIN}/{digest}.{PLUGIN}-{version}.plugin{suffix}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, built_archives: Callable[[str], Path]) -> Iterator[World]:
    work = tmp_path_factory.mktemp("tuf-attacks")
    env = {**os.environ, "ACC_HOME": str(work / "publisher-home"), "ACC_CACHE_DIR": str(TEST_CACHE)}
    env.pop("ACC_REGISTRY_TOKEN", None)
    data_dir = work / "registry-data"

    def run(*args: str, home: Path | None = None) -> str:
        environment = env if home is None else {**env, "ACC_HOME": str(home)}
        return acc(*args, env=environment, cwd=work).stdout

    run("registry", "init", "--data", str(data_dir), "--bins", "4")
    run("registry", "user", "create", "alice", "--email", "alice@example.com", "--data", str(data_dir))
    run("plugin", "keygen", "--out", "alice.key")
    run("registry", "key", "add", "alice", "alice.key.pub", "--data", str(data_dir))
    token = run("registry", "token", "create", "alice", "--data", str(data_dir)).strip()
    base = read_archive(built_archives(PLUGIN))
    archives = {
        "1.0.0": work / f"{PLUGIN}-1.0.0.plugin",
        NEW: work / f"{PLUGIN}-{NEW}.plugin",
        OTHER: work / f"{OTHER}-1.0.0.plugin",
    }
    archives["1.0.0"].write_bytes(variant(base, version="1.0.0"))
    archives[NEW].write_bytes(variant(base, version=NEW))
    archives[OTHER].write_bytes(variant(base, name=OTHER, version="1.0.0"))
    for archive in archives.values():
        sign_archive(archive, work / "alice.key")
    template = work / "template-home"
    with running_registry(data_dir) as url:
        proxy = TamperingProxy(url)
        try:

            def publish(key: str) -> None:
                run("plugin", "publish", str(archives[key]), "--registry", url, "--token", token)

            publish("1.0.0")
            early_timestamp = proxy.upstream("/tuf/metadata/timestamp.json")
            publish(OTHER)
            with urllib.request.urlopen(f"{url}/tuf/metadata/1.root.json") as response:
                root_sha256 = hashlib.sha256(response.read()).hexdigest()
            run("marketplace", "add", proxy.url, "--name", "local", "--root-sha256", root_sha256, home=template)
            run("plugin", "install", f"{PLUGIN}==1.0.0", "--yes", home=template)
            publish(NEW)  # the registry moves on: the template's metadata is now stale
            yield World(
                proxy=proxy,
                forger=Forger(proxy, data_dir / "keys"),
                early_timestamp=early_timestamp,
                template_home=template,
                database=data_dir / "registry.db",
                env=env,
                archives=archives,
            )
        finally:
            proxy.close()


@dataclass
class User:
    env: dict[str, str]
    cwd: Path
    home: Path

    def acc(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        return acc(*args, env=self.env, cwd=self.cwd, ok=ok)

    def install_is_refused(self, *fragments: str) -> str:
        """`acc plugin install project-stats` fails with every fragment in its message; return stderr."""
        refused = self.acc("plugin", "install", PLUGIN, "--yes", ok=False)
        for fragment in fragments:
            assert fragment in refused.stderr, refused.stderr
        assert refused.stderr.startswith("error: "), refused.stderr
        return refused.stderr

    def plugin_list(self) -> str:
        return self.acc("plugin", "list", "--json").stdout

    def assert_runs_summary(self) -> None:
        result = json.loads(self.acc("plugin", "run", PLUGIN, "summary", "-q").stdout)
        assert (result["files"], result["lines"]) == (1, 2)

    def assert_untouched(self, listed_before: str) -> None:
        """The attack changed nothing: same plugins, 1.0.0 still runs, no download left behind."""
        assert self.plugin_list() == listed_before
        assert [p["version"] for p in json.loads(listed_before)] == ["1.0.0"]
        self.assert_runs_summary()
        downloads = self.home / "downloads"
        assert not downloads.exists() or not any(downloads.iterdir())


@pytest.fixture
def user(tmp_path: Path, world: World) -> User:
    """A user who installed project-stats 1.0.0 from the marketplace (through the proxy) earlier."""
    home = tmp_path / "home"
    shutil.copytree(world.template_home, home, symlinks=True)
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.py").write_text("x = 1\ny = 2\n")
    return User(env={**world.env, "ACC_HOME": str(home)}, cwd=project, home=home)


@contextmanager
def attacked(user: User, world: World, rules: Mapping[str, Responder]) -> Iterator[list[str]]:
    """Apply the rules around the block, then check the attack was served and changed nothing."""
    listed_before = user.plugin_list()
    with world.proxy.tampering(rules) as tampered:
        yield tampered
    assert tampered, "the attack was never served: the test does not test anything"
    user.assert_untouched(listed_before)


# -- 1. rollback -----------------------------------------------------------------------------


def test_rollback_to_an_older_timestamp_is_refused(user: User, world: World) -> None:
    early = world.early_timestamp
    with attacked(user, world, {r"/tuf/metadata/timestamp\.json": lambda _: data(early)}):
        user.install_is_refused(
            "error: marketplace local served metadata of another version than the one it signed "
            "or served before while trying to refresh its metadata (New timestamp version",
            "refused by TUF, nothing was changed",
            "a rollback or mix-and-match attack",
        )


def test_rollback_of_the_snapshot_by_a_timestamp_signed_with_the_registry_key_is_refused(
    user: User, world: World
) -> None:
    view, early = RepositoryView(world.proxy), RepositoryView(world.proxy, world.early_timestamp)
    forged = world.forger.timestamp(view, early.snapshot_bytes, early.snapshot.signed.version)
    with attacked(user, world, {r"/tuf/metadata/timestamp\.json": lambda _: data(forged)}):
        user.install_is_refused(
            "served metadata of another version than the one it signed or served before while "
            "trying to refresh its metadata (New snapshot version",
            "refused by TUF",
        )


def test_rollback_of_a_bin_by_a_snapshot_signed_with_the_registry_key_is_refused(user: User, world: World) -> None:
    view = RepositoryView(world.proxy)
    bin_name = view.bin_name(INDEX_PATH)
    assert view.bin_version(bin_name) > 1
    with attacked(user, world, world.forger.new_top(view, {bin_name: 1})):
        user.install_is_refused(
            "served metadata of another version than the one it signed or served before while "
            f"trying to refresh its metadata (Expected {bin_name}.json",
            "refused by TUF",
        )


# -- 2. freeze -------------------------------------------------------------------------------


def test_an_expired_timestamp_signed_by_the_registry_is_refused_as_a_freeze(user: User, world: World) -> None:
    # What a frozen mirror serves: the registry's own timestamp, kept after it expired.
    view = RepositoryView(world.proxy)
    frozen = world.forger.timestamp(
        view, view.snapshot_bytes, view.snapshot.signed.version, expires=datetime.now(UTC) - timedelta(hours=1)
    )
    with attacked(user, world, {r"/tuf/metadata/timestamp\.json": lambda _: data(frozen)}):
        user.install_is_refused(
            "error: marketplace local serves expired metadata (timestamp.json is expired): "
            "refused, it may be a frozen mirror"
        )


@contextmanager
def stored_timestamp(world: World, forged: bytes) -> Iterator[None]:
    """The registry's newest timestamp row holds `forged` (its expires column unchanged, so the
    server does not re-sign); restored afterwards."""
    version = RepositoryView(world.proxy).timestamp.signed.version
    with sqlite3.connect(world.database) as db:
        [(genuine,)] = db.execute(
            "SELECT data FROM tuf_metadata WHERE role = 'timestamp' AND version = ?", (version,)
        ).fetchall()
        db.execute("UPDATE tuf_metadata SET data = ? WHERE role = 'timestamp' AND version = ?", (forged, version))
    time.sleep(TIMESTAMP_CACHE_SECONDS)
    try:
        yield
    finally:
        with sqlite3.connect(world.database) as db:
            db.execute("UPDATE tuf_metadata SET data = ? WHERE role = 'timestamp' AND version = ?", (genuine, version))
        time.sleep(TIMESTAMP_CACHE_SECONDS)
        assert RepositoryView(world.proxy).timestamp_bytes == genuine


def test_a_registry_whose_stored_timestamp_expired_is_refused_as_frozen(user: User, world: World) -> None:
    # The registry's storage says what it said an hour after its last signing: the natural freeze.
    view = RepositoryView(world.proxy)
    expired = world.forger.timestamp(
        view,
        view.snapshot_bytes,
        view.snapshot.signed.version,
        version=view.timestamp.signed.version,
        expires=datetime.now(UTC) - timedelta(minutes=1),
    )
    listed_before = user.plugin_list()
    with stored_timestamp(world, expired):
        user.install_is_refused("error: marketplace local serves expired metadata (timestamp.json is expired)")
    user.assert_untouched(listed_before)


def test_a_registry_restored_from_an_old_backup_is_refused_as_a_rollback(user: User, world: World) -> None:
    listed_before = user.plugin_list()
    with stored_timestamp(world, world.early_timestamp):
        user.install_is_refused(
            "served metadata of another version than the one it signed or served before while "
            "trying to refresh its metadata (New timestamp version",
            "refused by TUF",
        )
    user.assert_untouched(listed_before)


# -- 3. mix-and-match ------------------------------------------------------------------------


def test_an_old_bin_served_under_the_new_bins_name_is_refused(user: User, world: World) -> None:
    view = RepositoryView(world.proxy)
    name = view.bin_name(INDEX_PATH)
    version = view.bin_version(name)
    old = view.metadata_bytes(name, version - 1)
    with attacked(user, world, {rf"/tuf/metadata/{version}\.{name}\.json": lambda _: data(old)}):
        user.install_is_refused(
            "served metadata of another version than the one it signed or served before while "
            f"trying to look up {PLUGIN} (Expected {name} v{version}, got v{version - 1}.)",
            "refused by TUF",
        )


def test_an_old_snapshot_served_under_the_new_snapshots_name_is_refused(user: User, world: World) -> None:
    view, early = RepositoryView(world.proxy), RepositoryView(world.proxy, world.early_timestamp)
    version = view.snapshot.signed.version
    old = early.snapshot_bytes
    with attacked(user, world, {rf"/tuf/metadata/{version}\.snapshot\.json": lambda _: data(old)}):
        user.install_is_refused(
            "served data that does not match its signed metadata while trying to refresh its metadata",
            "refused by TUF, nothing was installed",
        )


def test_an_old_index_served_under_the_new_indexs_name_is_refused(user: User, world: World) -> None:
    old = RepositoryView(world.proxy, world.early_timestamp).index_bytes()
    assert [v["version"] for v in json.loads(old)["versions"]] == ["1.0.0"]
    with attacked(user, world, {rf"/tuf/targets/{PLUGIN}/[0-9a-f]{{64}}\.index\.json": lambda _: data(old)}):
        user.install_is_refused(
            f"served data that does not match its signed metadata while trying to download the index of {PLUGIN}",
            "refused by TUF, nothing was installed",
        )


# -- 4, 5, 7. targets swapped by a mirror ----------------------------------------------------


def test_an_archive_whose_bytes_differ_from_the_signed_hash_is_refused(user: User, world: World) -> None:
    tampered = bytearray(world.archives[NEW].read_bytes())
    tampered[len(tampered) // 2] ^= 0xFF  # same length: only the hash can tell
    with attacked(user, world, {re.escape(world.path_of(NEW)): lambda _: data(bytes(tampered))}):
        user.install_is_refused(
            f"served data that does not match its signed metadata while trying to download "
            f"{PLUGIN}/{PLUGIN}-{NEW}.plugin",
            "refused by TUF, nothing was installed",
        )


def test_another_versions_signature_served_for_this_archive_is_refused(user: User, world: World) -> None:
    other_signature = (world.archives["1.0.0"].parent / f"{PLUGIN}-1.0.0.plugin.sig").read_bytes()
    path = world.path_of(NEW, ".sig")
    with attacked(user, world, {re.escape(path): lambda _: data(other_signature)}):
        user.install_is_refused(
            f"while trying to download {PLUGIN}/{PLUGIN}-{NEW}.plugin.sig", "refused by TUF, nothing was installed"
        )


def test_another_versions_signature_named_by_a_rogue_index_fails_the_publisher_check(user: User, world: World) -> None:
    # The registry's online keys cannot forge a publisher signature: pointing this version at
    # another version's (genuine) signature is caught by the signature check, not by TUF.
    view = RepositoryView(world.proxy)
    old = view.entry("1.0.0")
    rules = world.forger.index_with(
        view, NEW, signature_sha256=old["signature_sha256"], signature_length=old["signature_length"]
    )
    with attacked(user, world, rules):
        user.install_is_refused("error: the signature is for another archive")


def test_another_plugins_archive_under_this_plugins_name_is_refused(user: User, world: World) -> None:
    other = world.archives[OTHER].read_bytes()
    with attacked(user, world, {re.escape(world.path_of(NEW)): lambda _: data(other)}):
        user.install_is_refused(
            f"while trying to download {PLUGIN}/{PLUGIN}-{NEW}.plugin", "refused by TUF, nothing was installed"
        )


def test_another_plugins_archive_named_by_a_rogue_index_is_refused(user: User, world: World) -> None:
    other = read_archive(world.archives[OTHER])
    other_signature = (world.archives[OTHER].parent / f"{OTHER}-1.0.0.plugin.sig").read_bytes()
    view = RepositoryView(world.proxy)
    rules = world.forger.index_with(
        view,
        NEW,
        sha256=other.sha256,
        length=world.archives[OTHER].stat().st_size,
        signature_sha256=hashlib.sha256(other_signature).hexdigest(),
        signature_length=len(other_signature),
    )
    with attacked(user, world, rules):
        user.install_is_refused(f"error: the archive of {PLUGIN} {NEW} contains {OTHER} 1.0.0: refused")


# -- 6. endless data -------------------------------------------------------------------------

ENDLESS_TARGETS = {
    "timestamp": (r"/tuf/metadata/timestamp\.json", "refresh its metadata"),
    "snapshot": (r"/tuf/metadata/\d+\.snapshot\.json", "refresh its metadata"),
    "bin": (r"/tuf/metadata/\d+\.bins-[0-9a-f]+\.json", f"look up {PLUGIN}"),
    "index": (rf"/tuf/targets/{PLUGIN}/[0-9a-f]{{64}}\.index\.json", f"download the index of {PLUGIN}"),
    "archive": (
        rf"/tuf/targets/{PLUGIN}/[0-9a-f]{{64}}\.{PLUGIN}-{re.escape(NEW)}\.plugin",
        f"download {PLUGIN}/{PLUGIN}-{NEW}.plugin",
    ),
}


@pytest.mark.parametrize("target", list(ENDLESS_TARGETS))
def test_endless_data_is_cut_off_and_refused(user: User, world: World, target: str) -> None:
    pattern, action = ENDLESS_TARGETS[target]
    with attacked(user, world, {pattern: lambda _: endless()}):
        user.install_is_refused(
            f"error: marketplace local sent more data than its signed metadata allows while "
            f"trying to {action}: refused by TUF, nothing was installed"
        )


def test_a_gzip_bomb_timestamp_is_cut_off_and_refused(user: User, world: World) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)  # 64 MiB in about 64 KiB

    def respond(_: str) -> Reply:
        return Reply([bomb], length=len(bomb), headers={"Content-Encoding": "gzip"})

    with attacked(user, world, {r"/tuf/metadata/timestamp\.json": respond}):
        user.install_is_refused("sent more data than its signed metadata allows while trying to refresh its metadata")


# -- 8. keys that root does not list for the role ---------------------------------------------


def test_a_timestamp_signed_by_a_key_root_does_not_list_is_refused(user: User, world: World) -> None:
    view = RepositoryView(world.proxy)
    forged = world.forger.timestamp(
        view, view.snapshot_bytes, view.snapshot.signed.version, signer=CryptoSigner.generate_ed25519()
    )
    with attacked(user, world, {r"/tuf/metadata/timestamp\.json": lambda _: data(forged)}):
        user.install_is_refused("failed TUF verification", "UnsignedMetadataError", "timestamp was signed by 0/1 keys")


def test_a_snapshot_signed_with_only_the_stolen_timestamp_key_is_refused(user: User, world: World) -> None:
    view = RepositoryView(world.proxy)
    stolen = world.forger.key("timestamp")
    with attacked(user, world, world.forger.new_top(view, {}, snapshot_signer=stolen, timestamp_signer=stolen)):
        user.install_is_refused("failed TUF verification", "UnsignedMetadataError", "snapshot was signed by 0/1 keys")


def test_a_bin_signed_with_only_the_stolen_snapshot_key_is_refused(user: User, world: World) -> None:
    view = RepositoryView(world.proxy)
    index = view.index_bytes().replace(b'"yanked":false', b'"yanked":true')
    name = view.bin_name(INDEX_PATH)
    rules = world.forger.index(view, index, bins_signer=world.forger.key("snapshot"))
    with attacked(user, world, rules):
        user.install_is_refused("failed TUF verification", "UnsignedMetadataError", f"{name} was signed by 0/1 keys")


# -- 9. a publisher identity the publisher did not register ----------------------------------


def _attacker_signer(directory: Path) -> dict[str, str]:
    key = directory / "attacker.key"
    generate_keypair(key)
    from sdk.signing import PublicKey

    public = PublicKey.from_bytes(key.with_name("attacker.key.pub").read_bytes())
    return {"kind": "ed25519", "key_id": public.key_id, "public_key": key.with_name("attacker.key.pub").read_text()}


def test_a_signer_edited_in_the_index_without_the_bin_signature_is_refused_by_tuf(
    user: User, world: World, tmp_path: Path
) -> None:
    genuine = RepositoryView(world.proxy).index()
    attacker = _attacker_signer(tmp_path)
    for entry in genuine["versions"]:
        entry["signer"] = attacker
    edited = json.dumps(genuine).encode()
    with attacked(user, world, {rf"/tuf/targets/{PLUGIN}/[0-9a-f]{{64}}\.index\.json": lambda _: data(edited)}):
        user.install_is_refused(
            f"while trying to download the index of {PLUGIN}", "refused by TUF, nothing was installed"
        )


def test_a_signer_changed_by_a_rogue_registry_fails_the_publisher_signature_check(
    user: User, world: World, tmp_path: Path
) -> None:
    # Signed with the registry's online keys, so TUF accepts the index: the archive's publisher
    # signature (alice's) is then checked against the signer the index names, and fails.
    attacker = _attacker_signer(tmp_path)
    rules = world.forger.index_with(RepositoryView(world.proxy), NEW, signer=attacker)
    with attacked(user, world, rules):
        user.install_is_refused(
            "error: signed by key",
            "which is not trusted",
            "the marketplace's signed index names",
            "tell the marketplace's operator",
        )


# -- 10. the network drops mid-download ------------------------------------------------------


def test_a_connection_dropped_mid_archive_is_refused_and_a_retry_installs(user: User, world: World) -> None:
    archive = world.archives[NEW].read_bytes()

    def half(_: str) -> Reply:
        return Reply([archive], length=len(archive), drop_after=len(archive) // 2)

    with attacked(user, world, {re.escape(world.path_of(NEW)): half}):
        user.install_is_refused(
            f"error: the connection to marketplace local at {world.proxy.url} broke while trying "
            f"to download {PLUGIN}/{PLUGIN}-{NEW}.plugin (",
            "nothing was installed",
        )
    installed = user.acc("plugin", "install", PLUGIN, "--yes")
    assert f"\ninstalled {PLUGIN} {NEW} from local\n" in installed.stdout
    assert [(p["name"], p["version"]) for p in json.loads(user.plugin_list())] == [(PLUGIN, NEW)]
    user.assert_runs_summary()


# -- 11. two installs at once ----------------------------------------------------------------


def test_clients_refreshing_one_marketplace_at_once_all_succeed(user: User, world: World) -> None:
    # ngclient replaces the metadata dir's root.json symlink every time it starts (remove,
    # then symlink): two acc processes starting together failed with "File exists" in CI.
    config = MarketplaceConfig(host_paths({"ACC_HOME": str(user.home)}))
    market = config.get("local")
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def refresh(n: int) -> None:
        client = MarketplaceClient(market, config, user.home / "scratch" / str(n))
        start.wait()
        try:
            client.refresh()
            assert client.target_info(f"{PLUGIN}/index.json") is not None
        except BaseException as e:  # collected, then reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=refresh, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert (market.metadata_dir / "root.json").resolve().is_file()


def test_two_installs_at_once_leave_one_consistent_store(user: User, world: World) -> None:
    command = [ACC, "plugin", "install", PLUGIN, "--yes"]
    procs = [
        subprocess.Popen(
            command,
            env=user.env,
            cwd=user.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    outcomes = [(proc.returncode, out, err) for proc, (out, err) in zip(procs, outputs, strict=True)]
    for code, stdout, stderr in outcomes:
        assert "Traceback" not in stderr, stderr
        assert code == 0 or stderr.startswith("error: "), (code, stdout, stderr)
    assert any(code == 0 and f"installed {PLUGIN} {NEW} from local" in out for code, out, _ in outcomes), outcomes
    state = json.loads((user.home / "state.json").read_text())
    entry = state["plugins"][PLUGIN]
    assert (entry["current"], sorted(entry["versions"])) == (NEW, ["1.0.0", NEW])
    assert sorted(p.name for p in (user.home / "plugins" / PLUGIN).iterdir()) == ["1.0.0", NEW]
    for scratch in ("downloads", "tmp"):
        assert not (user.home / scratch).exists() or not any((user.home / scratch).iterdir()), scratch
    assert [(p["name"], p["version"]) for p in json.loads(user.plugin_list())] == [(PLUGIN, NEW)]
    user.assert_runs_summary()
    again = user.acc("plugin", "install", PLUGIN, "--yes")
    assert again.stdout == f"{PLUGIN} {NEW} is already installed (from local)\n"


# -- 12. Ctrl-C and a full disk --------------------------------------------------------------


def test_ctrl_c_during_a_download_stops_cleanly_and_changes_nothing(user: User, world: World) -> None:
    archive = world.archives[NEW].read_bytes()
    half_sent, release = threading.Event(), threading.Event()

    def stalled(_: str) -> Reply:
        def body() -> Iterator[bytes]:
            yield archive[: len(archive) // 2]
            half_sent.set()  # the first half is on the wire; the rest waits for the test
            release.wait(120)
            yield archive[len(archive) // 2 :]

        return Reply(body(), length=len(archive))

    with attacked(user, world, {re.escape(world.path_of(NEW)): stalled}):
        proc = subprocess.Popen(
            [ACC, "plugin", "install", PLUGIN, "--yes"],
            env=user.env,
            cwd=user.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert half_sent.wait(120), "acc never started downloading the archive"
            time.sleep(0.5)  # let acc read what was sent: it is now mid-download, waiting for more
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            release.set()
            if proc.poll() is None:
                proc.kill()
    assert (proc.returncode, stderr) == (130, "interrupted: nothing was left half done\n"), (stdout, stderr)
    installed = user.acc("plugin", "install", PLUGIN, "--yes")
    assert f"\ninstalled {PLUGIN} {NEW} from local\n" in installed.stdout


def test_a_full_disk_while_downloading_is_reported_and_changes_nothing(user: User, world: World) -> None:
    # Simulated with a file size limit (RLIMIT_FSIZE): a write past it fails with EFBIG, as a
    # full disk fails with ENOSPC, in the middle of the 18 MB archive.
    limit = 4 * 1024 * 1024
    listed_before = user.plugin_list()
    proc = subprocess.run(
        [ACC, "plugin", "install", PLUGIN, "--yes"],
        env=user.env,
        cwd=user.cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)),
    )
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stderr.startswith("error: the disk is full: could not write"), proc.stderr
    assert (
        "(File too large)\n  hint: free some space and run the command again; installed plugins were left as "
        "they were" in proc.stderr
    )
    user.assert_untouched(listed_before)
    installed = user.acc("plugin", "install", PLUGIN, "--yes")
    assert f"\ninstalled {PLUGIN} {NEW} from local\n" in installed.stdout
