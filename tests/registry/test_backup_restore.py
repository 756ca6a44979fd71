"""`acc registry backup` and `restore` (registry/backup.py, registry/restore.py).

A registry with real content (a published, signed plugin; accounts, a token, a review) is
backed up and restored into a fresh data directory, on SQLite and, when a server is
configured, PostgreSQL; the restored registry serves the same plugins, logins and tokens
work, its TUF metadata is byte-identical, the installer's TUF client trusting the original
root accepts it, and its blobs hash to their names. A backup is untrusted input: damaged
files, names that climb out, links, a newer schema and an occupied target are refused,
with nothing changed. A backup holds off cleanup's blob deletion while it copies.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from acc_cli.root import cli
from host.errors import MarketplaceUntrusted
from host.marketplace.config import MarketplaceConfig
from host.marketplace.tuf_client import MarketplaceClient
from host.paths import HostPaths
from registry.app import create_app
from registry.backup import backup_registry
from registry.backup_format import RestoreLimits
from registry.blob_hold import blobs_held
from registry.config import RegistryConfig
from registry.context import Registry
from registry.errors import BackupError
from registry.models import TufMetadata, utcnow
from registry.operator import refresh_command
from registry.refresh import refresh_repository
from registry.restore import restore_registry
from registry.upkeep import clean_blobs
from sdk.archive import PluginArchive
from sdk.index_format import archive_path
from tests.flask_fetcher import REGISTRY_URL, FlaskFetcher
from tests.postgres_kit import drop_database
from tests.registry.web_kit import log_in
from tests.registry_kit import Publisher, config_for, make_publisher, publish, variant

PLUGIN = "project-stats"


def _backup(config: RegistryConfig, dest: Path, *, include_keys: bool = True) -> Path:
    return backup_registry(config, dest, acc_version="0.1.0", include_keys=include_keys).path


@pytest.fixture
def empty_postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (a restore target), dropped after the test."""
    from sqlalchemy import create_engine, text

    name = f"acc_restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{postgres_admin_url.rpartition('/')[0]}/{name}"
    drop_database(admin, name)
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def restore_target(request: pytest.FixtureRequest, tmp_path: Path) -> RegistryConfig:
    """Where a backup is restored: a fresh data directory, with a fresh PostgreSQL database or SQLite in it."""
    url = "" if request.param == "sqlite" else str(request.getfixturevalue("empty_postgres_url"))
    return config_for(tmp_path / "restored", url)


def _installer(tmp_path: Path, client: FlaskClient, pinned_root: bytes) -> Callable[[], MarketplaceClient]:
    """New installer TUF clients (as each `acc` command makes) of the marketplace in
    tmp_path/user, added trusting `pinned_root` (the original registry's first root) unless
    it was added before, reading `client`."""
    user = HostPaths(home=tmp_path / "user", cache=tmp_path / "user-cache")
    config = MarketplaceConfig(user)
    market = next((m for m in config.list() if m.name == "local"), None)
    if market is None:
        market, _ = config.add("local", REGISTRY_URL, pinned_root)
    return lambda: MarketplaceClient(market, config, user.home / "work", fetcher=FlaskFetcher(client))


def _served_metadata(config: RegistryConfig, client: FlaskClient) -> dict[str, bytes]:
    """Every stored metadata version as the registry serves it, and the current timestamp."""
    registry = Registry.open(config)
    try:
        with registry.db.read() as session:
            rows = session.execute(select(TufMetadata.role, TufMetadata.version)).all()
    finally:
        registry.db.dispose()
    served = {}
    for role, version in rows:
        name = "timestamp.json" if role == "timestamp" else f"{version}.{role}.json"
        response = client.get(f"/tuf/metadata/{name}")
        assert response.status_code == 200, name
        served[name] = response.data
    return served


@dataclass(frozen=True)
class Source:
    """A registry with a published plugin, a review, an account and its token, backed up."""

    backup: Path
    publisher: Publisher
    pinned_root: bytes
    metadata: dict[str, bytes]
    listing: object


