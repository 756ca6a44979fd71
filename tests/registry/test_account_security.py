"""Changing who can act for an account: the web asks for the password again, the account
holder is told (account page and mail), and a plugin's new signer shows on its page."""

from __future__ import annotations

import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.app import create_app
from registry.config import RegistryConfig
from registry.mailer import LogMailer, Mail, SmtpMailer
from registry.models import ApiToken, Notification, PublisherKey, SigstoreIdentity
from registry.operator import add_key_command
from sdk.archive import PluginArchive
from sdk.signing import generate_keypair
from tests.registry.web_kit import PASSWORD, log_in, page_of, post_form
from tests.registry_kit import Publisher, config_for, publish, sign, variant


def _age_password_confirmation(client: FlaskClient, seconds: int = 3600) -> None:
    """Make the session's last password entry `seconds` old, as if the login was long ago."""
    with client.session_transaction() as session:
        session["password_confirmed_at"] = int(time.time()) - seconds


def _counts(app: Flask) -> dict[str, int]:
    with app.extensions["acc_registry"].db.read() as session:
        return {
            "keys": session.execute(select(func.count(PublisherKey.id))).scalar_one(),
            "identities": session.execute(select(func.count(SigstoreIdentity.id))).scalar_one(),
            "tokens": session.execute(select(func.count(ApiToken.id))).scalar_one(),
        }


def _outbox(app: Flask) -> list[Mail]:
    mailer = app.extensions["acc_registry"].mailer
    assert isinstance(mailer, LogMailer)
    return list(mailer.outbox)


@pytest.fixture
def new_key(tmp_path: Path) -> str:
    generate_keypair(tmp_path / "new.key")
    return (tmp_path / "new.key.pub").read_text()


def _forms(new_key: str) -> dict[str, dict[str, Any]]:
    return {
        "/account/keys": {"public_key": new_key},
        "/account/identities": {"identity": "alice@example.com", "issuer": "https://github.com/login/oauth"},
        "/account/tokens": {"description": "ci", "permissions": ["publish"], "expires_days": "30"},
    }


def test_every_security_change_needs_the_password_once_the_login_is_not_recent(
    subtests: pytest.Subtests, app: Flask, client: FlaskClient, alice: Publisher, new_key: str
) -> None:
    assert log_in(client, "alice").status_code == 303
    _age_password_confirmation(client)
    page = page_of(client.get("/account"))
    # The token, key and identity forms ask for it; the password change always does.
    assert len(page.find("input", name="current_password")) == 4
    before = _counts(app)
    for action, data in _forms(new_key).items():
        with subtests.test(action):
            missing = post_form(client, "/account", action, **data)
            assert missing.status_code == 401
            assert "This change to your account needs your password." in missing.get_data(as_text=True)
            wrong = post_form(client, "/account", action, current_password="not my password", **data)
            assert wrong.status_code == 401
            assert "That is not your password." in wrong.get_data(as_text=True)
    assert _counts(app) == before, "nothing was added"
    assert _outbox(app) == []


def test_with_the_password_a_new_key_is_added_and_the_holder_is_told_on_the_page_and_by_mail(
    app: Flask, client: FlaskClient, alice: Publisher, new_key: str
) -> None:
    log_in(client, "alice")
    _age_password_confirmation(client)
    response = post_form(client, "/account", "/account/keys", public_key=new_key, current_password=PASSWORD)
    assert response.status_code == 303
    with app.extensions["acc_registry"].db.read() as session:
        notes = session.execute(select(Notification)).scalars().all()
    added = [n for n in notes if n.kind == "key_added" and "from 127.0.0.1" in n.message]
    assert len(added) == 1, [n.message for n in notes]
    [mail] = [m for m in _outbox(app) if "key added" in m.subject]
    assert mail.to == "alice@example.com" and added[0].message in mail.body
    assert "revoke your API tokens" in mail.body and "/account" in mail.body
    page = page_of(client.get("/account"))
    assert added[0].message in page.html
    # The password was just typed: for ten minutes the other forms need it no more.
    assert [i["id"] for i in page.find("input", name="current_password")] == ["password-current"]
    identity = post_form(
        client, "/account", "/account/identities", identity="a@example.com", issuer="https://github.com/login/oauth"
    )
    assert identity.status_code == 303
    assert any("Sigstore identity a@example.com" in m.body for m in _outbox(app))


