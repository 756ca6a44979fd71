"""Operations: download counts that cannot be inflated, `nosniff` on every response, health
that says when metadata is expiring, and the cleanup of interrupted publishes' leftovers."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from registry.models import TufMetadata, utcnow
from registry.upkeep import cleanup
from sdk.archive import PluginArchive
from tests.registry_kit import Publisher, publish, variant

pytestmark = pytest.mark.usefixtures("database_url")


@pytest.fixture
def archive_url(client: FlaskClient, alice: Publisher, example_archive: PluginArchive) -> str:
    data = variant(example_archive, version="1.0.0")
    assert publish(client, alice, data).status_code == 201
    entry = client.get("/api/v1/plugins/project-stats/versions/1.0.0").get_json()
    return f"/tuf/targets/project-stats/{entry['sha256']}.project-stats-1.0.0.plugin"


def _downloads(client: FlaskClient) -> int:
    return int(client.get("/api/v1/plugins/project-stats").get_json()["downloads"])


def _from(client: FlaskClient, address: str) -> FlaskClient:
    client.environ_base["REMOTE_ADDR"] = address
    return client


# -- download counts -------------------------------------------------------------------------


def test_a_client_counts_once_a_day_per_version_and_only_for_whole_downloads(app: Flask, archive_url: str) -> None:
    first = _from(app.test_client(), "192.0.2.1")
    counter = app.test_client()
    full = first.get(archive_url)
    assert full.status_code == 200 and len(full.data) > 1000
    assert _downloads(counter) == 1
    for _ in range(3):
        assert first.get(archive_url).data == full.data
    assert _downloads(counter) == 1, "the same client again the same day"

    other = _from(app.test_client(), "192.0.2.2")
    # Ranges of the archive, even covering all of it, are not downloads.
    for byte_range in ("bytes=0-99", "bytes=100-", f"bytes=0-{len(full.data) - 1}"):
        partial = other.get(archive_url, headers={"Range": byte_range})
        assert partial.status_code == 206, byte_range
    revalidated = other.get(archive_url, headers={"If-None-Match": full.headers["ETag"]})
    assert revalidated.status_code == 304
    # A client that stops reading half way is not counted either.
    stopped = other.get(archive_url, buffered=False)
    next(iter(stopped.response))
    stopped.close()
    assert _downloads(counter) == 1

    assert other.get(archive_url).data == full.data  # read to the end
    assert _downloads(counter) == 2, "another client's whole download counts"


def test_signatures_and_indexes_are_not_downloads(app: Flask, client: FlaskClient, archive_url: str) -> None:
    from registry.models import Version

    with app.extensions["acc_registry"].db.read() as session:
        signature = session.execute(select(Version.signature_sha256)).scalar_one()
    sig = f"/tuf/targets/project-stats/{signature}.project-stats-1.0.0.plugin.sig"
    assert len(client.get(sig).data) > 0
    assert _downloads(client) == 0


# -- nosniff ---------------------------------------------------------------------------------


def test_every_response_carries_nosniff(
    subtests: pytest.Subtests, client: FlaskClient, alice: Publisher, archive_url: str
) -> None:
    requests = {
        "a page": ("GET", "/", None),
        "a stylesheet": ("GET", "/static/web/style.css", None),
        "an API read": ("GET", "/api/v1/plugins", None),
        "an API error": ("GET", "/api/v1/plugins/nothing-here", None),
        "an API refusal": ("POST", "/api/v1/plugins/project-stats/deprecate", {}),
        "a web 404": ("GET", "/no/such/page", None),
        "a 405": ("PUT", "/api/v1/health", None),
        "health": ("GET", "/api/v1/health", None),
        "TUF metadata": ("GET", "/tuf/metadata/1.root.json", None),
        "the timestamp": ("GET", "/tuf/metadata/timestamp.json", None),
        "a TUF 404": ("GET", "/tuf/metadata/9.root.json", None),
        "an archive": ("GET", archive_url, None),
        "an archive range": ("GET", archive_url, {"Range": "bytes=0-9"}),
    }
    for label, (method, url, headers) in requests.items():
        with subtests.test(label):
            response = client.open(url, method=method, headers=headers or {})
            assert response.headers.get("X-Content-Type-Options") == "nosniff", (label, response.status_code)


# -- health ----------------------------------------------------------------------------------


def _set_expiry(app: Flask, role: str, expires: object) -> None:
    with app.extensions["acc_registry"].db.write() as session:
        session.execute(update(TufMetadata).where(TufMetadata.role == role).values(expires=expires))


def test_health_is_degraded_when_metadata_expired_or_will_soon(app: Flask, client: FlaskClient) -> None:
    fine = client.get("/api/v1/health").get_json()
    assert (fine["status"], fine["problems"]) == ("ok", [])
    _set_expiry(app, "timestamp", utcnow() - timedelta(days=3))
    expired = client.get("/api/v1/health")
    assert expired.status_code == 200
    body = expired.get_json()
    assert body["status"] == "degraded"
    assert any(p.startswith("timestamp metadata expired at") for p in body["problems"])
    _set_expiry(app, "timestamp", utcnow() + timedelta(hours=3))  # 3 h of a 24 h life: re-signing is overdue
    assert "is `acc registry refresh` running?" in client.get("/api/v1/health").get_json()["problems"][0]
    _set_expiry(app, "timestamp", utcnow() + timedelta(hours=20))
    _set_expiry(app, "root", utcnow() + timedelta(days=10))
    [problem] = client.get("/api/v1/health").get_json()["problems"]
    assert problem.startswith("root metadata expires at") and problem.endswith("renew it with its offline key")


# -- cleanup ---------------------------------------------------------------------------------


def test_cleanup_removes_old_temporary_and_unreferenced_blobs_and_nothing_in_use(
    app: Flask, client: FlaskClient, archive_url: str
) -> None:
    registry = app.extensions["acc_registry"]
    old = time.time() - 2 * 3600
    orphan = registry.blobs.put(b"an archive whose publish was interrupted")
    young_orphan = registry.blobs.put(b"a blob of a publish in flight")
    temp = registry.blobs.root / orphan[:2] / f".{orphan}.abc123.tmp"
    temp.write_bytes(b"half written")
    young_temp = registry.blobs.root / young_orphan[:2] / f".{young_orphan}.def456.tmp"
    young_temp.write_bytes(b"being written")
    in_use = [sha for sha, _ in registry.blobs.stored() if sha not in (orphan, young_orphan)]
    assert len(in_use) >= 3, "the archive, its signature and the index"
    for sha in (orphan, *in_use):
        os.utime(registry.blobs.path(sha), (old, old))
    os.utime(temp, (old, old))

    report = cleanup(registry)
    assert (report.temporary_files, report.orphan_blobs) == (1, 1)
    assert not registry.blobs.exists(orphan) and not temp.exists()
    assert registry.blobs.exists(young_orphan) and young_temp.exists(), "too young: maybe in flight"
    assert all(registry.blobs.exists(sha) for sha in in_use)
    assert client.get(archive_url).status_code == 200
    index = client.get("/api/v1/plugins/project-stats").get_json()
    assert index["latest_version"] == "1.0.0"


def test_old_index_targets_of_metadata_still_stored_are_kept(
    app: Flask, client: FlaskClient, alice: Publisher, archive_url: str
) -> None:
    """A yank writes a new index; the old one stays: older bins metadata (servable to
    clients mid-update) still names it."""
    registry = app.extensions["acc_registry"]
    before = set(dict(registry.blobs.stored()))
    assert (
        client.post(
            "/api/v1/plugins/project-stats/versions/1.0.0/yank", json={"reason": "r"}, headers=alice.auth
        ).status_code
        == 200
    )
    new_index = set(dict(registry.blobs.stored())) - before
    assert len(new_index) == 1
    old = time.time() - 2 * 3600
    for sha in before | new_index:
        os.utime(registry.blobs.path(sha), (old, old))
    assert cleanup(registry).orphan_blobs == 0
    with registry.db.read() as session:
        data = session.execute(select(TufMetadata.data).where(TufMetadata.role.like("bins-%"))).scalars().all()
    named = {t["hashes"]["sha256"] for d in data for t in json.loads(d)["signed"]["targets"].values()}
    assert before <= named, "every blob from before is named by some stored bins metadata"
