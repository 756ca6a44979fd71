"""The verified-publisher mark on the registry's side: the operator's `acc registry user
verify/unverify`, a publisher proving a domain from the account page, and the mark in the
API, the signed index and the web pages (plugin page, cards, publisher page).

One registry per module (publishing costs seconds); each test first sets the mark it needs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from acc_cli.root import cli
from host.marketplace.index import parse_index
from registry.app import create_app
from registry.config import RegistryConfig
from registry.context import Registry
from registry.domain_proof import proof_token
from registry.index import build_index
from registry.models import AuditEntry, Notification, Plugin, User
from registry.publisher_verification import set_mark
from sdk.archive import PluginArchive
from sdk.publisher_mark import PublisherMark
from tests.dns_responder import DnsResponder, dns_responder
from tests.registry.web_kit import log_in, page_of, post_form
from tests.registry_kit import make_config, make_publisher, publish, variant

DOMAIN = "alice.example"
MARK_TEXT = f"verified publisher: {DOMAIN}"


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsResponder]:
    with dns_responder() as responder:
        yield responder


@pytest.fixture(scope="module")
def config(
    tmp_path_factory: pytest.TempPathFactory, example_archive: PluginArchive, dns: DnsResponder
) -> RegistryConfig:
    """A registry where alice published project-stats and bob nothing; proofs are looked up
    on the loopback DNS responder."""
    root = tmp_path_factory.mktemp("verified")
    config = replace(make_config(root / "registry-data"), domain_check_nameserver=dns.address)
    alice = make_publisher(config, "alice", root / "keys")
    make_publisher(config, "bob", root / "keys")
    app = create_app(config)
    assert publish(app.test_client(), alice, variant(example_archive, version="1.0.0")).status_code == 201
    app.extensions["acc_registry"].db.dispose()
    return config


@pytest.fixture(scope="module")
def app(config: RegistryConfig) -> Iterator[Flask]:
    application = create_app(config)
    yield application
    application.extensions["acc_registry"].db.dispose()


@pytest.fixture
def registry(app: Flask) -> Registry:
    reg: Registry = app.extensions["acc_registry"]
    return reg


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _mark(registry: Registry, name: str, mark: PublisherMark | None) -> None:
    set_mark(registry, name, mark, actor="operator", remote_addr="local")


def _acc(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), prog_name="acc")
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def _signed_index(registry: Registry, name: str) -> bytes:
    """The bytes of NAME/index.json that the newest TUF metadata names, from the blob store."""
    from sdk.index_format import index_path

    path = index_path(name)
    with registry.db.read() as session:
        snapshot = registry.tuf.latest(session, "snapshot")
        for role in snapshot.signed.meta:
            bins = registry.tuf.latest(session, role.removesuffix(".json"))
            target = getattr(bins.signed, "targets", {}).get(path)
            if target is not None:
                digest = target.hashes["sha256"]
                data = registry.blobs.read(digest)
                assert hashlib.sha256(data).hexdigest() == digest
                return data
    raise AssertionError(f"no signed target {path}")


def test_the_operator_verifies_and_unverifies_a_publisher(registry: Registry, config: RegistryConfig) -> None:
    _mark(registry, "alice", None)
    data = ["--data", str(config.data_dir)]
    assert _acc("registry", "user", "verify", "alice", "--note", "met at FOSDEM", *data) == (
        "alice is now a verified publisher (checked by the operator)\n"
    )
    assert _acc("registry", "user", "verify", "alice", *data) == (
        "alice was already verified by the operator: nothing changed\n"
    )
    with registry.db.read() as session:
        alice = session.execute(select(User).where(User.name == "alice")).scalar_one()
        assert (alice.verified_by, alice.verified_at is not None) == ("operator", True)
        [entry] = session.execute(select(AuditEntry).where(AuditEntry.action == "verify_publisher")).scalars()
        assert (entry.actor, entry.target, entry.remote_addr) == ("operator", "alice", "local")
        assert entry.detail["note"] == "met at FOSDEM" and entry.detail["how"] == "operator"
        told = session.execute(select(Notification.message).where(Notification.user_id == alice.id)).scalars()
        assert "Your account is now shown as a verified publisher (checked by the marketplace's operator)." in told
    signed = parse_index(_signed_index(registry, "project-stats"), expected_name="project-stats")
    assert signed.owner_verified == PublisherMark("operator"), "the signed index states the mark"

    assert _acc("registry", "user", "unverify", "alice", *data) == "alice is no longer marked a verified publisher\n"
    assert _acc("registry", "user", "unverify", "alice", *data) == "alice was not verified: nothing changed\n"
    signed = parse_index(_signed_index(registry, "project-stats"), expected_name="project-stats")
    assert signed.owner_verified is None
    assert b"owner_verified" not in _signed_index(registry, "project-stats"), "an unverified owner's index is as before"


def test_verifying_an_unknown_account_is_refused_by_name(config: RegistryConfig) -> None:
    result = CliRunner().invoke(cli, ["registry", "user", "verify", "nobody", "--data", str(config.data_dir)])
    assert result.exit_code == 1
    assert result.stderr == "error: no user named 'nobody'\n"


def test_the_mark_does_not_change_when_the_plugins_were_last_updated(registry: Registry) -> None:
    _mark(registry, "alice", None)
    with registry.db.read() as session:
        before = session.execute(select(Plugin.updated_at).where(Plugin.name == "project-stats")).scalar_one()
    _mark(registry, "alice", PublisherMark("dns", DOMAIN))
    with registry.db.read() as session:
        plugin = session.execute(select(Plugin).where(Plugin.name == "project-stats")).scalar_one()
        assert plugin.updated_at == before
        assert _signed_index(registry, "project-stats") == build_index(plugin)


def test_the_api_says_who_is_verified_and_how(registry: Registry, client: FlaskClient) -> None:
    _mark(registry, "alice", PublisherMark("dns", DOMAIN))
    expected = {"how": "dns", "domain": DOMAIN, "text": MARK_TEXT}
    assert client.get("/api/v1/plugins?q=project-stats").get_json()["plugins"][0]["owner_verified"] == expected
    assert client.get("/api/v1/plugins/project-stats").get_json()["owner_verified"] == expected
    publisher = client.get("/api/v1/publishers/alice").get_json()
    assert publisher["verified"] == expected and publisher["plugins"][0]["owner_verified"] == expected
    assert client.get("/api/v1/publishers/bob").get_json()["verified"] is None


def test_the_web_pages_show_the_mark_with_words_for_screen_readers(registry: Registry, client: FlaskClient) -> None:
    _mark(registry, "alice", PublisherMark("dns", DOMAIN))
    compact = (
        f'<span class="verified-mark" title="{MARK_TEXT}"><span aria-hidden="true">✓</span>'
        f'<span class="visually-hidden"> {MARK_TEXT}</span></span>'
    )
    full = f'<span class="verified-mark" title="{MARK_TEXT}"><span aria-hidden="true">✓</span> {MARK_TEXT}</span>'
    plugin_page = page_of(client.get("/plugins/project-stats")).html
    assert f'<a href="/publishers/alice">alice</a> {full}</dd>' in plugin_page
    for card_page in ("/search?q=project", "/"):
        assert f'<a href="/publishers/alice">alice</a> {compact}</dd>' in page_of(client.get(card_page)).html
    assert full in page_of(client.get("/publishers/alice")).html
    assert "verified-mark" not in page_of(client.get("/publishers/bob")).html

    _mark(registry, "alice", None)
    for url in ("/plugins/project-stats", "/search?q=project", "/", "/publishers/alice"):
        assert "verified-mark" not in page_of(client.get(url)).html, url


def test_the_operators_mark_reads_as_the_operators(registry: Registry, client: FlaskClient) -> None:
    _mark(registry, "alice", PublisherMark("operator"))
    text = "verified publisher (checked by the marketplace&#39;s operator)"
    assert f'<span aria-hidden="true">✓</span> {text}</span>' in page_of(client.get("/plugins/project-stats")).html


def test_a_publisher_proves_a_domain_from_the_account_page(
    registry: Registry, app: Flask, client: FlaskClient, dns: DnsResponder
) -> None:
    _mark(registry, "bob", None)
    assert log_in(client, "bob").status_code == 303
    account = page_of(client.get("/account"))
    assert account.find("form", action="/account/domain", method="get")

    shown = page_of(client.get("/account/domain?domain=Bob.Example."))
    with registry.db.read() as session:
        bob = session.execute(select(User).where(User.name == "bob")).scalar_one()
    key = app.secret_key
    token = proof_token(key if isinstance(key, bytes) else str(key).encode(), bob.id, "bob.example")
    assert shown.title == "Prove a domain: bob.example"
    assert f"acc-verify={token}" in shown.html and "_acc-publisher.bob.example" in shown.html
    assert "https://bob.example/.well-known/acc-publisher.txt" in shown.html

    # Not published yet: the form says what was looked at, and nothing changes.
    dns.records.clear()
    refused = post_form(client, "/account/domain?domain=bob.example", "/account/domain", domain="bob.example")
    assert refused.status_code == 400
    assert "No proof for bob.example was found: DNS: _acc-publisher.bob.example has no TXT record" in (
        page_of(refused).html
    )

    dns.records[("_acc-publisher.bob.example", "TXT")] = [f'"acc-verify={token}"']
    proved = post_form(client, "/account/domain?domain=bob.example", "/account/domain", domain="bob.example")
    assert proved.status_code == 303 and proved.headers["Location"] == "/account#publisher-mark"
    after = page_of(client.get("/account")).html
    assert "Proved: your account is now shown as a verified publisher: bob.example." in after
    with registry.db.read() as session:
        assert session.execute(select(User.verified_by).where(User.name == "bob")).scalar_one() == "dns:bob.example"
        [entry] = session.execute(
            select(AuditEntry).where(AuditEntry.action == "verify_publisher", AuditEntry.target == "bob")
        ).scalars()
        assert (entry.actor, entry.detail["how"]) == ("bob", "dns:bob.example")


def test_an_invalid_domain_is_refused_with_what_to_type(client: FlaskClient) -> None:
    assert log_in(client, "bob").status_code == 303
    for typed in ("https://bob.example/", "10.0.0.1", "localhost"):
        response = client.get("/account/domain", query_string={"domain": typed})
        assert response.status_code == 400
        assert "type the domain alone, e.g. example.com" in page_of(response).html.replace("Type", "type")


def test_the_domain_pages_need_a_login(app: Flask) -> None:
    visitor = app.test_client()
    assert visitor.get("/account/domain?domain=bob.example").headers["Location"].startswith("/login?next=")


def test_proving_a_domain_needs_the_csrf_token(client: FlaskClient) -> None:
    assert log_in(client, "bob").status_code == 303
    assert client.post("/account/domain", data={"domain": "bob.example"}).status_code == 400
