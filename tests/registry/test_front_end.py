"""What a host behind a proxy believes about its clients, and hosts that start together.

Client addresses feed rate limits, login throttling, download counts and the audit log, so
a header a client sets must be believed only as far as the operator's own proxies vouch
for it. Several hosts starting at once must not race one another's migrations.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from registry.app import create_app
from registry.models import AuditEntry
from registry.schema import current_revision, head_revision, upgrade
from tests.postgres_kit import drop_database
from tests.registry_kit import config_for, make_publisher

PROXY = "10.0.0.2"  # the load balancer: the only peer the host sees


def _revoke_own_token_through(data_dir: Path, tmp_path: Path, trusted_proxies: int, forwarded_for: str | None) -> str:
    """The address the audit log records for a token revocation that arrives from PROXY."""
    config = config_for(data_dir, trusted_proxies=trusted_proxies)
    publisher = make_publisher(config, f"u{uuid.uuid4().hex[:8]}", tmp_path / "keys")
    app = create_app(config)
    try:
        client = app.test_client()
        tokens = client.get("/api/v1/account/tokens", headers=publisher.auth).get_json()["tokens"]
        headers = {**publisher.auth, **({"X-Forwarded-For": forwarded_for} if forwarded_for else {})}
        response = client.delete(
            f"/api/v1/account/tokens/{tokens[0]['id']}", headers=headers, environ_base={"REMOTE_ADDR": PROXY}
        )
        assert response.status_code == 200, response.get_json()
        with app.extensions["acc_registry"].db.read() as session:
            entry = (
                session.execute(
                    select(AuditEntry).where(AuditEntry.action == "revoke_token").order_by(AuditEntry.id.desc())
                )
                .scalars()
                .first()
            )
            assert entry is not None
            return entry.remote_addr
    finally:
        app.extensions["acc_registry"].db.dispose()


@pytest.fixture
def data_dir(sqlite_template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "registry-data"
    shutil.copytree(sqlite_template, copy)
    return copy


@pytest.mark.parametrize(
    ("trusted_proxies", "forwarded_for", "believed"),
    [
        (0, "203.0.113.7", PROXY),  # no proxy configured: the header is anyone's to forge
        (0, None, PROXY),
        (1, "203.0.113.7", "203.0.113.7"),  # the address our proxy saw
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the client's own prefix is not believed
        (2, "198.51.100.1, 203.0.113.7", "198.51.100.1"),  # two layers of our proxies
        (1, None, PROXY),
    ],
)
def test_client_addresses_are_believed_only_as_far_as_the_trusted_proxies_vouch(
    data_dir: Path, tmp_path: Path, trusted_proxies: int, forwarded_for: str | None, believed: str
) -> None:
    assert _revoke_own_token_through(data_dir, tmp_path, trusted_proxies, forwarded_for) == believed


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    admin_url = str(request.getfixturevalue("postgres_admin_url"))
    name = f"acc_race_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        from sqlalchemy import text

        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield f"{admin_url.rpartition('/')[0]}/{name}"
        drop_database(admin, name)
    finally:
        admin.dispose()


def test_hosts_migrating_an_empty_database_at_once_take_turns(empty_database: str) -> None:
    """Three hosts starting together: without the lock, all see an empty schema and the
    second CREATE TABLE fails; with it, one migrates and the others find the head."""
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def host() -> None:
        try:
            start.wait(timeout=30)
            upgrade(empty_database)
        except BaseException as error:  # reported below, with the thread's traceback lost
            errors.append(error)

    threads = [threading.Thread(target=host) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert current_revision(empty_database) == head_revision()
