"""TUF attacks on installing from a marketplace: each is refused, says what was wrong, and changes nothing.

Most attacks run in this process: `install_requirement` (what `acc plugin install NAME`
runs) against the registry's Flask app, which a `MemoryFetcher` serves to the TUF client
(python-tuf's own tests work this way, with their RepositorySimulator). A test installs
rules that rewrite chosen answers, and checks that the refusal says what was wrong and
that the version installed before the attack is untouched.

What needs a real connection or a real `acc` process runs against a real registry server
behind a `TamperingProxy`, through the real CLI: a gzip bomb, a connection dropped
mid-download, Ctrl-C, a full disk, installs and refreshes racing each other, and one
attack end to end (a tampered archive refused, the old version still running).

Attacks that need the registry's online keys (a stolen timestamp, snapshot or bins key, or a
registry gone rogue) are forged with the keys in the registry's data dir, signed the way
registry/tuf_repo.py signs. A mirror without keys can only replay, mix and alter bytes.

One registry per module, built in process; the server starts only for the tests that need
it, on the same data. Every test starts from a copy of one user home that installed
project-stats 1.0.0 before 1.1.0 was published: its trusted metadata is older than the
registry's, so the next install fetches a new timestamp, snapshot, bin, index, archive and
signature, and each of them can be attacked.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import os
import re
import resource
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from securesystemslib.signer import CryptoSigner

from host.install import InstallRequest
from host.marketplace import install as marketplace_install
from host.marketplace.config import MarketplaceConfig, normalize_url
from host.marketplace.install import MarketplaceInstall, install_requirement
from host.marketplace.tuf_client import MarketplaceClient
from host.paths import HostPaths, host_paths
from host.store import LocalStore
from registry.app import create_app
from sdk.archive import read_archive
from sdk.errors import AccError
from sdk.signing import generate_keypair, sign_archive
from tests.e2e.tuf_kit import (
    INDEX_PATH,
    PLUGIN,
    Forger,
    MemoryFetcher,
    Reply,
    RepositoryView,
    Responder,
    Tampering,
    TamperingProxy,
    data,
    endless,
)
from tests.helpers import TEST_CACHE, clone_home
from tests.registry_kit import make_config, make_publisher, publish, variant
from tests.server_kit import ACC, acc, running_registry

pytestmark = pytest.mark.slow

OTHER = "line-census"
NEW = "1.1.0"
# The server keeps timestamp.json in memory for a second (registry/tuf_views.py).
TIMESTAMP_CACHE_SECONDS = 1.2


# -- the module's registry and users ---------------------------------------------------------


@dataclass
class World:
    fetcher: MemoryFetcher  # the registry's app, in this process
    proxy: TamperingProxy  # the same registry through a real server, once `server` started it
    forger: Forger
    early_timestamp: bytes  # signed before the template user's last refresh
    template_home: Path
    data_dir: Path
    database: Path  # the registry's SQLite file, for attacks on its storage
    env: dict[str, str]
    archives: dict[str, Path]  # "1.0.0", "1.1.0", OTHER -> signed archive

    def view(self, timestamp: bytes | None = None) -> RepositoryView:
        """The registry's genuine metadata, now or as of `timestamp`."""
        return RepositoryView(self.fetcher.genuine, timestamp)

    def path_of(self, version: str, suffix: str = "") -> str:
        """The URL path of project-stats' archive (or its .sig), as the consistent-snapshot client asks."""
        entry = self.view().entry(version)
        digest = entry["signature_sha256" if suffix else "sha256"]
        return f"/tuf/targets/{PLUGIN}/{digest}.{PLUGIN}-{version}.plugin{suffix}"


