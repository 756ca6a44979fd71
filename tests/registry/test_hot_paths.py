"""The registry's hottest GETs without a database read: timestamp.json while the generation
file says nothing was committed, and the search page for visitors who are not logged in,
rendered once per query and generation. Freshness is kept: a commit by another worker
shows in the very next timestamp, and a logged-in visitor's page is never anyone else's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from registry import tuf_views
from registry.config import RegistryConfig
from registry.context import Registry
from registry.models import utcnow
from registry.search_cache import SearchCache
from tests.registry.test_web import log_in
from tests.registry_kit import Publisher


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextmanager
def statements(reg: Registry) -> Iterator[list[str]]:
    """The SQL statements `reg`'s engines run inside the block."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        seen.append(sql)

    engines = {id(e): e for e in (reg.db.reader, reg.db.writer)}.values()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def reg(app: Flask) -> Registry:
    registry: Registry = app.extensions["acc_registry"]
    return registry


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, reg: Registry) -> Clock:
    fake = Clock()
    monkeypatch.setattr(tuf_views.time, "monotonic", fake)
    reg.search_cache = SearchCache(clock=fake)
    return fake


def _timestamp_version(client: FlaskClient) -> int:
    response = client.get("/tuf/metadata/timestamp.json")
    assert response.status_code == 200
    return int(json.loads(response.data)["signed"]["version"])


def test_timestamp_is_served_without_a_database_read_until_another_worker_commits(
    client: FlaskClient, reg: Registry, registry_config: RegistryConfig, clock: Clock
) -> None:
    first = _timestamp_version(client)
    with statements(reg) as seen:
        assert _timestamp_version(client) == first
        clock.now += 0.5
        assert _timestamp_version(client) == first
    assert seen == []
    # Another worker (its own Registry on the same data) re-signs the timestamp.
    other = Registry.open(registry_config)
    try:
        with other.metadata_transaction() as session:
            assert other.tuf.refresh(session, utcnow() + timedelta(days=365))
    finally:
        other.db.dispose()
    with statements(reg) as seen:
        assert _timestamp_version(client) > first  # at once, not a second later
    assert seen
    with statements(reg) as seen:
        _timestamp_version(client)
    assert seen == []
    clock.now += 1.1  # at least once a second the database is asked (expiry, other hosts' commits)
    with statements(reg) as seen:
        _timestamp_version(client)
    assert seen


def test_every_commit_gives_the_generation_file_a_new_stamp_even_within_one_clock_tick(
    reg: Registry, registry_config: RegistryConfig
) -> None:
    stamps = []
    for _ in range(5):  # far faster than the file system's timestamps move
        with reg.metadata_transaction():
            pass
        stamps.append(reg.generation.stamp())
    assert stamps == sorted(set(stamps)) and len(stamps) == 5
    assert int(registry_config.generation_file.read_text()) == stamps[-1]


def test_without_the_generation_file_a_timestamp_is_at_most_a_second_old(
    client: FlaskClient, reg: Registry, registry_config: RegistryConfig, clock: Clock
) -> None:
    registry_config.generation_file.unlink(missing_ok=True)  # e.g. a read-only data directory
    _timestamp_version(client)
    with statements(reg) as seen:
        clock.now += 0.5
        _timestamp_version(client)
    assert seen == []
    with statements(reg) as seen:
        clock.now += 0.6
        _timestamp_version(client)
    assert seen


def test_an_anonymous_search_page_is_rendered_once_per_query_and_generation(
    client: FlaskClient, reg: Registry, clock: Clock
) -> None:
    first = client.get("/search?q=stats&sort=name")
    assert first.status_code == 200
    with statements(reg) as seen:
        again = client.get("/search?sort=name&q=stats")  # the same query, written another way
    assert seen == [] and again.data == first.data
    assert b"csrf_token" not in first.data
    clock.now += 5.1  # kept a few seconds, as the API's answers
    with statements(reg) as seen:
        assert client.get("/search?q=stats&sort=name").data == first.data
    assert seen


def test_a_logged_in_visitor_s_page_is_theirs_alone(client: FlaskClient, app: Flask, alice: Publisher) -> None:
    log_in(client, "alice")
    personal = client.get("/search?q=stats").get_data(as_text=True)
    assert "Account (alice)" in personal and "csrf_token" in personal
    stranger = app.test_client().get("/search?q=stats").get_data(as_text=True)
    assert "alice" not in stranger and "csrf_token" not in stranger
    assert "Account (alice)" in client.get("/search?q=stats").get_data(as_text=True)