def _published_source(config: RegistryConfig, scratch: Path, archive: PluginArchive) -> Source:
    alice = make_publisher(config, "alice", scratch / "keys")
    app = create_app(config)
    try:
        client = app.test_client()
        assert publish(client, alice, variant(archive, version="1.0.0")).status_code == 201
        review = client.put(f"/api/v1/plugins/{PLUGIN}/reviews", json={"stars": 4, "text": "ok"}, headers=alice.auth)
        assert review.status_code in (200, 201), review.get_json()
        pinned_root = client.get("/tuf/metadata/1.root.json").data
        metadata = _served_metadata(config, client)
        listing = client.get(f"/api/v1/plugins/{PLUGIN}").get_json()
    finally:
        app.extensions["acc_registry"].db.dispose()
    return Source(_backup(config, scratch / "registry.tar.gz"), alice, pinned_root, metadata, listing)


@pytest.fixture(scope="module")
def sqlite_source(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, example_archive: PluginArchive
) -> Source:
    """Published and backed up once per module (restored by several tests)."""
    scratch = tmp_path_factory.mktemp("sqlite-source")
    shutil.copytree(sqlite_template, scratch / "registry-data")
    return _published_source(config_for(scratch / "registry-data"), scratch, example_archive)


@pytest.fixture(params=["sqlite", "postgresql"])
def source(request: pytest.FixtureRequest, tmp_path: Path, example_archive: PluginArchive) -> Source:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_source")  # type: ignore[no-any-return]
    url = str(request.getfixturevalue("postgres_url"))
    shutil.copytree(request.getfixturevalue("postgres_template")[1], tmp_path / "source")
    return _published_source(config_for(tmp_path / "source", url), tmp_path, example_archive)


@pytest.mark.parametrize(
    ("source", "restore_target"),
    [("sqlite", "sqlite"), ("sqlite", "postgresql"), ("postgresql", "sqlite")],
    indirect=True,
    ids=["sqlite-to-sqlite", "sqlite-to-postgresql", "postgresql-to-sqlite"],
)
def test_a_restored_registry_serves_the_same_plugins_accounts_and_byte_identical_tuf_metadata(
    source: Source, restore_target: RegistryConfig, tmp_path: Path
) -> None:
    alice, pinned_root, before, listing = source.publisher, source.pinned_root, source.metadata, source.listing
    report = restore_registry(restore_target, source.backup)
    assert (report.rows["users"], report.rows["plugins"], report.rows["versions"]) == (1, 1, 1)
    assert report.signing_problem is None and "timestamp.pem" in report.keys
    assert _audited(restore_target)[-1] == ("operator", "restore", f"generation {report.generation}")

    restored_app = create_app(restore_target)
    try:
        restored = restored_app.test_client()
        assert _served_metadata(restore_target, restored) == before
        assert restored.get(f"/api/v1/plugins/{PLUGIN}").get_json() == listing

        # The installer, trusting only the original root, verifies and downloads from it.
        installer = _installer(tmp_path, restored, pinned_root)
        index = installer().plugin_index(PLUGIN)
        assert index is not None and [v.version for v in index.versions] == ["1.0.0"]
        entry = index.versions[0]
        got = installer().download(
            archive_path(PLUGIN, "1.0.0"), sha256=entry.sha256, length=entry.length, destination=tmp_path / "a.plugin"
        )
        assert hashlib.sha256(got.read_bytes()).hexdigest() == entry.sha256

        # Every restored blob holds the bytes its name promises.
        blobs = [p for p in (restore_target.blobs_dir).rglob("*") if p.is_file()]
        assert len(blobs) == report.blobs >= 3  # archive, signature, index
        assert all(hashlib.sha256(p.read_bytes()).hexdigest() == p.name for p in blobs)

        # Alice's token still acts (a yank signs new metadata with the restored keys) and
        # her password still logs in.
        yank = restored.post(f"/api/v1/plugins/{PLUGIN}/versions/1.0.0/yank", json={"reason": "r"}, headers=alice.auth)
        assert yank.status_code == 200, yank.get_json()
        assert installer().plugin_index(PLUGIN).versions[0].yanked is True  # type: ignore[union-attr]
        assert log_in(restored, "alice").status_code == 303
        assert "alice" in restored.get("/account").get_data(as_text=True)
    finally:
        restored_app.extensions["acc_registry"].db.dispose()