def install_in_process(paths: HostPaths, fetcher: MemoryFetcher, requirement: str) -> MarketplaceInstall:
    """`acc plugin install REQUIREMENT --yes`, without a terminal, its TUF client fetching from memory."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(marketplace_install, "MarketplaceClient", functools.partial(MarketplaceClient, fetcher=fetcher))
        return install_requirement(paths, requirement, InstallRequest(archive=Path(), yes=True))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, built_archives: Callable[[str], Path]) -> Iterator[World]:
    work = tmp_path_factory.mktemp("tuf-attacks")
    env = {**os.environ, "ACC_HOME": str(work / "publisher-home"), "ACC_CACHE_DIR": str(TEST_CACHE)}
    env.pop("ACC_REGISTRY_TOKEN", None)
    data_dir = work / "registry-data"
    config = make_config(data_dir)
    app = create_app(config)
    fetcher = MemoryFetcher(app.test_client())
    alice = make_publisher(config, "alice", work)
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
        sign_archive(archive, alice.key)

    def publish_archive(key: str) -> None:
        archive = archives[key]
        signature = archive.with_name(archive.name + ".sig").read_bytes()
        response = publish(fetcher.client, alice, archive.read_bytes(), signature)
        assert response.status_code == 201, response.get_json()

    template = HostPaths(home=work / "template-home", cache=TEST_CACHE)
    proxy = TamperingProxy()  # its server starts with the `server` fixture
    try:
        publish_archive("1.0.0")
        early_timestamp = fetcher.genuine("/tuf/metadata/timestamp.json")
        publish_archive(OTHER)
        root = fetcher.genuine("/tuf/metadata/1.root.json")
        MarketplaceConfig(template).add("local", normalize_url(proxy.url), root)
        install_in_process(template, fetcher, f"{PLUGIN}==1.0.0")
        publish_archive(NEW)  # the registry moves on: the template's metadata is now stale
        yield World(
            fetcher=fetcher,
            proxy=proxy,
            forger=Forger(data_dir / "keys"),
            early_timestamp=early_timestamp,
            template_home=template.home,
            data_dir=data_dir,
            database=data_dir / "registry.db",
            env=env,
            archives=archives,
        )
    finally:
        proxy.close()
        app.extensions["acc_registry"].db.dispose()


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[str]:
    """The world's registry served by a real server, behind the world's proxy."""
    with running_registry(world.data_dir) as url:
        world.proxy.upstream_url = url
        yield url


def copy_template(world: World, tmp_path: Path) -> tuple[Path, Path]:
    """A home copied from the template user's, and a small project: (home, project)."""
    home = tmp_path / "home"
    clone_home(world.template_home, home)
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.py").write_text("x = 1\ny = 2\n")
    return home, project


@dataclass
class User:
    """A user installing in this process, through the world's in-memory registry."""

    paths: HostPaths
    tamperer: Tampering

    @property
    def home(self) -> Path:
        return self.paths.home

    def install_is_refused(self, *fragments: str) -> str:
        """Installing project-stats fails with every fragment in what the CLI would print; return that."""
        assert isinstance(self.tamperer, MemoryFetcher)
        with pytest.raises(AccError) as refused:
            install_in_process(self.paths, self.tamperer, PLUGIN)
        stderr = f"error: {refused.value.diagnostics()}\n"
        for fragment in fragments:
            assert fragment in stderr, stderr
        return stderr

    def plugin_list(self) -> str:
        """What `acc plugin list --json` lists."""
        listed = [
            {
                "name": p.name,
                "version": p.version,
                "versions": list(p.versions),
                "granted": sorted(p.granted),
                "signer": p.signer,
                "installed_at": p.installed_at,
                "marketplace": p.marketplace or None,
            }
            for p in LocalStore(self.paths).list()
        ]
        return json.dumps(listed, indent=2)

    def assert_untouched(self, listed_before: str) -> None:
        """The attack changed nothing: same plugins, 1.0.0's files intact, no download left behind."""
        assert self.plugin_list() == listed_before
        assert [p["version"] for p in json.loads(listed_before)] == ["1.0.0"]
        current = LocalStore(self.paths).get(PLUGIN)
        assert hashlib.sha256(current.wasm_path.read_bytes()).hexdigest() == current.wasm_sha256
        downloads = self.home / "downloads"
        assert not downloads.exists() or not any(downloads.iterdir())


@pytest.fixture
def user(tmp_path: Path, world: World) -> User:
    """A user who installed project-stats 1.0.0 from the marketplace earlier."""
    home, _ = copy_template(world, tmp_path)
    return User(HostPaths(home=home, cache=TEST_CACHE), world.fetcher)


@dataclass
class CliUser:
    """A user of the real `acc`, reaching the real server through the world's proxy."""

    env: dict[str, str]
    cwd: Path
    home: Path
    tamperer: Tampering

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
def cli_user(tmp_path: Path, world: World, server: str) -> CliUser:
    """A user who installed project-stats 1.0.0 earlier, now running the real `acc` against the real server."""
    home, project = copy_template(world, tmp_path)
    return CliUser(env={**world.env, "ACC_HOME": str(home)}, cwd=project, home=home, tamperer=world.proxy)


