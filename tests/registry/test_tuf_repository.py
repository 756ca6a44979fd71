"""The TUF repository the registry keeps: its shape, its signatures and its upkeep."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from tuf.api.metadata import Metadata, Root, Snapshot, Targets, Timestamp

from registry.db import lock_repository
from registry.models import utcnow
from sdk.archive import PluginArchive
from tests.registry_kit import Publisher, publish, variant


def _served(client: FlaskClient, filename: str) -> Metadata:  # type: ignore[type-arg]
    response = client.get(f"/tuf/metadata/{filename}")
    assert response.status_code == 200, filename
    return Metadata.from_bytes(response.data)


def test_top_level_metadata_is_signed_by_the_keys_root_names(client: FlaskClient) -> None:
    root = _served(client, "1.root.json")
    assert isinstance(root.signed, Root) and root.signed.consistent_snapshot
    root.signed.verify_delegate("root", root.signed_bytes, root.signatures)
    for role in ("targets", "snapshot", "timestamp"):
        filename = "timestamp.json" if role == "timestamp" else f"1.{role}.json"
        md = _served(client, filename)
        root.signed.verify_delegate(role, md.signed_bytes, md.signatures)


def test_targets_delegate_to_hashed_bins_and_the_snapshot_lists_every_bin(client: FlaskClient) -> None:
    targets = _served(client, "1.targets.json")
    assert isinstance(targets.signed, Targets) and targets.signed.delegations is not None
    bins = targets.signed.delegations.succinct_roles
    assert bins is not None and bins.bit_length == 4
    names = list(bins.get_roles())
    timestamp = _served(client, "timestamp.json")
    assert isinstance(timestamp.signed, Timestamp)
    snapshot = _served(client, f"{timestamp.signed.snapshot_meta.version}.snapshot.json")
    assert isinstance(snapshot.signed, Snapshot)
    assert set(snapshot.signed.meta) == {"targets.json", *(f"{n}.json" for n in names)}
    first_bin = _served(client, f"1.{names[0]}.json")
    targets.signed.verify_delegate(names[0], first_bin.signed_bytes, first_bin.signatures)


def test_a_publish_changes_only_the_bins_it_touches(
    client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    before = _served(client, "timestamp.json")
    snapshot_before = _served(client, f"{before.signed.snapshot_meta.version}.snapshot.json").signed
    assert publish(client, alice, variant(example_archive)).status_code == 201
    after = _served(client, "timestamp.json")
    assert after.signed.version == before.signed.version + 1
    snapshot_after = _served(client, f"{after.signed.snapshot_meta.version}.snapshot.json").signed
    changed = {name for name, meta in snapshot_after.meta.items() if snapshot_before.meta[name].version != meta.version}
    # index.json, the archive and its signature: at most three bins, never targets.json
    assert 1 <= len(changed) <= 3 and "targets.json" not in changed
    for name in changed:
        bin_md = _served(client, f"{snapshot_after.meta[name].version}.{name}")
        assert any(path.startswith("project-stats/") for path in bin_md.signed.targets)


def test_old_versions_stay_servable_for_clients_mid_update(
    client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    first = _served(client, "timestamp.json").signed.snapshot_meta.version
    publish(client, alice, variant(example_archive))
    assert client.get(f"/tuf/metadata/{first}.snapshot.json").status_code == 200


def test_expiring_online_metadata_is_re_signed_before_clients_see_it_expire(app: Flask) -> None:
    registry = app.extensions["acc_registry"]
    with registry.db.read() as session:
        old_timestamp = registry.tuf.latest(session, "timestamp").signed
        old_snapshot = registry.tuf.latest(session, "snapshot").signed
        assert not registry.tuf.needs_refresh(session, utcnow())
    # Twenty hours on, the 24-hour timestamp is past half its life; the 7-day snapshot is not.
    later = utcnow() + timedelta(hours=20)
    with registry.db.write() as session:
        lock_repository(session)
        assert registry.tuf.refresh(session, later)
    with registry.db.read() as session:
        timestamp = registry.tuf.latest(session, "timestamp").signed
        assert timestamp.version == old_timestamp.version + 1 and timestamp.expires > later
        assert registry.tuf.latest(session, "snapshot").signed.version == old_snapshot.version
    # Five days on, the snapshot and the bins are re-signed too, and the timestamp follows.
    much_later = utcnow() + timedelta(days=5)
    with registry.db.write() as session:
        lock_repository(session)
        assert registry.tuf.refresh(session, much_later)
    with registry.db.read() as session:
        snapshot = registry.tuf.latest(session, "snapshot").signed
        assert snapshot.version == old_snapshot.version + 1 and snapshot.expires > much_later
        assert all(meta.version == 2 for name, meta in snapshot.meta.items() if name.startswith("bins-"))
        assert registry.tuf.latest(session, "timestamp").signed.snapshot_meta.version == snapshot.version
        assert not registry.tuf.needs_refresh(session, much_later)


def test_the_refresh_re_signs_the_timestamp_when_due_and_serving_it_never_signs(
    app: Flask, client: FlaskClient
) -> None:
    registry = app.extensions["acc_registry"]
    from sqlalchemy import update

    from registry.models import TufMetadata
    from registry.refresh import refresh_repository

    with registry.db.write() as session:  # make the current timestamp look nearly expired
        session.execute(
            update(TufMetadata).where(TufMetadata.role == "timestamp").values(expires=utcnow() + timedelta(minutes=5))
        )
    registry.timestamp_cache = None
    assert json.loads(client.get("/tuf/metadata/timestamp.json").data)["signed"]["version"] == 1, "off the request path"
    report = refresh_repository(registry)
    assert report.resigned and not report.skipped
    served = json.loads(client.get("/tuf/metadata/timestamp.json").data)
    assert served["signed"]["version"] == 2
    assert refresh_repository(registry).resigned is False, "nothing is due any more"


def test_unknown_metadata_and_targets_are_404(client: FlaskClient) -> None:
    assert client.get("/tuf/metadata/99.root.json").status_code == 404
    assert client.get("/tuf/metadata/../../registry.db").status_code == 404
    assert client.get("/tuf/targets/x/" + "0" * 64 + ".index.json").status_code == 404
    assert client.get("/tuf/targets/../keys/root.pem").status_code == 404


def test_metadata_is_gzip_compressed_for_clients_that_accept_it(client: FlaskClient) -> None:
    import gzip

    plain = client.get("/tuf/metadata/1.snapshot.json")
    assert "Content-Encoding" not in plain.headers and plain.headers["Vary"] == "Accept-Encoding"
    packed = client.get("/tuf/metadata/1.snapshot.json", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 2
    refused = client.get("/tuf/metadata/1.snapshot.json", headers={"Accept-Encoding": "gzip;q=0"})
    assert refused.data == plain.data
    stamp = client.get("/tuf/metadata/timestamp.json", headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(stamp.data) == client.get("/tuf/metadata/timestamp.json").data


def test_the_index_lets_a_client_fetch_the_signature_without_its_bin(
    client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    import hashlib

    assert publish(client, alice, variant(example_archive)).status_code == 201
    registry = client.application.extensions["acc_registry"]
    with registry.db.read() as session:
        role = registry.tuf._succinct_roles(session).get_role_for_target("project-stats/index.json")
        target = registry.tuf.latest(session, role).signed.targets["project-stats/index.json"]
    index = json.loads(client.get(f"/tuf/targets/project-stats/{target.hashes['sha256']}.index.json").data)
    [entry] = index["versions"]
    signature = client.get(f"/tuf/targets/project-stats/{entry['signature_sha256']}.project-stats-1.0.0.plugin.sig")
    assert signature.status_code == 200
    assert len(signature.data) == entry["signature_length"]
    assert hashlib.sha256(signature.data).hexdigest() == entry["signature_sha256"]


def test_another_worker_serves_the_new_timestamp_right_after_a_change(
    app: Flask, client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    from registry.app import create_app

    assert publish(client, alice, variant(example_archive)).status_code == 201
    other_worker = create_app(app.extensions["acc_registry"].config).test_client()
    before = json.loads(other_worker.get("/tuf/metadata/timestamp.json").data)["signed"]["version"]
    yank = client.post("/api/v1/plugins/project-stats/versions/1.0.0/yank", json={"reason": "r"}, headers=alice.auth)
    assert yank.status_code == 200
    # Well within the other worker's one-second cache of the timestamp.
    after = json.loads(other_worker.get("/tuf/metadata/timestamp.json").data)["signed"]["version"]
    assert after == before + 1
