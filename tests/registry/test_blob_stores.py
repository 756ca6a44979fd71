"""Blobs on S3-compatible storage (boto3, against moto's in-process S3) behave as in the data
dir: content-addressed, idempotent, listed for cleanup, served through /tuf/targets/ (or
redirected to a public bucket or CDN); and the settings several hosts need are enforced."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from registry.app import create_app
from registry.blobs import LocalBlobStore, S3BlobStore
from registry.config import RegistryConfig, load_config
from registry.errors import ConfigError
from sdk.archive import PluginArchive
from tests.registry_kit import Publisher, publish, variant

BUCKET = "acc-blobs"


@pytest.fixture
def s3() -> Iterator[object]:
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _s3_config(config: RegistryConfig, tmp_path: Path, **settings: str) -> RegistryConfig:
    data_dir = tmp_path / "s3-host"
    shutil.copytree(config.data_dir, data_dir)
    return replace(
        config,
        data_dir=data_dir,
        blob_store="s3",
        s3_bucket=BUCKET,
        s3_region="us-east-1",
        secret_key="one secret for every host",
        **settings,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_both_stores_keep_blobs_by_content(kind: str, tmp_path: Path, s3: object) -> None:
    store = LocalBlobStore(tmp_path / "blobs") if kind == "local" else S3BlobStore(s3, BUCKET)
    data = b"an archive" * 1000
    digest = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest() and store.put(data) == digest
    assert store.exists(digest) and store.size(digest) == len(data) and store.read(digest) == data
    assert b"".join(store.stream(digest)) == data
    assert [sha for sha, _ in store.stored()] == [digest]
    assert not store.exists("0" * 64) and store.size("0" * 64) is None and not store.exists("../etc")
    store.delete(digest)
    assert not store.exists(digest) and list(store.stored()) == []


def test_a_registry_on_s3_serves_its_targets_from_the_bucket(
    registry_config: RegistryConfig,
    alice: Publisher,
    example_archive: PluginArchive,
    tmp_path: Path,
    s3: object,
) -> None:
    app = create_app(_s3_config(registry_config, tmp_path))
    client: FlaskClient = app.test_client()
    data = variant(example_archive, version="1.0.0")
    assert publish(client, alice, data).status_code == 201
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]  # type: ignore[attr-defined]
    digest = hashlib.sha256(data).hexdigest()
    assert f"blobs/{digest[:2]}/{digest}" in keys and len(keys) == 3, "archive, signature, index"
    assert not (app.extensions["acc_registry"].config.data_dir / "blobs" / digest[:2]).exists()
    url = f"/tuf/targets/project-stats/{digest}.project-stats-1.0.0.plugin"
    served = client.get(url)
    assert served.status_code == 200 and served.data == data
    assert client.get(url, headers={"If-None-Match": f'"{digest}"'}).status_code == 304
    assert client.get("/api/v1/plugins/project-stats").get_json()["downloads"] == 1
    app.extensions["acc_registry"].db.dispose()

    cdn = create_app(_s3_config(registry_config, tmp_path / "cdn", blob_public_url="https://cdn.example/acc/"))
    moved = cdn.test_client().get(url)
    assert moved.status_code == 302
    assert moved.headers["Location"] == f"https://cdn.example/acc/blobs/{digest[:2]}/{digest}"
    cdn.extensions["acc_registry"].db.dispose()


def test_several_hosts_need_one_configured_session_secret() -> None:
    with pytest.raises(ConfigError, match="secret_key must be set"):
        load_config({"blob_store": "s3", "s3_bucket": "b"}, environ={})
    with pytest.raises(ConfigError, match="needs s3_bucket"):
        load_config({"blob_store": "s3", "secret_key": "x"}, environ={})
    assert load_config({"blob_store": "s3", "s3_bucket": "b", "secret_key": "x"}, environ={}).blob_store == "s3"