@contextmanager
def attacked(user: User | CliUser, world: World, rules: Mapping[str, Responder]) -> Iterator[list[str]]:
    """Apply the rules around the block, then check the attack was served and changed nothing."""
    listed_before = user.plugin_list()
    with user.tamperer.tampering(rules) as tampered:
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
    view, early = world.view(), world.view(world.early_timestamp)
    forged = world.forger.timestamp(view, early.snapshot_bytes, early.snapshot.signed.version)
    with attacked(user, world, {r"/tuf/metadata/timestamp\.json": lambda _: data(forged)}):
        user.install_is_refused(
            "served metadata of another version than the one it signed or served before while "
            "trying to refresh its metadata (New snapshot version",
            "refused by TUF",
        )


def test_rollback_of_a_bin_by_a_snapshot_signed_with_the_registry_key_is_refused(user: User, world: World) -> None:
    view = world.view()
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
    view = world.view()
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
    version = world.view().timestamp.signed.version
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
        assert world.view().timestamp_bytes == genuine


def test_a_registry_whose_stored_timestamp_expired_is_refused_as_frozen(user: User, world: World) -> None:
    # The registry's storage says what it said an hour after its last signing: the natural freeze.
    view = world.view()
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
    view = world.view()
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
    view, early = world.view(), world.view(world.early_timestamp)
    version = view.snapshot.signed.version
    old = early.snapshot_bytes
    with attacked(user, world, {rf"/tuf/metadata/{version}\.snapshot\.json": lambda _: data(old)}):
        user.install_is_refused(
            "served data that does not match its signed metadata while trying to refresh its metadata",
            "refused by TUF, nothing was installed",
        )


def test_an_old_index_served_under_the_new_indexs_name_is_refused(user: User, world: World) -> None:
    old = world.view(world.early_timestamp).index_bytes()
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
    view = world.view()
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
    view = world.view()
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


def test_a_gzip_bomb_timestamp_is_cut_off_and_refused(cli_user: CliUser, world: World) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)  # 64 MiB in about 64 KiB

    def respond(_: str) -> Reply:
        return Reply([bomb], length=len(bomb), headers={"Content-Encoding": "gzip"})

    with attacked(cli_user, world, {r"/tuf/metadata/timestamp\.json": respond}):
        cli_user.install_is_refused(
            "sent more data than its signed metadata allows while trying to refresh its metadata"
        )


# -- 8. keys that root does not list for the role ---------------------------------------------


def test_a_timestamp_signed_by_a_key_root_does_not_list_is_refused(user: User, world: World) -> None:
    view = world.view()
    forged = world.forger.timestamp(
        view, view.snapshot_bytes, view.snapshot.signed.version, signer=CryptoSigner.generate_ed25519()
    )
    with attacked(user, world, {r"/tuf/metadata/timestamp\.json": lambda _: data(forged)}):
        user.install_is_refused("failed TUF verification", "UnsignedMetadataError", "timestamp was signed by 0/1 keys")


def test_a_snapshot_signed_with_only_the_stolen_timestamp_key_is_refused(user: User, world: World) -> None:
    view = world.view()
    stolen = world.forger.key("timestamp")
    with attacked(user, world, world.forger.new_top(view, {}, snapshot_signer=stolen, timestamp_signer=stolen)):
        user.install_is_refused("failed TUF verification", "UnsignedMetadataError", "snapshot was signed by 0/1 keys")


def test_a_bin_signed_with_only_the_stolen_snapshot_key_is_refused(user: User, world: World) -> None:
    view = world.view()
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
    genuine = world.view().index()
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
    rules = world.forger.index_with(world.view(), NEW, signer=attacker)
    with attacked(user, world, rules):
        user.install_is_refused(
            "error: signed by key",
            "which is not trusted",
            "the marketplace's signed index names",
            "tell the marketplace's operator",
        )


# -- 10. the network drops mid-download ------------------------------------------------------


