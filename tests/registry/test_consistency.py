"""Concurrent and interrupted publishes: exactly one winner, and after a crash the database,
the blobs and the TUF metadata still agree (nothing half-published)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from registry.app import create_app
from registry.config import RegistryConfig
from registry.models import TufMetadata, Version
from sdk.archive import PluginArchive
from tests.helpers import REPO
from tests.registry_kit import Publisher, publish, variant

pytestmark = pytest.mark.usefixtures("database_url")


def test_two_publishes_of_the_same_version_at_once_have_exactly_one_winner(
    registry_config: RegistryConfig, alice: Publisher, example_archive: PluginArchive
) -> None:
    # Two apps: like two gunicorn workers, each with its own database connections.
    apps = [create_app(registry_config), create_app(registry_config)]
    archives = [variant(example_archive, version="3.0.0", description=f"build {i}") for i in range(2)]
    barrier = threading.Barrier(2)
    results: list[tuple[int, dict[str, object]]] = [(0, {})] * 2

    def run(i: int) -> None:
        client = apps[i].test_client()
        barrier.wait()
        response = publish(client, alice, archives[i])
        results[i] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 409], results
    loser = next(body for status, body in results if status == 409)
    assert loser["error"]["code"] == "version_exists"  # type: ignore[index]
    with apps[0].extensions["acc_registry"].db.read() as session:
        assert session.execute(select(func.count(Version.id))).scalar_one() == 1
    for app in apps:
        app.extensions["acc_registry"].db.dispose()


_CRASH_SCRIPT = """
import os, sys
from registry.config import load_config
from registry.context import Registry
from registry.publish import Upload, publish
from registry.tuf_repo import TufRepository

config = load_config({"data_dir": sys.argv[1], "database_url": sys.argv[2], "compile_cache_dir": sys.argv[3],
                      "bin_bits": 4}, environ={})
original = TufRepository._new_timestamp

def crash_before_commit(self, session, snapshot_row, now, **options):
    original(self, session, snapshot_row, now, **options)
    session.flush()       # bins, snapshot and timestamp rows are written inside the transaction...
    os._exit(9)           # ...and the process dies before it commits

TufRepository._new_timestamp = crash_before_commit
archive = open(sys.argv[4], "rb").read()
signature = open(sys.argv[5], "rb").read()
publish(Registry.open(config), int(sys.argv[6]), Upload(archive, signature, "ed25519"))
"""


def test_a_crash_in_the_middle_of_a_publish_leaves_nothing_half_published(
    app: Flask, registry_config: RegistryConfig, alice: Publisher, example_archive: PluginArchive, tmp_path: Path
) -> None:
    from tests.helpers import TEST_CACHE
    from tests.registry_kit import sign

    client = app.test_client()
    assert publish(client, alice, variant(example_archive, version="1.0.0")).status_code == 201
    registry = app.extensions["acc_registry"]
    with registry.db.read() as session:
        before = {
            row.role: row.version
            for row in session.execute(
                select(TufMetadata.role, func.max(TufMetadata.version).label("version")).group_by(TufMetadata.role)
            )
        }

    data = variant(example_archive, version="2.0.0")
    (tmp_path / "a.plugin").write_bytes(data)
    (tmp_path / "a.sig").write_bytes(sign(data, alice.key))
    with registry.db.read() as session:
        from registry.models import ApiToken

        token_id = session.execute(select(ApiToken.id)).scalars().first()
    crashed = subprocess.run(
        [
            sys.executable,
            "-c",
            _CRASH_SCRIPT,
            str(registry_config.data_dir),
            registry_config.database_url,
            str(TEST_CACHE / "compiled"),
            str(tmp_path / "a.plugin"),
            str(tmp_path / "a.sig"),
            str(token_id),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert crashed.returncode == 9, crashed.stderr

    # After the "restart": no 2.0.0 row, no metadata beyond what 1.0.0 produced, and the
    # served timestamp still points at a snapshot that exists.
    fresh = create_app(registry_config).test_client()
    detail = fresh.get("/api/v1/plugins/project-stats").get_json()
    assert [v["version"] for v in detail["versions"]] == ["1.0.0"]
    with registry.db.read() as session:
        after = {
            row.role: row.version
            for row in session.execute(
                select(TufMetadata.role, func.max(TufMetadata.version).label("version")).group_by(TufMetadata.role)
            )
        }
    assert after == before
    timestamp = json.loads(fresh.get("/tuf/metadata/timestamp.json").data)
    snapshot_version = timestamp["signed"]["meta"]["snapshot.json"]["version"]
    assert fresh.get(f"/tuf/metadata/{snapshot_version}.snapshot.json").status_code == 200

    # And the publish can simply be retried.
    assert publish(fresh, alice, data).status_code == 201
