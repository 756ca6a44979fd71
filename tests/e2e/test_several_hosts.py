"""One registry on two hosts: two `acc registry serve` processes with separate data dirs, one
PostgreSQL database and one S3-compatible object store (moto's server mode) on loopback.

A publish through host A installs through host B; a host holding other online keys than the
metadata names refuses to start; `acc registry refresh` run on both at once re-signs once.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sdk.signing import sign_archive
from tests.helpers import REPO, TEST_CACHE
from tests.postgres_kit import drop_database
from tests.server_kit import ACC, acc, free_port, root_sha256, running_registry

pytestmark = pytest.mark.slow

POSTGRES_ENV = "ACC_TEST_POSTGRES_URL"
BUCKET = "acc-registry"
ONLINE_KEYS = ("snapshot.pem", "timestamp.pem", "bins.pem")


@dataclass
class Cluster:
    work: Path
    env: dict[str, str]
    database_url: str
    host_a: Path
    host_b: Path
    key: Path
    token: str

    def acc(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        return acc(*args, env=self.env, cwd=self.work, ok=ok)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a loopback port, with the registry's bucket."""
    pytest.importorskip("moto.server")
    boto3 = pytest.importorskip("boto3")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.1)
        client = boto3.client(
            "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
        )
        client.create_bucket(Bucket=BUCKET)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    admin_url = os.environ.get(POSTGRES_ENV, "")
    if not admin_url:
        pytest.skip(f"no PostgreSQL server: set {POSTGRES_ENV} (.ci/run starts one)")
    from sqlalchemy import create_engine, text

    name = f"acc_hosts_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{admin_url.rpartition('/')[0]}/{name}"
    drop_database(admin, name)
    admin.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str, database_url: str) -> Cluster:
    work = tmp_path_factory.mktemp("hosts")
    env = {
        **os.environ,
        "ACC_HOME": str(work / "operator-home"),
        "ACC_CACHE_DIR": str(TEST_CACHE),
        "REGISTRY_DATABASE_URL": database_url,
        "REGISTRY_BLOB_STORE": "s3",
        "REGISTRY_S3_BUCKET": BUCKET,
        "REGISTRY_S3_ENDPOINT_URL": s3_endpoint,
        "REGISTRY_S3_REGION": "us-east-1",
        "REGISTRY_S3_ACCESS_KEY_ID": "test",
        "REGISTRY_S3_SECRET_ACCESS_KEY": "test",
        "REGISTRY_SECRET_KEY": secrets.token_hex(32),
        "REGISTRY_BIN_BITS": "4",
        "REGISTRY_COMPILE_CACHE_DIR": str(TEST_CACHE / "compiled"),
        "REGISTRY_REFRESH_INTERVAL_MINUTES": "0",  # refreshed explicitly below
    }
    env.pop("ACC_REGISTRY_TOKEN", None)
    host_a, host_b = work / "host-a", work / "host-b"
    cluster = Cluster(work, env, database_url, host_a, host_b, work / "alice.key", "")
    cluster.acc("registry", "init", "--data", str(host_a))
    # The operator copies the online keys to the second host (a KMS key would need nothing).
    (host_b / "keys").mkdir(parents=True)
    for name in ONLINE_KEYS:
        shutil.copy2(host_a / "keys" / name, host_b / "keys" / name)
    cluster.acc("registry", "migrate", "--data", str(host_b))
    cluster.acc("registry", "user", "create", "alice", "--email", "alice@example.com", "--data", str(host_b))
    cluster.acc("plugin", "keygen", "--out", str(cluster.key))
    cluster.acc("registry", "key", "add", "alice", f"{cluster.key}.pub", "--data", str(host_b))
    cluster.token = cluster.acc("registry", "token", "create", "alice", "--data", str(host_b)).stdout.strip()
    return cluster


def test_a_publish_through_one_host_installs_through_the_other(
    cluster: Cluster, built_archives: Callable[[str], Path], tmp_path: Path
) -> None:
    archive = tmp_path / "project-stats-1.0.0.plugin"
    shutil.copy(built_archives("project-stats"), archive)
    sign_archive(archive, cluster.key)
    with (
        running_registry(cluster.host_a, env=cluster.env, workers=1, log=tmp_path / "a.log") as url_a,
        running_registry(cluster.host_b, env=cluster.env, workers=1, log=tmp_path / "b.log") as url_b,
    ):
        cluster.acc("plugin", "publish", str(archive), "--registry", url_a, "--token", cluster.token)
        assert not (cluster.host_a / "blobs").exists() or not any((cluster.host_a / "blobs").iterdir())
        user_env = {**cluster.env, "ACC_HOME": str(tmp_path / "user")}
        pin = root_sha256(url_b)
        assert pin == root_sha256(url_a), "one repository, whichever host answers"
        acc("marketplace", "add", url_b, "--name", "b", "--root-sha256", pin, env=user_env, cwd=tmp_path)
        installed = acc("plugin", "install", "project-stats", "--yes", env=user_env, cwd=tmp_path)
        assert "installed project-stats 1.0.0 from b" in installed.stdout
        assert '"path": "/tuf/targets/project-stats/' in (tmp_path / "b.log").read_text(), "B served the archive"


def test_a_host_with_other_online_keys_than_root_names_refuses_to_start(cluster: Cluster, tmp_path: Path) -> None:
    host_c = tmp_path / "host-c"
    (host_c / "keys").mkdir(parents=True)
    for name in ONLINE_KEYS:
        shutil.copy2(cluster.host_a / "keys" / name, host_c / "keys" / name)
    (host_c / "keys" / "timestamp.pem").unlink()
    cluster.acc("plugin", "keygen", "--out", str(host_c / "other.key"))
    shutil.copy2(host_c / "other.key", host_c / "keys" / "timestamp.pem")  # a key root does not name
    refused = cluster.acc("registry", "serve", "--data", str(host_c), "--port", str(free_port()), ok=False)
    assert "cannot sign with the timestamp key" in refused.stderr
    # And a worker started some other way refuses too: the app checks when it is created.
    probe = subprocess.run(
        [sys.executable, "-c", "import registry.wsgi"],
        env={**cluster.env, "REGISTRY_DATA_DIR": str(host_c)},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert probe.returncode != 0 and "RepositoryError" in probe.stderr


def test_a_refresh_run_on_both_hosts_at_once_re_signs_once(cluster: Cluster) -> None:
    from sqlalchemy import create_engine, func, select, update

    from registry.models import TufMetadata, utcnow

    engine = create_engine(cluster.database_url)
    try:
        with engine.begin() as conn:  # the timestamp is nearly due
            latest = conn.execute(
                select(func.max(TufMetadata.version)).where(TufMetadata.role == "timestamp")
            ).scalar_one()
            conn.execute(
                update(TufMetadata)
                .where(TufMetadata.role == "timestamp", TufMetadata.version == latest)
                .values(expires=utcnow())
            )
        runs = [
            subprocess.Popen(
                [ACC, "registry", "refresh", "--data", str(host)],
                env=cluster.env,
                cwd=cluster.work,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for host in (cluster.host_a, cluster.host_b)
        ]
        outputs = [run.communicate(timeout=120) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        said = [out for out, _ in outputs]
        assert sum("re-signed expiring metadata" in out for out in said) == 1, said
        with engine.begin() as conn:
            newest = conn.execute(
                select(func.max(TufMetadata.version)).where(TufMetadata.role == "timestamp")
            ).scalar_one()
        assert newest == latest + 1
    finally:
        engine.dispose()