def test_a_connection_dropped_mid_archive_is_refused_and_a_retry_installs(cli_user: CliUser, world: World) -> None:
    archive = world.archives[NEW].read_bytes()

    def half(_: str) -> Reply:
        return Reply([archive], length=len(archive), drop_after=len(archive) // 2)

    with attacked(cli_user, world, {re.escape(world.path_of(NEW)): half}):
        cli_user.install_is_refused(
            f"error: the connection to marketplace local at {world.proxy.url} broke while trying "
            f"to download {PLUGIN}/{PLUGIN}-{NEW}.plugin (",
            "nothing was installed",
        )
    installed = cli_user.acc("plugin", "install", PLUGIN, "--yes")
    assert f"\ninstalled {PLUGIN} {NEW} from local\n" in installed.stdout
    assert [(p["name"], p["version"]) for p in json.loads(cli_user.plugin_list())] == [(PLUGIN, NEW)]
    cli_user.assert_runs_summary()


# -- 11. two installs at once ----------------------------------------------------------------


def test_clients_refreshing_one_marketplace_at_once_all_succeed(cli_user: CliUser, world: World) -> None:
    # ngclient replaces the metadata dir's root.json symlink every time it starts (remove,
    # then symlink): two acc processes starting together failed with "File exists" in CI.
    config = MarketplaceConfig(host_paths({"ACC_HOME": str(cli_user.home)}))
    market = config.get("local")
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def refresh(n: int) -> None:
        client = MarketplaceClient(market, config, cli_user.home / "scratch" / str(n))
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


def test_two_installs_at_once_leave_one_consistent_store(cli_user: CliUser, world: World) -> None:
    command = [ACC, "plugin", "install", PLUGIN, "--yes"]
    procs = [
        subprocess.Popen(
            command,
            env=cli_user.env,
            cwd=cli_user.cwd,
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
    state = json.loads((cli_user.home / "state.json").read_text())
    entry = state["plugins"][PLUGIN]
    assert (entry["current"], sorted(entry["versions"])) == (NEW, ["1.0.0", NEW])
    assert sorted(p.name for p in (cli_user.home / "plugins" / PLUGIN).iterdir()) == ["1.0.0", NEW]
    for scratch in ("downloads", "tmp"):
        assert not (cli_user.home / scratch).exists() or not any((cli_user.home / scratch).iterdir()), scratch
    assert [(p["name"], p["version"]) for p in json.loads(cli_user.plugin_list())] == [(PLUGIN, NEW)]
    cli_user.assert_runs_summary()
    again = cli_user.acc("plugin", "install", PLUGIN, "--yes")
    assert again.stdout == f"{PLUGIN} {NEW} is already installed (from local)\n"


# -- 12. Ctrl-C and a full disk --------------------------------------------------------------


def test_ctrl_c_during_a_download_stops_cleanly_and_changes_nothing(cli_user: CliUser, world: World) -> None:
    archive = world.archives[NEW].read_bytes()
    half_sent, release = threading.Event(), threading.Event()

    def stalled(_: str) -> Reply:
        def body() -> Iterator[bytes]:
            yield archive[: len(archive) // 2]
            half_sent.set()  # the first half is on the wire; the rest waits for the test
            release.wait(120)
            yield archive[len(archive) // 2 :]

        return Reply(body(), length=len(archive))

    with attacked(cli_user, world, {re.escape(world.path_of(NEW)): stalled}):
        proc = subprocess.Popen(
            [ACC, "plugin", "install", PLUGIN, "--yes"],
            env=cli_user.env,
            cwd=cli_user.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            # As in a terminal: a suite started in the background (`... &` in a script) hands
            # its children SIGINT ignored, and then Ctrl-C could not reach acc at all.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
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
    installed = cli_user.acc("plugin", "install", PLUGIN, "--yes")
    assert f"\ninstalled {PLUGIN} {NEW} from local\n" in installed.stdout


def test_a_full_disk_while_downloading_is_reported_and_changes_nothing(cli_user: CliUser, world: World) -> None:
    # Simulated with a file size limit (RLIMIT_FSIZE): a write past it fails with EFBIG, as a
    # full disk fails with ENOSPC, in the middle of the 18 MB archive.
    limit = 4 * 1024 * 1024
    listed_before = cli_user.plugin_list()
    proc = subprocess.run(
        [ACC, "plugin", "install", PLUGIN, "--yes"],
        env=cli_user.env,
        cwd=cli_user.cwd,
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
    cli_user.assert_untouched(listed_before)
    installed = cli_user.acc("plugin", "install", PLUGIN, "--yes")
    assert f"\ninstalled {PLUGIN} {NEW} from local\n" in installed.stdout


# -- the whole way: a real server, a real proxy, the real CLI --------------------------------


def test_through_a_real_server_and_proxy_the_cli_refuses_a_tampered_archive_and_keeps_the_old_version(
    cli_user: CliUser, world: World
) -> None:
    tampered = bytearray(world.archives[NEW].read_bytes())
    tampered[len(tampered) // 2] ^= 0xFF
    with attacked(cli_user, world, {re.escape(world.path_of(NEW)): lambda _: data(bytes(tampered))}):
        cli_user.install_is_refused(
            f"error: marketplace local served data that does not match its signed metadata while trying to "
            f"download {PLUGIN}/{PLUGIN}-{NEW}.plugin",
            "refused by TUF, nothing was installed",
        )
    installed = cli_user.acc("plugin", "install", PLUGIN, "--yes")
    assert f"\ninstalled {PLUGIN} {NEW} from local\n" in installed.stdout
    cli_user.assert_runs_summary()
