"""TUF key management on the registry: rotating every role the standard way (clients that trust
the old keys follow, and refuse what the retired keys sign), thresholds, online keys found
through the signer URI in the metadata, start-up refused with the wrong keys, a failed init
that leaves no keys, and pruning old metadata to what clients can still need.

Clients here are the installer's own (host/marketplace/tuf_client.py, python-tuf's ngclient)
reading the app through its test client (tests/flask_fetcher.py).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from securesystemslib.signer import Signer
from sqlalchemy import func, select
from tuf.api.metadata import Metadata

from host.errors import MarketplaceUntrusted
from host.marketplace.config import MarketplaceConfig
from host.marketplace.tuf_client import MarketplaceClient
from host.paths import HostPaths
from registry.app import create_app
from registry.config import RegistryConfig
from registry.errors import RepositoryError
from registry.models import TufMetadata, utcnow
from registry.repository_admin import init_registry, renew_command, rotate_command
from registry.tuf_keys import ONLINE_URI_FIELD, file_signer, generate_key_file
from registry.tuf_repo import load_signer
from sdk.archive import PluginArchive
from tests.flask_fetcher import REGISTRY_URL, FlaskFetcher
from tests.registry_kit import Publisher, config_for, publish, variant

PLUGIN = "project-stats"


@pytest.fixture
def published(client: FlaskClient, alice: Publisher, example_archive: PluginArchive) -> str:
    assert publish(client, alice, variant(example_archive, version="1.0.0")).status_code == 201
    return PLUGIN


@pytest.fixture
def user(tmp_path: Path) -> HostPaths:
    return HostPaths(home=tmp_path / "user", cache=tmp_path / "user-cache")


def _client(user: HostPaths, client: FlaskClient, fetcher: FlaskFetcher | None = None) -> MarketplaceClient:
    """A new client (as a new `acc` command makes), trusting the registry's first root."""
    config = MarketplaceConfig(user)
    market = next((m for m in config.list() if m.name == "local"), None)
    if market is None:
        market, _ = config.add("local", REGISTRY_URL, client.get("/tuf/metadata/1.root.json").data)
    return MarketplaceClient(market, config, user.home / "work", fetcher=fetcher or FlaskFetcher(client))


def _yanked(user: HostPaths, client: FlaskClient) -> bool:
    index = _client(user, client).plugin_index(PLUGIN)
    assert index is not None
    return index.versions[0].yanked


def _root(client: FlaskClient) -> Metadata:  # type: ignore[type-arg]
    timestamp = client.get("/tuf/metadata/timestamp.json")
    assert timestamp.status_code == 200
    version = 1
    while client.get(f"/tuf/metadata/{version + 1}.root.json").status_code == 200:
        version += 1
    return Metadata.from_bytes(client.get(f"/tuf/metadata/{version}.root.json").data)


def _rotate(config: RegistryConfig, role: str, tmp_path: Path) -> list[Signer]:
    """Rotate `role` with the offline keys of the test registry; return the new signers."""
    keys = config.keys_dir
    if role in ("root", "targets"):
        new = [tmp_path / f"new-{role}-{i}.pem" for i in range(3 if role == "root" else 1)]
        for path in new:
            generate_key_file(path)
        rotate_command(
            config, role, root_keys=[keys / "root.pem"], new_key_files=new, threshold=2 if role == "root" else 1
        )
        return [file_signer(p) for p in new]
    _, ids = rotate_command(config, role, root_keys=[keys / "root.pem"], targets_keys=[keys / "targets.pem"])
    return [file_signer(keys / f"{role}-{ids[0][:16]}.pem")]


