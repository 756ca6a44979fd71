"""Registry fixtures: a fresh initialized registry per test (SQLite, or PostgreSQL when
the API suite runs against a real server), a Flask test client, publishers, archives."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.app import create_app
from registry.config import RegistryConfig
from sdk.archive import PluginArchive, read_archive
from tests.postgres_kit import drop_database
from tests.registry_kit import Publisher, config_for, make_config, make_publisher

POSTGRES_ENV = "ACC_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def example_archive(built_archives: Callable[[str], Path]) -> PluginArchive:
    return read_archive(built_archives("project-stats"))


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The URL of a real PostgreSQL server (CI starts one in .ci/run), or skip saying why."""
    url = os.environ.get(POSTGRES_ENV, "")
    if not url:
        pytest.skip(
            f"no PostgreSQL server: set {POSTGRES_ENV} (e.g. postgresql+psycopg://acc:acc@127.0.0.1/postgres); "
            ".ci/run starts one"
        )
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One initialized registry (keys, schema, TUF metadata) that each test copies."""
    data_dir = tmp_path_factory.mktemp("template") / "registry-data"
    make_config(data_dir)
    return data_dir


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An initialized registry database on PostgreSQL (and its keys), copied per test."""
    from sqlalchemy import create_engine, text

    name = f"acc_template_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    data_dir = tmp_path_factory.mktemp("pg-template") / "registry-data"
    make_config(data_dir, _database(postgres_admin_url, name))
    yield name, data_dir
    drop_database(admin, name)
    admin.dispose()


def _database(admin_url: str, name: str) -> str:
    return f"{admin_url.rpartition('/')[0]}/{name}"


@pytest.fixture
def postgres_url(postgres_admin_url: str, postgres_template: tuple[str, Path]) -> Iterator[str]:
    """A database copied from the template (CREATE DATABASE ... TEMPLATE), dropped after the test."""
    from sqlalchemy import create_engine, text

    name = f"acc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template[0]}"'))
    yield _database(postgres_admin_url, name)
    drop_database(admin, name)
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Run a test once on SQLite (the default) and once on a real PostgreSQL server."""
    if request.param == "sqlite":
        return ""
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def registry_config(tmp_path: Path, request: pytest.FixtureRequest) -> RegistryConfig:
    """A fresh registry, copied from an initialized template. Modules marked
    `pytest.mark.usefixtures("database_url")` get it once on SQLite and once on PostgreSQL."""
    url = str(request.getfixturevalue("database_url")) if "database_url" in request.fixturenames else ""
    data_dir = tmp_path / "registry-data"
    if url:
        shutil.copytree(request.getfixturevalue("postgres_template")[1], data_dir)
    else:
        shutil.copytree(request.getfixturevalue("sqlite_template"), data_dir)
    return config_for(data_dir, url)


@pytest.fixture
def app(registry_config: RegistryConfig) -> Iterator[Flask]:
    application = create_app(registry_config)
    yield application
    application.extensions["acc_registry"].db.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def alice(registry_config: RegistryConfig, tmp_path: Path) -> Publisher:
    return make_publisher(registry_config, "alice", tmp_path / "keys")


@pytest.fixture
def bob(registry_config: RegistryConfig, tmp_path: Path) -> Publisher:
    return make_publisher(registry_config, "bob", tmp_path / "keys")