def test_a_backup_without_keys_restores_a_registry_that_says_which_keys_it_needs(
    registry_config: RegistryConfig, alice: Publisher, tmp_path: Path
) -> None:
    report = restore_registry(
        config_for(tmp_path / "restored"), _backup(registry_config, tmp_path / "b.tar", include_keys=False)
    )
    assert report.keys == []
    assert report.signing_problem is not None
    assert "that the metadata names is not on this host" in report.signing_problem
    with tarfile.open(tmp_path / "b.tar") as tar:
        assert not [n for n in tar.getnames() if n.startswith("keys/")]


# -- refusals: the backup is untrusted input ------------------------------------------------


def _members(path: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(path) as tar:
        return [(m, tar.extractfile(m).read() if m.isreg() else b"") for m in tar.getmembers()]  # type: ignore[union-attr]


def _rewrite(path: Path, members: list[tuple[tarfile.TarInfo, bytes]], where: Path) -> Path:
    out = where / ("altered-" + path.name)
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return out


def _with_manifest(members: list[tuple[tarfile.TarInfo, bytes]], edit: Callable[[dict], None]) -> list:  # type: ignore[type-arg]
    manifest = json.loads(members[0][1])
    edit(manifest)
    return [(members[0][0], json.dumps(manifest).encode()), *members[1:]]


@pytest.fixture(scope="module")
def plain_backup(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of a registry with one account (small: no plugin), keys included; made once
    per module (the refusal tests alter copies of it)."""
    scratch = tmp_path_factory.mktemp("plain-backup")
    shutil.copytree(sqlite_template, scratch / "registry-data")
    config = config_for(scratch / "registry-data")
    make_publisher(config, "alice", scratch / "keys")
    return _backup(config, scratch / "plain.tar")


def _target(tmp_path: Path) -> RegistryConfig:
    (tmp_path / "t").mkdir(exist_ok=True)
    return config_for(tmp_path / "t" / "data")


def _refused(config: RegistryConfig, backup: Path, message: str, **kwargs: object) -> None:
    parent = config.data_dir.parent
    before = sorted(os.listdir(parent))
    with pytest.raises(BackupError, match=message) as refusal:
        restore_registry(config, backup, **kwargs)  # type: ignore[arg-type]
    assert "nothing was changed" in str(refusal.value.hint) or "--force" in str(refusal.value.hint)
    assert sorted(os.listdir(parent)) == before  # no data directory, no staging left behind


def test_a_file_whose_bytes_differ_from_the_manifest_is_refused(plain_backup: Path, tmp_path: Path) -> None:
    members = _members(plain_backup)
    altered = [(i, d.replace(b"alice", b"mallo") if i.name == "db/users.jsonl" else d) for i, d in members]
    _refused(_target(tmp_path), _rewrite(plain_backup, altered, tmp_path), "does not match its manifest's sha256")


@pytest.mark.parametrize(
    "name", ["../../x", "<absolute>", "blobs/../../x", "keys/../../x", "db/../x.jsonl", "blobs/aa/" + "b" * 64]
)
def test_a_manifest_entry_outside_the_backup_shapes_is_refused(plain_backup: Path, tmp_path: Path, name: str) -> None:
    members = _with_manifest(
        _members(plain_backup), lambda m: m["files"].update({name: {"sha256": "0" * 64, "size": 1}})
    )
    members.append((tarfile.TarInfo(name), b"x"))
    _refused(_target(tmp_path), _rewrite(plain_backup, members, tmp_path), "which no backup holds")
    assert not (tmp_path / "x").exists()


def test_a_member_the_manifest_does_not_list_is_refused(plain_backup: Path, tmp_path: Path) -> None:
    members = [*_members(plain_backup), (tarfile.TarInfo("keys/extra.pem"), b"x")]
    _refused(_target(tmp_path), _rewrite(plain_backup, members, tmp_path), "its manifest does not list it")


@pytest.mark.parametrize("link", [tarfile.SYMTYPE, tarfile.LNKTYPE], ids=["symlink", "hardlink"])
def test_a_link_member_is_refused(plain_backup: Path, tmp_path: Path, link: bytes) -> None:
    members = _members(plain_backup)
    key = next(i for i, (info, _) in enumerate(members) if info.name.startswith("keys/"))
    info = members[key][0]
    info.type, info.linkname = link, "/etc/passwd"
    members[key] = (info, b"")
    _refused(_target(tmp_path), _rewrite(plain_backup, members, tmp_path), "is a link: refused")


def test_a_truncated_backup_is_refused(plain_backup: Path, tmp_path: Path) -> None:
    members = _members(plain_backup)[:-1]
    _refused(_target(tmp_path), _rewrite(plain_backup, members, tmp_path), "it is truncated")


def test_a_backup_over_the_size_limits_is_refused_before_it_is_read(plain_backup: Path, tmp_path: Path) -> None:
    limits = RestoreLimits(max_total_bytes=1000)
    _refused(_target(tmp_path), plain_backup, "the backup is refused: it holds", limits=limits)


def test_a_backup_of_a_newer_schema_is_refused_with_the_acc_that_reads_it(plain_backup: Path, tmp_path: Path) -> None:
    members = _with_manifest(_members(plain_backup), lambda m: m.update(schema_revision="9999", acc_version="9.0.0"))
    target = _target(tmp_path)
    _refused(target, _rewrite(plain_backup, members, tmp_path), r"schema \(revision 9999, made by acc 9.0.0\) is newer")
    with pytest.raises(BackupError) as refusal:
        restore_registry(target, _rewrite(plain_backup, members, tmp_path))
    assert refusal.value.hint is not None and "acc 9.0.0 or newer" in refusal.value.hint


def test_an_occupied_target_is_refused_and_force_keeps_it_beside_the_restored_one(
    plain_backup: Path, registry_config: RegistryConfig, tmp_path: Path
) -> None:
    target = _target(tmp_path)
    target.data_dir.mkdir()
    (target.data_dir / "something").write_text("kept")
    _refused(target, plain_backup, "holds a registry already")
    report = restore_registry(target, plain_backup, force=True)
    assert report.kept is not None and (report.kept / "something").read_text() == "kept"
    assert (target.data_dir / "registry.db").is_file() and not (target.data_dir / "something").exists()


def test_backup_and_restore_commands_print_what_they_did_and_refuse_by_name(
    registry_config: RegistryConfig, alice: Publisher, tmp_path: Path
) -> None:
    runner = CliRunner()
    dest = tmp_path / "b.tar"
    made = runner.invoke(
        cli, ["registry", "backup", str(dest), "--include-keys", "--data", str(registry_config.data_dir)]
    )
    assert made.exit_code == 0, made.output
    assert _audited(registry_config)[-1] == ("operator", "backup", "generation 0")
    assert (
        made.stdout
        == f"backed up generation 0 (schema {_head()}): 1 users, 0 plugins, 0 versions, 0 blobs (0 bytes) to {dest}\n"
    )
    assert made.stderr.startswith("warning: this backup holds the registry's private keys (bins.pem, root.pem,")
    assert "and the offline root.pem and targets.pem can re-sign root and targets" in made.stderr

    again = runner.invoke(cli, ["registry", "backup", str(dest), "--data", str(registry_config.data_dir)])
    assert again.exit_code == 1
    assert again.stderr == f"error: {dest} exists already\n  hint: name a new file: a backup never replaces one\n"

    target = tmp_path / "restored"
    restored = runner.invoke(cli, ["registry", "restore", str(dest), "--data", str(target)])
    assert restored.exit_code == 0, restored.output
    assert restored.stdout == (
        f"restored generation 0 (schema {_head()}, backed up by acc 0.1.0): 1 users, 0 plugins, 0 versions, "
        f"0 blobs into {target}\n"
    )
    refused = runner.invoke(cli, ["registry", "restore", str(dest), "--data", str(target)])
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"error: {target} holds a registry already: a restore never mixes two\n"
        "  hint: restore into an empty --data directory (and database), or pass --force to replace it "
        "(the data directory as it was is kept beside it)\n"
    )


def _head() -> str:
    from registry.schema import head_revision

    return head_revision()


# -- consistency ----------------------------------------------------------------------------


def test_cleanup_leaves_orphan_blobs_alone_while_a_backup_holds_them(registry_config: RegistryConfig) -> None:
    registry = Registry.open(registry_config)
    try:
        orphan = registry.blobs.put(b"an interrupted publish left this")
        old = time.time() - 7200
        path = registry.blobs.local_path(orphan)
        assert path is not None
        os.utime(path, (old, old))
        with blobs_held(registry.db):
            assert clean_blobs(registry, utcnow(), timedelta(hours=1)) == (0, 0)
            assert registry.blobs.exists(orphan)
        assert clean_blobs(registry, utcnow(), timedelta(hours=1)) == (0, 1)
        assert not registry.blobs.exists(orphan)
    finally:
        registry.db.dispose()


def test_an_occupied_postgresql_database_is_refused_and_force_replaces_it_all_or_nothing(
    plain_backup: Path, empty_postgres_url: str, tmp_path: Path
) -> None:
    restore_registry(config_for(tmp_path / "first", empty_postgres_url), plain_backup)
    target = config_for(tmp_path / "second", empty_postgres_url)
    _refused(target, plain_backup, "the database holds a registry already")

    # A backup that fails midway (its manifest promises a row more than it holds) leaves
    # the database as it was: the old tables' removal is rolled back with everything else.
    members = _with_manifest(_members(plain_backup), lambda m: m["tables"][0].update(rows=m["tables"][0]["rows"] + 1))
    with pytest.raises(BackupError, match="its manifest says"):
        restore_registry(target, _rewrite(plain_backup, members, tmp_path), force=True)
    assert _user_names(target) == ["alice"]

    restore_registry(target, plain_backup, force=True)
    assert _user_names(target) == ["alice"]


def _audited(config: RegistryConfig) -> list[tuple[str, str, str]]:
    from registry.models import AuditEntry

    registry = Registry.open(config)
    try:
        with registry.db.read() as session:
            rows = session.execute(
                select(AuditEntry.actor, AuditEntry.action, AuditEntry.target).order_by(AuditEntry.id)
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]
    finally:
        registry.db.dispose()


def _user_names(config: RegistryConfig) -> list[str]:
    from registry.models import User

    registry = Registry.open(config)
    try:
        with registry.db.read() as session:
            return list(session.execute(select(User.name)).scalars())
    finally:
        registry.db.dispose()


def test_clients_that_saw_metadata_newer_than_the_backup_follow_once_the_versions_are_advanced(
    registry_config: RegistryConfig, client: FlaskClient, tmp_path: Path
) -> None:
    backup = _backup(registry_config, tmp_path / "b.tar")
    # After the backup, two more metadata changes reach the clients, then the database is lost.
    registry = Registry.open(registry_config)
    try:
        for days in (3, 6):
            assert refresh_repository(registry, utcnow() + timedelta(days=days)).resigned
    finally:
        registry.db.dispose()
    installer = _installer(tmp_path, client, client.get("/tuf/metadata/1.root.json").data)
    installer().refresh()

    restored_config = config_for(tmp_path / "restored")
    restore_registry(restored_config, backup)
    restored_app = create_app(restored_config)
    try:
        restored = restored_app.test_client()
        installer = _installer(tmp_path, restored, b"")  # the same client state, now reading the restore
        with pytest.raises(MarketplaceUntrusted):  # rollback protection: older versions than it saw
            installer().refresh()
        report = refresh_command(restored_config, advance_by=2)
        assert report.summary().startswith("re-signed every online role past 2 more versions (timestamp version 4)")
        installer().refresh()
    finally:
        restored_app.extensions["acc_registry"].db.dispose()


def test_a_registry_on_s3_backs_up_and_restores_into_another_bucket(
    registry_config: RegistryConfig, alice: Publisher, example_archive: PluginArchive, tmp_path: Path
) -> None:
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    on_s3 = {"blob_store": "s3", "s3_region": "us-east-1", "secret_key": "one secret for every host"}
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        for bucket in ("acc-blobs", "acc-blobs-restored"):
            s3.create_bucket(Bucket=bucket)
        source = replace(registry_config, s3_bucket="acc-blobs", **on_s3)  # type: ignore[arg-type]
        app = create_app(source)
        try:
            assert publish(app.test_client(), alice, variant(example_archive, version="1.0.0")).status_code == 201
        finally:
            app.extensions["acc_registry"].db.dispose()
        backup = _backup(source, tmp_path / "b.tar")

        target = config_for(tmp_path / "restored", s3_bucket="acc-blobs-restored", **on_s3)
        report = restore_registry(target, backup)
        restored = {i["Key"] for i in s3.list_objects_v2(Bucket="acc-blobs-restored")["Contents"]}
        assert restored == {i["Key"] for i in s3.list_objects_v2(Bucket="acc-blobs")["Contents"]}
        assert len(restored) == report.blobs == 3  # archive, signature, index
        for key in restored:
            data = s3.get_object(Bucket="acc-blobs-restored", Key=key)["Body"].read()
            assert hashlib.sha256(data).hexdigest() == key.rsplit("/", 1)[-1]
        assert not target.blobs_dir.exists() or not any(target.blobs_dir.iterdir())


def test_a_row_over_the_row_limit_is_refused(plain_backup: Path, tmp_path: Path) -> None:
    _refused(_target(tmp_path), plain_backup, "has a row over 64 bytes", limits=RestoreLimits(max_row_bytes=64))


def test_rows_that_name_missing_rows_are_refused_even_when_their_hashes_match(
    plain_backup: Path, tmp_path: Path
) -> None:
    """A backup rewritten with a consistent manifest is still refused if its rows do not hold together."""
    members = _members(plain_backup)
    tokens = next(data for info, data in members if info.name == "db/api_tokens.jsonl")
    row = json.loads(tokens)
    row[1] = 999  # user_id: no such user
    forged = json.dumps(row).encode() + b"\n"
    members = [(i, forged if i.name == "db/api_tokens.jsonl" else d) for i, d in members]
    members = _with_manifest(
        members,
        lambda m: m["files"].update(
            {"db/api_tokens.jsonl": {"sha256": hashlib.sha256(forged).hexdigest(), "size": len(forged)}}
        ),
    )
    _refused(_target(tmp_path), _rewrite(plain_backup, members, tmp_path), "api_tokens has a row naming a missing row")


def test_a_backup_in_a_newer_format_is_refused(plain_backup: Path, tmp_path: Path) -> None:
    members = _with_manifest(_members(plain_backup), lambda m: m.update(format_version=2))
    _refused(_target(tmp_path), _rewrite(plain_backup, members, tmp_path), "in format 2, newer than this acc reads")


def test_a_tar_header_over_the_limit_is_refused_without_reading_it_whole(plain_backup: Path, tmp_path: Path) -> None:
    members = _members(plain_backup)
    members[1][0].pax_headers = {"comment": "x" * 400_000}  # a pax header tarfile would read whole
    limits = RestoreLimits(max_manifest_bytes=64 * 1024)
    _refused(_target(tmp_path), _rewrite(plain_backup, members, tmp_path), "is over", limits=limits)


def test_a_compressed_backup_restores_like_a_plain_one(plain_backup: Path, tmp_path: Path) -> None:
    import gzip

    compressed = tmp_path / "plain.tar.gz"
    compressed.write_bytes(gzip.compress(plain_backup.read_bytes()))
    assert restore_registry(_target(tmp_path), compressed).rows["users"] == 1