# -- rotation --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["timestamp", "snapshot", "bins", "targets", "root"])
def test_a_client_installed_before_a_rotation_follows_it_and_refuses_the_retired_key(
    app: Flask,
    client: FlaskClient,
    registry_config: RegistryConfig,
    alice: Publisher,
    user: HostPaths,
    published: str,
    tmp_path: Path,
    role: str,
) -> None:
    assert _yanked(user, client) is False  # the client trusts root 1 and has the index
    retired = load_signer(registry_config.keys_dir, "bins" if role == "bins" else role)
    _rotate(registry_config, role, tmp_path)
    # The running app signs with the new keys (it finds them through the new metadata).
    url = f"/api/v1/plugins/{PLUGIN}/versions/1.0.0/yank"
    assert client.post(url, json={"reason": "after the rotation"}, headers=alice.auth).status_code == 200
    assert _yanked(user, client) is True
    named_by = "targets" if role == "bins" else "root"
    if named_by == "root":
        assert retired.public_key.keyid not in _root(client).signed.roles[role].keyids

    # Someone who kept the retired key signs the newest timestamp (or root) with it.
    if role in ("timestamp", "root"):
        current = Metadata.from_bytes(client.get("/tuf/metadata/timestamp.json").data)
        target = "/tuf/metadata/timestamp.json"
        if role == "root":
            current = _root(client)
            current.signed.version += 1
            target = f"/tuf/metadata/{current.signed.version}.root.json"
        else:
            current.signed.version += 1
        current.signatures.clear()
        current.sign(retired)
        fetcher = FlaskFetcher(client)
        fetcher.overrides[target] = current.to_bytes()
        with pytest.raises(MarketplaceUntrusted):
            _client(user, client, fetcher).refresh()


def test_root_rotated_to_two_of_three_needs_two_keys_from_then_on(
    app: Flask, client: FlaskClient, registry_config: RegistryConfig, user: HostPaths, published: str, tmp_path: Path
) -> None:
    _client(user, client).refresh()
    new_root = _rotate(registry_config, "root", tmp_path)
    root = _root(client)
    assert root.signed.roles["root"].threshold == 2 and len(root.signed.roles["root"].keyids) == 3
    one = [tmp_path / "new-root-0.pem"]
    with pytest.raises(RepositoryError, match="root needs 2 of its keys to sign, and 1 were given"):
        renew_command(registry_config, "root", one)
    with pytest.raises(RepositoryError, match="is not a root key named in the current metadata"):
        renew_command(registry_config, "root", [registry_config.keys_dir / "root.pem", *one])
    assert renew_command(registry_config, "root", [tmp_path / "new-root-0.pem", tmp_path / "new-root-2.pem"]) == 3
    _client(user, client).refresh()
    trusted = json.loads((user.home / "marketplaces" / "local" / "trusted_root.json").read_bytes())
    assert trusted["version"] == 3 and len(new_root) == 3


def test_an_online_key_can_be_any_signer_uri_named_in_root(
    app: Flask, client: FlaskClient, registry_config: RegistryConfig, user: HostPaths, published: str, tmp_path: Path
) -> None:
    """A KMS or HSM key is named by URI with its public key; a file2: URI stands in for one here."""
    from cryptography.hazmat.primitives import serialization

    from registry.repository_admin import NewKey

    elsewhere = tmp_path / "vault" / "timestamp.pem"
    key = generate_key_file(elsewhere)
    public = file_signer(elsewhere)._private_key.public_key()  # type: ignore[attr-defined]
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    uri = f"file2:{elsewhere}"
    rotate_command(
        registry_config, "timestamp", root_keys=[registry_config.keys_dir / "root.pem"], new_keys=[NewKey(uri, pem)]
    )
    named = _root(client).signed.keys[key.keyid]
    assert named.unrecognized_fields[ONLINE_URI_FIELD] == uri
    assert create_app(registry_config).extensions["acc_registry"] is not None, "a new worker finds it too"
    _client(user, client).refresh()