def test_the_operator_adding_a_key_is_told_to_the_account_holder_too(
    registry_config: RegistryConfig, alice: Publisher, app: Flask, client: FlaskClient
) -> None:
    log_in(client, "alice")
    assert "The registry&#39;s operator added the signing key" in client.get("/account").get_data(as_text=True), (
        "make_publisher's operator key add is listed"
    )


def test_wrong_passwords_at_the_confirmation_count_against_the_account(
    registry_config: RegistryConfig, alice: Publisher, new_key: str
) -> None:
    app = create_app(config_for(registry_config.data_dir, registry_config.database_url, login_failures_per_account=2))
    client = app.test_client()
    log_in(client, "alice")
    _age_password_confirmation(client)
    statuses = [
        post_form(client, "/account", "/account/keys", public_key=new_key, current_password="wrong").status_code
        for _ in range(3)
    ]
    assert statuses == [401, 401, 429]
    # The limit is the account's: the right password is refused too until the window ends.
    right = post_form(client, "/account", "/account/keys", public_key=new_key, current_password=PASSWORD)
    assert right.status_code == 429
    app.extensions["acc_registry"].db.dispose()


def test_a_new_signer_is_shown_on_the_plugins_page(
    registry_config: RegistryConfig,
    client: FlaskClient,
    alice: Publisher,
    example_archive: PluginArchive,
    tmp_path: Path,
) -> None:
    first = alice.key
    assert publish(client, alice, variant(example_archive, version="1.0.0")).status_code == 201
    second = tmp_path / "second.key"
    generate_keypair(second)
    second_id = add_key_command(registry_config, "alice", second.with_name("second.key.pub"))
    data = variant(example_archive, version="1.1.0")
    assert publish(client, alice, data, sign(data, second)).status_code == 201
    html = client.get("/plugins/project-stats").get_data(as_text=True)
    first_id = client.get("/api/v1/plugins/project-stats/versions/1.0.0").get_json()["signer"]["key_id"]
    assert f"ed25519 key {second_id}" in html and first.exists()
    assert f"New signer</strong> (before: ed25519 key {first_id})" in html
    assert html.count("New signer") == 1


# -- the SMTP mailer ---------------------------------------------------------------------------


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to receive one message: the server side of smtplib's conversation."""

    received: list[bytes]

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 test\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk
                self.received.append(body)
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[bytes]]]:
    received: list[bytes] = []
    handler = type("Handler", (_SmtpHandler,), {"received": received})
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield server.server_address[1], received
        server.shutdown()


def test_the_smtp_mailer_hands_the_message_to_the_configured_server(smtp_server: tuple[int, list[bytes]]) -> None:
    port, received = smtp_server
    mailer = SmtpMailer(host="127.0.0.1", port=port, sender="registry@example.org", security="none")
    mailer.send(Mail(to="alice@example.com", subject="a new key", body="The key k1 was added."))
    [message] = received
    assert b"From: registry@example.org" in message and b"To: alice@example.com" in message
    assert b"Subject: a new key" in message and b"The key k1 was added." in message


def test_smtp_settings_are_checked_when_the_registry_starts(tmp_path: Path) -> None:
    from registry.config import load_config
    from registry.errors import ConfigError
    from registry.mailer import mailer_for

    with pytest.raises(ConfigError, match="needs smtp_host and smtp_from"):
        load_config({"mailer": "smtp"}, environ={})
    config = load_config(
        {}, environ={"REGISTRY_MAILER": "smtp", "REGISTRY_SMTP_HOST": "mail", "REGISTRY_SMTP_FROM": "r@x"}
    )
    assert isinstance(mailer_for(config), SmtpMailer)
    assert isinstance(mailer_for(load_config({}, environ={})), LogMailer)


def test_the_development_mailer_prints_each_whole_mail_to_the_log_links_included(tmp_path: Path) -> None:
    import logging

    class Lines(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.INFO)
            self.lines: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.lines.append(record.getMessage())

    mail = Mail(to="alice@example.com", subject="Reset your registry password", body="Follow http://r/reset/abc\n")
    mailer = LogMailer(tmp_path / "mail.jsonl")
    logger, lines = logging.getLogger("registry.mail"), Lines()
    level = logger.level
    logger.addHandler(lines)
    logger.setLevel(logging.INFO)
    try:
        mailer.send(mail)
    finally:
        logger.removeHandler(lines)
        logger.setLevel(level)
    assert lines.lines == ["mail to alice@example.com: Reset your registry password\n\nFollow http://r/reset/abc\n"]
    assert list(mailer.outbox) == [mail]
    assert "http://r/reset/abc" in (tmp_path / "mail.jsonl").read_text()