def test_a_server_with_other_online_keys_than_root_names_refuses_to_start(
    registry_config: RegistryConfig, tmp_path: Path
) -> None:
    for role in ("timestamp", "snapshot", "bins"):
        data_dir = tmp_path / role / "registry-data"
        import shutil

        shutil.copytree(registry_config.data_dir, data_dir)
        config = replace(registry_config, data_dir=data_dir)
        (config.keys_dir / f"{role}.pem").unlink()
        generate_key_file(config.keys_dir / f"{role}.pem")  # another key where root's should be
        with pytest.raises(RepositoryError, match=f"cannot sign with the {role} key"):
            create_app(config)
        (config.keys_dir / f"{role}.pem").unlink()
        with pytest.raises(RepositoryError, match="is not on this host"):
            create_app(config)


def test_a_failed_init_leaves_no_keys_and_can_be_run_again(tmp_path: Path) -> None:
    data_dir = tmp_path / "registry-data"
    broken = config_for(data_dir, "postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(Exception, match="connect|refused|Connection"):
        init_registry(broken)
    assert list(data_dir.rglob("*.pem")) == [], "no key of a registry that does not exist"
    init_registry(config_for(data_dir))
    assert (data_dir / "keys" / "root.pem").exists() and (data_dir / "keys" / "timestamp.pem").exists()


def test_thresholds_come_from_the_configuration(tmp_path: Path) -> None:
    config = config_for(tmp_path / "d", root_keys=3, root_threshold=2, timestamp_threshold=2)
    init_registry(config)
    app = create_app(config)
    root = Metadata.from_bytes(app.test_client().get("/tuf/metadata/1.root.json").data).signed
    assert (root.roles["root"].threshold, len(root.roles["root"].keyids)) == (2, 3)
    assert (root.roles["timestamp"].threshold, len(root.roles["timestamp"].keyids)) == (2, 2)
    stamp = Metadata.from_bytes(app.test_client().get("/tuf/metadata/timestamp.json").data)
    root.verify_delegate("timestamp", stamp.signed_bytes, stamp.signatures)
    assert len(stamp.signatures) == 2
    app.extensions["acc_registry"].db.dispose()


# -- pruning ---------------------------------------------------------------------------------


def test_pruning_keeps_every_root_and_what_recent_timestamps_name(
    app: Flask, client: FlaskClient, alice: Publisher, user: HostPaths, published: str
) -> None:
    registry = app.extensions["acc_registry"]
    url = f"/api/v1/plugins/{PLUGIN}/versions/1.0.0/yank"
    for _ in range(3):
        client.post(url, json={"reason": "r"}, headers=alice.auth)
        client.delete(url, headers=alice.auth)

    def count_except_timestamps() -> int:
        with registry.db.read() as session:
            return int(
                session.execute(select(func.count(TufMetadata.id)).where(TufMetadata.role != "timestamp")).scalar_one()
            )

    with registry.db.read() as session:
        snapshots = session.execute(select(TufMetadata.version).where(TufMetadata.role == "snapshot")).scalars().all()
    recent = count_except_timestamps()
    with registry.metadata_transaction() as session:
        registry.tuf.prune(session, utcnow(), keep=timedelta(hours=1))
    # Only old timestamps go (clients only ever ask for the newest): what they name is recent.
    assert count_except_timestamps() == recent
    with registry.db.read() as session:
        before = session.execute(select(func.count(TufMetadata.id))).scalar_one()
    with registry.metadata_transaction() as session:
        removed = registry.tuf.prune(session, utcnow() + timedelta(hours=2), keep=timedelta(hours=1))
    with registry.db.read() as session:
        left = session.execute(select(TufMetadata.role, TufMetadata.version)).all()
    assert removed == before - len(left) > 0
    roles = [role for role, _ in left]
    assert roles.count("root") == 1 and roles.count("timestamp") == 1 and roles.count("snapshot") == 1
    assert len(snapshots) > 1
    # What the newest timestamp names is all there: a client installs as before.
    assert _yanked(user, client) is False
